module.exports = { ...require('../../jest.preset.js'), displayName: 'ctr-model', rootDir: __dirname };
