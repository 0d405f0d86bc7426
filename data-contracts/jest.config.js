module.exports = { ...require('../jest.preset.js'), displayName: 'data-contracts', rootDir: __dirname };
