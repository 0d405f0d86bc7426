module.exports = { ...require('../../jest.preset.js'), displayName: '@courier/nn', rootDir: __dirname };
