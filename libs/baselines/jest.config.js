module.exports = { ...require('../../jest.preset.js'), displayName: '@courier/baselines', rootDir: __dirname };
