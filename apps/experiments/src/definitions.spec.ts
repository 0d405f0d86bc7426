import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StageRunner, StageTask, createLogger } from '@courier/runtime';
import type { StageDefinition } from '@courier/runtime';
import { DATAGEN_STAGE } from '@courier/world';
import { DATA_STAGE } from '@courier/data-builder';
import { PRETRAIN_STAGE } from '@courier/courier';
import { BASELINE_STAGE } from '@courier/baselines';
import { CLUSTER_STAGE } from '@courier/clustering';
import { CTR_STAGE } from '@courier/ctr';

/**
 * The pipeline and the experiments take every stage's code folders (and its outputs) from its
 * definition. These are the folders (and outputs) the two apps listed by hand before: equal
 * lists give equal fingerprints, so run folders of earlier versions are reused. Pre-training and
 * the baselines are the exceptions: since the baselines moved to libs/baselines and the backbones,
 * optimiser, checkpoint and export to libs/nn, both also fingerprint libs/nn (a code move, so
 * their folders were renamed once anyway).
 */
const LISTED: { definition: StageDefinition; command: string; code: string[]; outputs?: string[] }[] = [
  { definition: DATAGEN_STAGE, command: 'generate', code: ['libs/world'], outputs: ['items.parquet', 'impressions.parquet', 'world.json', 'images', 'ground-truth.json', 'oracle-embeddings.arrow', 'oracle-clusters.parquet', 'click-truth.parquet'] },
  { definition: DATA_STAGE, command: 'build', code: ['libs/data-builder'] },
  { definition: PRETRAIN_STAGE, command: 'train', code: ['libs/courier', 'libs/nn', 'libs/native-kernels'] },
  { definition: BASELINE_STAGE, command: 'train', code: ['libs/baselines', 'libs/nn', 'libs/native-kernels'] },
  { definition: CLUSTER_STAGE, command: 'fit', code: ['libs/clustering'], outputs: ['centres.arrow', 'assignments.parquet'] },
  { definition: CTR_STAGE, command: 'evaluate', code: ['libs/ctr', 'libs/metrics', 'libs/nn', 'libs/native-kernels'] },
];

describe('stage definitions declare the code and outputs the apps listed', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'definitions-spec-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const runner = new StageRunner({ app: 'test', root, log: createLogger('test', { level: 'silent' }) });
  afterAll(() => runner.close());

  it.each(LISTED.map((l) => [`${l.definition.name} ${l.command}`, l] as const))('%s: same code folders, same fingerprint, same outputs', (_name, l) => {
    expect(l.definition.code).toEqual(l.code);
    const task: StageTask = { stage: 'stage', out: { parent: root, label: 'stage' }, config: { k: 1 }, seed: 1, upstream: [{ stage: 'up', hash: 'abc' }], command: { definition: l.definition, command: l.command, config: null } };
    const fromDefinition = runner.plan(task);
    const listed = runner.plan({ ...task, code: l.code });
    expect(fromDefinition.fingerprint).toEqual(listed.fingerprint);
    expect(fromDefinition.dir).toBe(listed.dir);
    if (l.outputs) expect(l.definition.commands[l.command].produces).toEqual(l.outputs);
  });
});
