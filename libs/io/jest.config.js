module.exports = { ...require('../../jest.preset.js'), displayName: '@courier/io', rootDir: __dirname };
