module.exports = { ...require('../../jest.preset.js'), displayName: 'amazon-bench', rootDir: __dirname };
