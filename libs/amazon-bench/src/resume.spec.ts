import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@courier/runtime';
import { AMAZON_BENCH_SCHEMA, AmazonBenchConfig, BenchEnv, runAmazonBench } from './bench';
import { loadMmrecDataset } from './dataset';
import { getModel } from './models';
import { makeSyntheticDataset } from './testing';
import { RunResult, TrainOptions, TrainState, TrainingStopped, trainAndEvaluate } from './train';
import { readCheckpointHeader } from './train-checkpoint';

/**
 * Issue #23: a training run stopped at an epoch boundary and resumed from its checkpoint ends
 * bit for bit like the uninterrupted run: metrics, early stopping, variables, Adam's moments and
 * every Rng state.
 */

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'amazon-resume-'));
}

/** The result without wall-clock seconds and the resume marker (the only fields allowed to differ). */
function outcome(r: RunResult): unknown {
  const { epochs, resumedFromEpoch: _r, ...rest } = r;
  return { ...rest, epochs: epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, validRecall20: e.validRecall20 })) };
}

/** Byte-level equality of two final states (float32 bits, not values: -0 vs 0 or NaN payloads count). */
function expectSameState(a: TrainState, b: TrainState): void {
  const bytes = (x: Float32Array | Int32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  expect(b.epochsDone).toBe(a.epochsDone);
  expect(b.adamStep).toBe(a.adamStep);
  expect(b.variables.map((v) => v.key)).toEqual(a.variables.map((v) => v.key));
  a.variables.forEach((v, i) => {
    const w = b.variables[i];
    expect(w.shape).toEqual(v.shape);
    expect(bytes(w.values).equals(bytes(v.values))).toBe(true);
    expect(bytes(w.m).equals(bytes(v.m))).toBe(true);
    expect(bytes(w.v).equals(bytes(v.v))).toBe(true);
  });
  expect(b.rngs).toEqual(a.rngs);
  expect(bytes(b.order).equals(bytes(a.order))).toBe(true);
  expect({ best: b.best, bestEpoch: b.bestEpoch, bestValid: b.bestValid, bestTest: b.bestTest, sinceBest: b.sinceBest, firstEpochLoss: b.firstEpochLoss }).toEqual({
    best: a.best,
    bestEpoch: a.bestEpoch,
    bestValid: a.bestValid,
    bestTest: a.bestTest,
    sinceBest: a.sinceBest,
    firstEpochLoss: a.firstEpochLoss,
  });
}

/** Trains uninterrupted, then in pieces of `stops` epochs (each piece ends in a simulated kill), and returns both. */
async function both(model: string, base: TrainOptions, stops: number[], seed = 5) {
  const { root, name } = makeSyntheticDataset('tiny');
  const entry = getModel(model);
  const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
  let finalA: TrainState | null = null;
  const a = await trainAndEvaluate(entry, ds, entry.defaults, seed, { ...base, onFinalState: (s) => (finalA = s) });
  const file = path.join(tmpDir(), 'checkpoint.ckpt');
  const policy = { file, fingerprint: 'fp-test', everyEpochs: 0, everySeconds: 0 };
  const stoppedAt: number[] = [];
  for (const n of stops) {
    await expect(trainAndEvaluate(entry, ds, entry.defaults, seed, { ...base, checkpoint: { ...policy, stopAfterEpochs: n } })).rejects.toBeInstanceOf(TrainingStopped);
    stoppedAt.push(readCheckpointHeader(file)!.epoch);
  }
  let finalB: TrainState | null = null;
  const lines: string[] = [];
  const b = await trainAndEvaluate(entry, ds, entry.defaults, seed, { ...base, checkpoint: policy, onFinalState: (s) => (finalB = s), log: (l) => lines.push(l) });
  return { a, b, finalA: finalA!, finalB: finalB!, stoppedAt, lines, file };
}

describe('trainAndEvaluate resumes from epoch checkpoints bit for bit', () => {
  it.each(['BPR', 'BM3', 'MMGCN', 'SLMRec', 'DualGNN', 'LATTICE', 'MGCN'])('%s: 5 epochs uninterrupted = 2 epochs, kill, resume for 3', async (model) => {
    const { a, b, finalA, finalB, stoppedAt, lines } = await both(model, { maxEpochs: 5, patience: 100, batchSize: 256, evalBlockSize: 128 }, [2]);
    expect(stoppedAt).toEqual([2]);
    expect(b.resumedFromEpoch).toBe(2);
    expect(lines.some((l) => l.includes('resuming from') && l.includes('after epoch 1'))).toBe(true);
    expect(b.epochs).toHaveLength(5);
    expect(outcome(b)).toEqual(outcome(a));
    expectSameState(finalA, finalB);
    // The resumed epochs keep the first process's records (its seconds included).
    expect(b.epochs.slice(0, 2).every((e) => e.trainSeconds > 0)).toBe(true);
  });

  it('early-stopping state carries over: two kills, then patience stops the run at the same epoch', async () => {
    // BPR on tiny peaks within a few epochs; patience 3 stops it well before 60.
    const base = { maxEpochs: 60, patience: 3, batchSize: 256, evalBlockSize: 128 };
    const { a, b, finalA, finalB, stoppedAt } = await both('BPR', base, [1, 2], 11);
    expect(a.stopReason).toBe('patience');
    expect(a.epochs.length).toBeGreaterThan(4);
    expect(stoppedAt).toEqual([1, 3]);
    expect(outcome(b)).toEqual(outcome(a));
    expectSameState(finalA, finalB);
  });

  it('a checkpoint under another fingerprint, or of another seed, is not resumed (and the log says why)', async () => {
    const { root, name } = makeSyntheticDataset('tiny');
    const entry = getModel('BPR');
    const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
    const base = { maxEpochs: 4, patience: 100, batchSize: 256, evalBlockSize: 128 };
    const file = path.join(tmpDir(), 'checkpoint.ckpt');
    await expect(trainAndEvaluate(entry, ds, entry.defaults, 1, { ...base, checkpoint: { file, fingerprint: 'old', everyEpochs: 1, everySeconds: 0, stopAfterEpochs: 2 } })).rejects.toBeInstanceOf(TrainingStopped);
    const plain = await trainAndEvaluate(entry, ds, entry.defaults, 1, base);

    const lines: string[] = [];
    const r = await trainAndEvaluate(entry, ds, entry.defaults, 1, { ...base, checkpoint: { file, fingerprint: 'new', everyEpochs: 0, everySeconds: 0 }, log: (l) => lines.push(l) });
    expect(lines.some((l) => /not resuming .*fingerprint old.*this run's is new/.test(l))).toBe(true);
    expect(r.resumedFromEpoch).toBeUndefined();
    expect(outcome(r)).toEqual(outcome(plain));
    expect(fs.existsSync(file)).toBe(false);

    await expect(trainAndEvaluate(entry, ds, entry.defaults, 1, { ...base, checkpoint: { file, fingerprint: 'fp', everyEpochs: 1, everySeconds: 0, stopAfterEpochs: 1 } })).rejects.toBeInstanceOf(TrainingStopped);
    const other: string[] = [];
    await trainAndEvaluate(entry, ds, entry.defaults, 2, { ...base, checkpoint: { file, fingerprint: 'fp', everyEpochs: 0, everySeconds: 0 }, log: (l) => other.push(l) });
    expect(other.some((l) => /not resuming .*BPR seed 1 .*this run is BPR seed 2/.test(l))).toBe(true);
  });

  it('checkpoints every N epochs: the header names the epochs done, Adam step and fingerprint', async () => {
    const { root, name } = makeSyntheticDataset('tiny');
    const entry = getModel('BM3');
    const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
    const file = path.join(tmpDir(), 'checkpoint.ckpt');
    const lines: string[] = [];
    await expect(
      trainAndEvaluate(entry, ds, entry.defaults, 3, { maxEpochs: 10, patience: 100, batchSize: 256, evalBlockSize: 128, log: (l) => lines.push(l), checkpoint: { file, fingerprint: 'f1', everyEpochs: 2, everySeconds: 0, stopAfterEpochs: 5 } }),
    ).rejects.toThrow(/training stopped after epoch 4/);
    // Written after epochs 2 and 4 (every 2) and at the stop (5).
    expect(lines.filter((l) => l.includes('checkpoint after epoch')).map((l) => /after epoch (\d+)/.exec(l)![1])).toEqual(['1', '3', '4']);
    const h = readCheckpointHeader(file)!;
    expect(h.epoch).toBe(5);
    expect(h.fingerprint).toBe('f1');
    const stepsPerEpoch = Math.ceil(ds.train.users.length / 256);
    expect(h.step).toBe(5 * stepsPerEpoch);
    expect(h.lossHistory).toHaveLength(5);
    expect(Object.keys((h.model as { rngs: object }).rngs).sort()).toEqual(['model.dropout', 'negatives', 'shuffle']);
  });
});

describe('runAmazonBench continues across kills with the same --out', () => {
  const cfgFor = (root: string, name: string, over: Partial<AmazonBenchConfig> = {}): AmazonBenchConfig =>
    ({
      ...Object.fromEntries(Object.entries(AMAZON_BENCH_SCHEMA).map(([k, v]) => [k, (v as { default: unknown }).default])),
      dataset: name,
      dataRoot: root,
      generate: 'none',
      models: ['BPR', 'BM3'],
      withCourier: false,
      seeds: [1, 2],
      maxEpochs: 6,
      patience: 100,
      batchSize: 256,
      evalBlockSize: 128,
      checkpointEvery: 1,
      ...over,
    }) as AmazonBenchConfig;
  const envFor = (outDir: string, lines: string[], extra: Partial<BenchEnv> = {}): BenchEnv => ({
    outDir,
    seed: 1,
    log: (l) => lines.push(l),
    time: async (_n, fn) => fn(),
    courierLoss: () => {
      throw new Error('not used');
    },
    ...extra,
  });
  /** Report rows and runs.jsonl lines without seconds. */
  const view = (dir: string) => {
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'amazon-report.json'), 'utf8')) as { rows: { perSeed: Record<string, unknown>[] }[] };
    const rows = report.rows.map((r) => ({ ...r, perSeed: r.perSeed.map(({ seconds: _s, ...rest }) => rest) }));
    const runs = fs
      .readFileSync(path.join(dir, 'runs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const { seconds: _s, trainSeconds: _t, evalSeconds: _e, resumedFromEpoch: _r, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return rest;
      });
    return { rows, runs };
  };

  it('killed twice mid-run, then continued: the same report and runs.jsonl as one uninterrupted run; a rerun skips all; changed settings rerun and say why', async () => {
    const { root, name } = makeSyntheticDataset('tiny');
    const cfg = cfgFor(root, name);
    const a = tmpDir();
    await runAmazonBench(cfg, envFor(a, []));

    const b = tmpDir();
    const log1: string[] = [];
    await expect(runAmazonBench(cfg, envFor(b, log1, { stopAfterEpochs: 2 }))).rejects.toBeInstanceOf(TrainingStopped);
    const log2: string[] = [];
    await expect(runAmazonBench(cfg, envFor(b, log2, { stopAfterEpochs: 4 }))).rejects.toBeInstanceOf(TrainingStopped);
    expect(log2.some((l) => l.includes('plan: 4 runs: 0 finished (skipped), 1 to resume, 0 to rerun, 3 to start'))).toBe(true);
    expect(fs.existsSync(path.join(b, '.run.lock'))).toBe(false);
    // The first run finished in the second process (resumed after epoch 1, 4 more epochs); the second stopped after 4.
    const log3: string[] = [];
    await runAmazonBench(cfg, envFor(b, log3));
    expect(log3.some((l) => l.includes('plan: 4 runs: 1 finished (skipped), 1 to resume, 0 to rerun, 2 to start'))).toBe(true);
    expect(log3).toContain('  BPR: seeds finished 1; resume 2 (after epoch 3)');
    expect(log3).toContain('  BM3: seeds to start 1, 2');
    expect(log3.some((l) => /resuming from .*BPR.*seed2.*after epoch 3/.test(l))).toBe(true);
    expect(log3.some((l) => /4\/4 runs finished \(1 skipped as done, 3 trained in this process\); 0 remaining/.test(l))).toBe(true);
    expect(view(b)).toEqual(view(a));
    const resumed = fs
      .readFileSync(path.join(b, 'runs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { resumedFromEpoch?: number }).resumedFromEpoch);
    expect(resumed).toEqual([2, 4, undefined, undefined]);
    // No checkpoint is left once its run is stored.
    const ckpts = fs.readdirSync(path.join(b, 'runs'), { recursive: true }).filter((f) => String(f).endsWith('.ckpt'));
    expect(ckpts).toEqual([]);

    const log4: string[] = [];
    await runAmazonBench(cfg, envFor(b, log4));
    expect(log4.some((l) => l.includes('plan: 4 runs: 4 finished (skipped), 0 to resume, 0 to rerun, 0 to start'))).toBe(true);
    expect(log4.some((l) => l.includes('epoch 0:'))).toBe(false);
    expect(view(b)).toEqual(view(a));

    // Another patience reruns every run, naming the change; the table holds only the new results.
    const log5: string[] = [];
    const { report } = await runAmazonBench({ ...cfg, patience: 1, models: ['BPR'] }, envFor(b, log5));
    expect(log5.some((l) => l.includes('plan: 2 runs: 0 finished (skipped), 0 to resume, 2 to rerun, 0 to start'))).toBe(true);
    expect(log5.some((l) => /rerun BPR .* seed 1: finished under other settings \(protocol patience 100 -> 1\)/.test(l))).toBe(true);
    expect(report.rows.map((r) => r.label)).toEqual(['BPR']);
    expect(view(b).runs).toHaveLength(2);
    // --fresh: everything again, nothing skipped.
    const log6: string[] = [];
    await runAmazonBench(cfg, envFor(b, log6, { fresh: true }));
    expect(log6.some((l) => l.includes('plan: 4 runs: 0 finished (skipped), 0 to resume, 0 to rerun, 4 to start'))).toBe(true);
    expect(view(b)).toEqual(view(a));
  });
});
