module.exports = { ...require('../../jest.preset.js'), displayName: 'native-kernels', rootDir: __dirname };
