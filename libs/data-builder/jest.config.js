module.exports = { ...require('../../jest.preset.js'), displayName: '@courier/data-builder', rootDir: __dirname };
