module.exports = { ...require('../../jest.preset.js'), displayName: 'courier', rootDir: __dirname };
