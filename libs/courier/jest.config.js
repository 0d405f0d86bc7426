// look-learning.spec.ts trains COURIER for about a minute: it runs in `test:slow` (jest.slow.config.js).
module.exports = { ...require('../../jest.preset.js'), displayName: '@courier/courier', rootDir: __dirname, testPathIgnorePatterns: ['/node_modules/', '/src/look-learning\\.spec\\.ts$'] };
