module.exports = { ...require('../../jest.preset.js'), displayName: 'ctr', rootDir: __dirname };
