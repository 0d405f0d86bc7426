// Module boundaries, enforced by Nx's own lint rule (@nx/enforce-module-boundaries) and nothing
// else: this config turns on no other rule set, so `nx run workspace:lint` stays a boundary check.
// Each project.json carries two tags, scope:* (pretrain, ctr, bench, shared) and type:* (app,
// stage, contracts, util, testing); the constraints below read both. The rule works on Nx's
// cached project graph, so run it through Nx (`npx nx run workspace:lint`), not bare `eslint`.
const nx = require('@nx/eslint-plugin');
const tsParser = require('@typescript-eslint/parser');
// Registered so per-line suppressions in the source that name its rules resolve; none is turned on.
const tsPlugin = require('@typescript-eslint/eslint-plugin');

/** What each project type may import. Apps use stages; a stage never imports another stage. */
const typeConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:stage', 'type:contracts', 'type:util'] },
  { sourceTag: 'type:stage', onlyDependOnLibsWithTags: ['type:contracts', 'type:util'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:contracts', 'type:util'] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:app', 'type:stage', 'type:contracts', 'type:util'] },
];

/**
 * Which scopes each scope may import. Shared libraries (util, contracts) stay scope-free; shared
 * apps and test tools (pipeline, experiments, serve) compose stages of every scope; the Amazon
 * benchmark pre-trains COURIER on its features, so bench may use pretrain.
 */
const scopeConstraints = [
  { sourceTag: 'scope:pretrain', onlyDependOnLibsWithTags: ['scope:pretrain', 'scope:shared'] },
  { sourceTag: 'scope:ctr', onlyDependOnLibsWithTags: ['scope:ctr', 'scope:shared'] },
  { sourceTag: 'scope:bench', onlyDependOnLibsWithTags: ['scope:bench', 'scope:pretrain', 'scope:shared'] },
  { allSourceTags: ['scope:shared', 'type:util'], onlyDependOnLibsWithTags: ['scope:shared'] },
  { allSourceTags: ['scope:shared', 'type:contracts'], onlyDependOnLibsWithTags: ['scope:shared'] },
];

/** Contracts never import tfjs (the data builder gets the same ban below, by folder). */
const noTfjs = (sourceTag) => ({ sourceTag, bannedExternalImports: ['@tensorflow/*'] });
/** Only libs/io opens Parquet files; everyone else reads tables through @courier/io. */
const noParquet = { sourceTag: '*', bannedExternalImports: ['parquetjs-lite', 'parquetjs-lite/*'] };

const boundaries = (depConstraints) => ({
  '@nx/enforce-module-boundaries': ['error', { allow: [], enforceBuildableLibDependency: false, depConstraints }],
});
const base = [...typeConstraints, ...scopeConstraints, noTfjs('type:contracts')];

/** Specs, `src/testing.ts` fixture entries, test tools and benchmarks may import any library and package. */
const testFiles = ['**/*.spec.ts', '**/src/testing.ts', 'tools/checks/**/*.ts', 'tools/regression/**/*.ts', 'tools/bench/**/*.ts'];

module.exports = [
  // Generated and installed folders are not source.
  { ignores: ['**/node_modules/**', '**/build/**', '**/dist/**', 'runs/**', 'tmp/**', 'coverage/**', '.nx/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx, '@typescript-eslint': tsPlugin },
    languageOptions: { parser: tsParser, ecmaVersion: 2022, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      ...boundaries([...base, noParquet]),
      // Test fixtures (`@courier/<lib>/testing`) are for specs only.
      'no-restricted-imports': ['error', { patterns: [{ group: ['@courier/*/testing'], message: 'test fixtures are for specs and src/testing.ts only' }] }],
    },
  },
  { files: ['libs/io/**/*.ts'], rules: boundaries(base) },
  { files: ['libs/data-builder/**/*.ts'], rules: boundaries([...base, noParquet, noTfjs('*')]) },
  {
    files: testFiles,
    rules: {
      ...boundaries([{ sourceTag: '*', onlyDependOnLibsWithTags: ['*'] }]),
      'no-restricted-imports': 'off',
    },
  },
];
