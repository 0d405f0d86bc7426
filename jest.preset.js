// Shared jest settings: swc transpiles TypeScript (type checking is the `typecheck` target),
// and the tsconfig path aliases (@courier/*) resolve to each library's public index.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = {};
for (const [alias, targets] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias.replace('*', '(.*)')}$`] = path.join(__dirname, targets[0].replace('*', '$1'));
}

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  moduleNameMapper,
  testTimeout: 120000,
};
