module.exports = { ...require('../../jest.preset.js'), displayName: 'regression', rootDir: __dirname, testTimeout: 900000 };
