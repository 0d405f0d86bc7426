module.exports = { ...require('../../jest.preset.js'), displayName: '@courier/metrics', rootDir: __dirname };
