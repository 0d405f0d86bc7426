module.exports = { ...require('../../jest.preset.js'), displayName: 'serve', rootDir: __dirname };
