/**
 * Reruns of the pipeline on one output folder (issue #17): stale checkpoints, edited inputs,
 * missing outputs, --force, the run lock, config errors before the first stage, write errors.
 * A small tiny-world config (2 pre-training epochs, one CTR seed and mode, 1 CTR epoch) keeps
 * each run to seconds.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOCK_FILE, acquireRunLock, readVectorTable } from '@courier/io';
import { createLogger, initBackend } from '@courier/runtime';
import { PipelineConfig, runPipeline } from './pipeline';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-rerun-'));
const X = path.join(root, 'x');
const base: PipelineConfig = {
  preset: 'tiny',
  seed: 1,
  out: null,
  visualSignal: null,
  ctrSeeds: [1],
  modes: ['cluster-id'],
  oracle: false,
  world: {},
  data: {},
  pretrain: { epochs: 2, lr: 0.001 },
  cluster: {},
  ctr: { epochs: 1 },
  dataDir: null,
};
const lines: string[] = [];
const log = createLogger('pipeline', { write: (l) => lines.push(l), level: 'info' });
const run = (outDir: string, config: Partial<PipelineConfig> = {}, force: string[] = []) => runPipeline({ config: { ...base, ...config }, outDir, force, log });
const runJson = (dir: string, stage: string) => JSON.parse(fs.readFileSync(path.join(dir, stage, 'run.json'), 'utf8')) as Record<string, unknown>;
const vectors = (dir: string) => Array.from(readVectorTable(path.join(dir, 'pretrain', 'embeddings.arrow')).vectors);
const saved = path.join(root, 'saved');

describe('pipeline reruns on one output folder', () => {
  beforeAll(async () => {
    await initBackend({ log: () => {} });
    fs.mkdirSync(saved);
  });

  it('a change upstream of pre-training (visualSignal) retrains from scratch: the model equals a fresh run of the new config', async () => {
    await run(X);
    const first = vectors(X);
    fs.copyFileSync(path.join(X, 'world', 'impressions.parquet'), path.join(saved, 'impressions.parquet'));
    const r = await run(X, { visualSignal: 0 });
    expect(r.skipped).toEqual([]);
    expect(runJson(X, 'pretrain').resumedFrom).toBeNull();
    expect(vectors(X)).not.toEqual(first);
    const fresh = path.join(root, 'fresh-vs0');
    await run(fresh, { visualSignal: 0 });
    expect(vectors(X)).toEqual(vectors(fresh));
    const metrics = (file: string) => {
      const rep = JSON.parse(fs.readFileSync(file, 'utf8')) as { baseline: { auc: number; gauc: number }; methods: { name: string; auc: number; gauc: number }[] };
      return [rep.baseline.auc, rep.baseline.gauc, ...rep.methods.flatMap((m) => [m.name, m.auc, m.gauc])];
    };
    expect(metrics(r.reportFile)).toEqual(metrics(path.join(fresh, 'ctr', 'ctr-report.json')));
  }, 240000);

  it('an unchanged rerun skips every stage; a deleted output reruns its stage', async () => {
    expect((await run(X, { visualSignal: 0 })).skipped).toEqual(['world', 'samples', 'pretrain', 'clusters', 'ctr']);
    const before = vectors(X);
    fs.rmSync(path.join(X, 'pretrain', 'embeddings.arrow'));
    lines.length = 0;
    const r = await run(X, { visualSignal: 0 });
    expect(r.skipped).toEqual(['world', 'samples', 'clusters', 'ctr']); // same checkpoint, same embeddings: downstream unchanged
    expect(lines.join('\n')).toMatch(/pretrain: running .*output embeddings\.arrow went missing/);
    expect(vectors(X)).toEqual(before);
  }, 120000);

  it('--force pretrain retrains from scratch and reruns clusters and ctr; a changed lr starts over instead of failing', async () => {
    const forced = await run(X, { visualSignal: 0 }, ['pretrain']);
    expect(forced.skipped).toEqual(['world', 'samples']);
    expect(runJson(X, 'pretrain').resumedFrom).toBeNull();
    expect(runJson(X, 'pretrain').steps).toBeGreaterThan(0);
    const lr = await run(X, { visualSignal: 0, pretrain: { epochs: 2, lr: 0.002 } });
    expect(lr.skipped).toEqual(['world', 'samples']);
    expect(runJson(X, 'pretrain').resumedFrom).toBeNull();
  }, 240000);

  it('an edited impressions.parquet reruns the samples stage and everything after it', async () => {
    fs.copyFileSync(path.join(saved, 'impressions.parquet'), path.join(X, 'world', 'impressions.parquet'));
    lines.length = 0;
    const r = await run(X, { visualSignal: 0 });
    expect(r.skipped).toEqual(['world']);
    expect(lines.join('\n')).toMatch(/samples: running .*inputs/);
  }, 240000);

  it('a changed key of one stage reruns that stage and everything downstream, nothing upstream (issue #20)', async () => {
    const fps = () => Object.fromEntries(['world', 'samples', 'pretrain', 'clusters', 'ctr'].map((s) => [s, JSON.parse(fs.readFileSync(path.join(X, s, 'fingerprint.json'), 'utf8')).hash as string]));
    expect((await run(X, { visualSignal: 0 })).skipped).toEqual(['world', 'samples', 'pretrain', 'clusters', 'ctr']);
    const before = fps();
    const clusters = await run(X, { visualSignal: 0, cluster: { k: 8 } });
    expect(clusters.skipped).toEqual(['world', 'samples', 'pretrain']);
    const afterClusters = fps();
    expect(afterClusters.pretrain).toBe(before.pretrain);
    expect(afterClusters.clusters).not.toBe(before.clusters);
    expect(afterClusters.ctr).not.toBe(before.ctr);
    const ctr = await run(X, { visualSignal: 0, cluster: { k: 8 }, ctr: { epochs: 1, batchSize: 128 } });
    expect(ctr.skipped).toEqual(['world', 'samples', 'pretrain', 'clusters']);
    expect(fps().clusters).toBe(afterClusters.clusters);
    const data = await run(X, { visualSignal: 0, cluster: { k: 8 }, ctr: { epochs: 1, batchSize: 128 }, data: { negativeRate: 0.5 } });
    expect(data.skipped).toEqual(['world']);
    expect((await run(X, { visualSignal: 0, cluster: { k: 8 }, ctr: { epochs: 1, batchSize: 128 }, data: { negativeRate: 0.5 } })).skipped).toEqual(['world', 'samples', 'pretrain', 'clusters', 'ctr']);
  }, 480000);

  it('a second concurrent run on the folder is refused, naming the lock file and the owner pid', async () => {
    const lock = acquireRunLock(X, 'other run');
    try {
      await expect(run(X, { visualSignal: 0 })).rejects.toThrow(new RegExp(`lock file .*${LOCK_FILE.replace('.', '\\.')} is held by pid ${process.pid}`));
    } finally {
      lock.release();
    }
    expect(fs.existsSync(path.join(X, LOCK_FILE))).toBe(false);
  });

  it('a bad ctr key, mode or section value fails before the first stage', async () => {
    const z = path.join(root, 'config-errors');
    await expect(run(z, { ctr: { epochz: 1 } })).rejects.toThrow(/pipeline ctr: .*unknown config key "epochz"; did you mean "epochs"/);
    await expect(run(z, { modes: ['cluster-id', 'clusterid'] as PipelineConfig['modes'] })).rejects.toThrow(/pipeline: modes: "clusterid" is not a mode/);
    await expect(run(z, { pretrain: { batchSize: '64' } })).rejects.toThrow(/pipeline pretrain: .*key "batchSize" must be an integer >= 2, got the string "64"/);
    await expect(run(z, { world: { visualSignal: '0' } })).rejects.toThrow(/pipeline world: .*key "visualSignal" must be a number/);
    expect(fs.existsSync(z)).toBe(false);
  });
});
