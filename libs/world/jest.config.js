module.exports = { ...require('../../jest.preset.js'), displayName: '@courier/world', rootDir: __dirname };
