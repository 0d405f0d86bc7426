// The planted-signal specs train the CTR model on worlds for minutes: they run in `test:slow` (jest.slow.config.js).
module.exports = { ...require('../../jest.preset.js'), displayName: '@courier/ctr', rootDir: __dirname, testPathIgnorePatterns: ['/node_modules/', '/src/ctr-world\\.spec\\.ts$', '/src/ctr-signal\\.spec\\.ts$'] };
