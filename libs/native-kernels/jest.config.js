module.exports = { ...require('../../jest.preset.js'), displayName: '@courier/native-kernels', rootDir: __dirname };
