module.exports = { ...require('../../jest.preset.js'), displayName: '@courier/runtime', rootDir: __dirname };
