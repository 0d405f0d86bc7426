module.exports = { ...require('../../jest.preset.js'), displayName: '@courier/report', rootDir: __dirname };
