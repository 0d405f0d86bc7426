module.exports = { ...require('../../jest.preset.js'), displayName: '@courier/amazon-bench', rootDir: __dirname };
