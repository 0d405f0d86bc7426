/**
 * Module boundaries are enforced by Nx's lint rule (`@nx/enforce-module-boundaries`, configured in
 * eslint.config.js and run by `nx run workspace:lint`, part of `npm test`). This spec plants
 * violations as in-memory files (nothing is written to the tree) and checks that the rule, as
 * configured, rejects each one, so a config that silently stops checking (no project graph, a
 * wrong tag, a typo in a banned package) fails the suite. The tree itself is linted by the target.
 * Run it through Nx (`npx nx run workspace-checks:test`): the rule reads Nx's cached project graph
 * and, where none exists yet (a fresh clone, bare jest), skips, so its `rejects` cases fail.
 */
import * as path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '../../..');

async function lint(file: string, code: string): Promise<string[]> {
  // The config is passed in (not looked up), so the spec needs no ESM loader under jest.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(path.join(root, 'eslint.config.js'));
  const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: config });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

const planted: [string, string, string, RegExp][] = [
  ['an app importing another app', 'apps/ctr/src/planted.ts', "import '../../pretrain/src/main';", /enforce-module-boundaries/],
  ['a stage importing another stage', 'libs/courier/src/planted.ts', "import { fitClusters } from '@courier/clustering';", /can only depend on libs tagged with "type:contracts", "type:util"/],
  ['a scope reaching into another scope', 'apps/ctr/src/planted.ts', "import { trainCourier } from '@courier/courier';", /"scope:ctr" can only depend on libs tagged with "scope:ctr", "scope:shared"/],
  ['a util library importing a stage', 'libs/metrics/src/planted.ts', "import { generateWorld } from '@courier/world';", /enforce-module-boundaries/],
  ['contracts importing a util library', 'data-contracts/src/planted.ts', "import { Rng } from '@courier/runtime';", /enforce-module-boundaries/],
  ['a relative import into another library', 'libs/ctr/src/planted.ts', "import { auc } from '../../metrics/src/auc';", /relative or absolute path/],
  ['parquetjs-lite in the CTR model library', 'libs/ctr/src/planted.ts', "import * as parquet from 'parquetjs-lite';", /not allowed to import "parquetjs-lite"/],
  ['parquetjs-lite through require() in the CTR model library', 'libs/ctr/src/planted.ts', "const parquet = require('parquetjs-lite');", /not allowed to import "parquetjs-lite"/],
  ['parquetjs-lite in the CTR app', 'apps/ctr/src/planted.ts', "import * as parquet from 'parquetjs-lite';", /parquetjs-lite/],
  ['parquetjs-lite in metrics', 'libs/metrics/src/planted.ts', "import * as parquet from 'parquetjs-lite';", /parquetjs-lite/],
  ['tfjs in the contracts', 'data-contracts/src/planted.ts', "import * as tf from '@tensorflow/tfjs';", /@tensorflow\/tfjs/],
  ['tfjs in the data builder', 'libs/data-builder/src/planted.ts', "import * as tf from '@tensorflow/tfjs';", /@tensorflow\/tfjs/],
  ['test fixtures outside a spec', 'libs/ctr/src/planted.ts', "import { makeWorldFixture } from '@courier/world/testing';", /no-restricted-imports/],
];

describe('module boundaries (Nx lint rule)', () => {
  it.each(planted)('rejects %s', async (_what, file, code, expected) => {
    const messages = await lint(file, code);
    expect(messages.join('\n')).toMatch(expected);
  });

  it.each([
    ['an app importing a stage and util', 'apps/ctr/src/planted.ts', "import { trainCtr } from '@courier/ctr';\nimport { initBackend } from '@courier/runtime';"],
    ['io reading Parquet', 'libs/io/src/planted.ts', "import * as parquet from 'parquetjs-lite';"],
    ['a stage importing contracts', 'libs/ctr/src/planted.ts', "import { CLUSTER_ASSIGNMENTS } from '@courier/data-contracts';"],
    ['a spec importing fixtures of another stage', 'libs/ctr/src/planted.spec.ts', "import { makeWorldFixture } from '@courier/world/testing';"],
  ])('accepts %s', async (_what, file, code) => {
    expect(await lint(file, code)).toEqual([]);
  });
});
