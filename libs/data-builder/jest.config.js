module.exports = { ...require('../../jest.preset.js'), displayName: 'data-builder', rootDir: __dirname };
