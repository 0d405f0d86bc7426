import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StageRunner, createLogger, resolveConfig } from '@courier/runtime';
import { makeTinyWorld } from '@courier/world/testing';
import { DATA_BUILDER_SCHEMA, DataBuilderConfig } from './config';
import { DATA_STAGE } from './stage-definition';

const silent = createLogger('test', { level: 'silent' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'data-stage-spec-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('DATA_STAGE build, composed by a StageRunner', () => {
  it('writes the same files as on the command line, records its inputs in run.json, prints nothing to stdout', async () => {
    const world = await makeTinyWorld(5);
    const config = resolveConfig<DataBuilderConfig>(DATA_BUILDER_SCHEMA, {});
    const runner = new StageRunner({ app: 'test', root: tmp, log: silent });
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
    let dir = '';
    try {
      ({ dir } = await runner.run({ stage: 'samples', out: path.join(tmp, 'samples'), config, seed: 1, command: { definition: DATA_STAGE, command: 'build', inputs: { world }, config } }));
    } finally {
      process.stdout.write = write;
      runner.close();
    }
    expect(written).toEqual([]);
    // The definition's produces are the finished run's outputs; its code is the fingerprinted source.
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'fingerprint.json'), 'utf8')).outputs).toEqual(['pretrain-samples.parquet', 'ctr-samples.parquet', 'stats.json']);
    expect(DATA_STAGE.code).toEqual(['libs/data-builder']);
    const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
    expect(run).toMatchObject({ stage: 'data', seed: 1, config: { ...config, world, items: null, impressions: null } });
    expect(run.ctrSamples.train).toBeGreaterThan(0);

    // The same command without a composition (what `data build` runs) prints the statistics.
    process.stdout.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      await DATA_STAGE.commands.build.run({ app: 'data', command: 'build', inputs: { world }, lists: {}, config, seed: 1, flags: {}, outDir: path.join(tmp, 'cli') });
    } finally {
      process.stdout.write = write;
    }
    expect(JSON.parse(written.join(''))).toMatchObject({ rowsIn: run.rowsIn, rowsUsed: run.rowsUsed });
    for (const f of ['pretrain-samples.parquet', 'ctr-samples.parquet']) expect(fs.readFileSync(path.join(tmp, 'cli', f))).toEqual(fs.readFileSync(path.join(dir, f)));
  });
});
