module.exports = { ...require('../../jest.preset.js'), displayName: 'clustering', rootDir: __dirname };
