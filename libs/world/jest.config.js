module.exports = { ...require('../../jest.preset.js'), displayName: 'world', rootDir: __dirname };
