// The `test:slow` target: exactly the specs jest.config.js (the unit `test` target) leaves out.
const { testMatch, testPathIgnorePatterns, ...unit } = require('./jest.config.js');
module.exports = { ...unit, displayName: `${unit.displayName}:slow`, testRegex: testPathIgnorePatterns.filter((p) => p !== '/node_modules/') };
