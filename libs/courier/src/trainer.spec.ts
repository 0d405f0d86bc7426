import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createLogger, initBackend } from '@courier/runtime';
import { readVectorTable } from '@courier/io';
import { PretrainConfig, defaultPretrainConfig } from './config';
import { makeSquaresFixture } from './fixture';
import { arraySamples, exportEmbeddings, planBatch, readCheckpoint } from '@courier/nn';
import { CHECKPOINT_FILE, REJECTS_FILE, createInitialBackbone, loadBackboneFromCheckpoint, trainCourier } from './trainer';
import { chanceAgreement, embeddingSpread, neighbourAgreement } from './eval';

const tmp = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `courier-${label}-`));
const S = 12;
const fixture = makeSquaresFixture({ seed: 1, imageSize: S });
const D = 16;

function config(overrides: Partial<PretrainConfig> = {}): PretrainConfig {
  return defaultPretrainConfig({ backbone: 'mlp-pixels', backboneParams: { hidden: [32] }, dim: D, imageSize: S, batchSize: 32, lr: 3e-3, checkpointEvery: 0, seed: 3, ...overrides });
}

async function weightsOf(dir: string): Promise<Float32Array[]> {
  const { backbone } = await loadBackboneFromCheckpoint(path.join(dir, CHECKPOINT_FILE));
  const out = backbone.variables.map((v) => v.variable.dataSync() as Float32Array);
  backbone.dispose();
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('COURIER trainer on the coloured-squares fixture', () => {
  beforeAll(async () => {
    await initBackend({ log: () => {} });
  });

  it('learns the hidden look: loss falls, neighbours share the group far more than at initialisation; no-contrast collapses', async () => {
    const steps = 60;
    const init = await createInitialBackbone(config());
    const e0 = await exportEmbeddings({ backbone: init, items: fixture.items, progress: false });
    init.dispose();
    const full = await trainCourier({ config: config({ steps }), samples: arraySamples(fixture.samples), items: fixture.items, outDir: tmp('full'), progress: false });
    const e1 = await exportEmbeddings({ backbone: full.backbone, items: fixture.items, progress: false });
    full.dispose();
    const flat = await trainCourier({ config: config({ steps: 40, contrastive: false }), samples: arraySamples(fixture.samples), items: fixture.items, outDir: tmp('nocontrast'), progress: false });
    const e2 = await exportEmbeddings({ backbone: flat.backbone, items: fixture.items, progress: false });
    flat.dispose();

    const chance = chanceAgreement(fixture.groupOf);
    const agree0 = neighbourAgreement(e0.vectors, D, fixture.groupOf);
    const agree1 = neighbourAgreement(e1.vectors, D, fixture.groupOf);
    const spread0 = embeddingSpread(e0.vectors, D);
    const spreadFull = embeddingSpread(e1.vectors, D);
    const spreadFlat = embeddingSpread(e2.vectors, D);
    // eslint-disable-next-line no-console
    console.log(JSON.stringify({ chance, agree0, agree1, spread0, spreadFull, spreadFlat, lossFirst: full.lossHistory.slice(0, 3), finalLoss: full.finalLoss, flatFinal: flat.finalLoss }));
    expect(full.steps).toBe(steps);
    expect(mean(full.lossHistory.slice(-10))).toBeLessThan(0.8 * mean(full.lossHistory.slice(0, 5)));
    // Chance is ~0.24 (4 groups); a random network, led by the background, scores ~0.45-0.55.
    expect(agree1).toBeGreaterThan(0.8);
    expect(agree1).toBeGreaterThan(agree0 + 0.3);
    // w/o Contrast: the 1 - cos objective is minimised by mapping everything to one direction.
    expect(flat.finalLoss!).toBeLessThan(0.1);
    expect(spreadFlat).toBeLessThan(0.25 * spread0);
    expect(spreadFlat).toBeLessThan(0.25 * spreadFull);
    expect(spreadFull).toBeGreaterThan(0.15);
  });

  it('a killed run resumed from its checkpoint ends with the same weights as an uninterrupted one', async () => {
    const c = config({ steps: 9, checkpointEvery: 3, batchSize: 24, shuffleBuffer: 50 });
    const samples = arraySamples(fixture.samples.slice(0, 130)); // 6 batches per epoch: crosses an epoch boundary
    const straightDir = tmp('straight');
    const straight = await trainCourier({ config: c, samples, items: fixture.items, outDir: straightDir, progress: false });
    straight.dispose();
    const resumedDir = tmp('resumed');
    const first = await trainCourier({ config: c, samples, items: fixture.items, outDir: resumedDir, progress: false, stopAfterSteps: 5 });
    expect(first.stoppedEarly).toBe(true);
    first.dispose();
    const header = readCheckpoint(path.join(resumedDir, CHECKPOINT_FILE)).header;
    expect(header).toMatchObject({ step: 5, epoch: 0, position: 120, complete: false });
    const second = await trainCourier({ config: c, samples, items: fixture.items, outDir: resumedDir, progress: false });
    second.dispose();
    expect(second.resumedFrom).toBe(5);
    expect(second.steps).toBe(9);
    expect(second.finalLoss).toBeCloseTo(straight.finalLoss!, 5);
    const a = await weightsOf(straightDir);
    const b = await weightsOf(resumedDir);
    expect(b.length).toBe(a.length);
    let maxDiff = 0;
    a.forEach((w, i) => w.forEach((x, j) => (maxDiff = Math.max(maxDiff, Math.abs(x - b[i][j])))));
    expect(maxDiff).toBeLessThan(1e-5);
    // Training moved the weights well beyond that tolerance (the comparison is not vacuous).
    const init = await createInitialBackbone(c);
    const w0 = init.variables[0].variable.dataSync();
    init.dispose();
    expect(Math.max(...Array.from(w0, (x, j) => Math.abs(x - a[0][j])))).toBeGreaterThan(1e-3);
    // A changed training setting is never resumed: training starts over, and the log says why.
    const lines: string[] = [];
    const changed = await trainCourier({ config: { ...c, tau: 0.1 }, samples, items: fixture.items, outDir: resumedDir, progress: false, log: createLogger('t', { write: (l) => lines.push(l) }) });
    changed.dispose();
    expect(changed.resumedFrom).toBeNull();
    expect(changed.steps).toBe(9);
    expect(lines.join('\n')).toMatch(/not resuming .*trained with tau=0.05, the config says tau=0.1; training from scratch/);
  });

  describe('a checkpoint is resumed only by the run it belongs to', () => {
    const c = config({ steps: 9, checkpointEvery: 3, batchSize: 24, shuffleBuffer: 50 });
    const samples = arraySamples(fixture.samples.slice(0, 130));
    const capture = () => {
      const lines: string[] = [];
      return { lines, log: createLogger('t', { write: (l) => lines.push(l) }) };
    };
    async function killedAt5(fingerprint?: string, stopAfterSteps = 5): Promise<string> {
      const dir = tmp('fp');
      const first = await trainCourier({ config: c, samples, items: fixture.items, outDir: dir, progress: false, stopAfterSteps, fingerprint });
      first.dispose();
      return dir;
    }

    it('records its fingerprint; another fingerprint or --force (fresh) starts over, the same one resumes', async () => {
      const dir = await killedAt5('fp-a');
      expect(readCheckpoint(path.join(dir, CHECKPOINT_FILE)).header.fingerprint).toBe('fp-a');
      const other = capture();
      const b = await trainCourier({ config: c, samples, items: fixture.items, outDir: dir, progress: false, fingerprint: 'fp-b', log: other.log, stopAfterSteps: 2 });
      b.dispose();
      expect(b.resumedFrom).toBeNull();
      expect(b.steps).toBe(2);
      expect(other.lines.join('\n')).toMatch(/not resuming .*trained under fingerprint fp-a, this run's is fp-b .*training from scratch/);
      expect(readCheckpoint(path.join(dir, CHECKPOINT_FILE)).header.fingerprint).toBe('fp-b');
      const same = await trainCourier({ config: c, samples, items: fixture.items, outDir: dir, progress: false, fingerprint: 'fp-b' });
      same.dispose();
      expect(same.resumedFrom).toBe(2);
      const forced = capture();
      const f = await trainCourier({ config: c, samples, items: fixture.items, outDir: dir, progress: false, fingerprint: 'fp-b', fresh: true, log: forced.log });
      f.dispose();
      expect(f.resumedFrom).toBeNull();
      expect(f.steps).toBe(9);
      expect(forced.lines.join('\n')).toMatch(/not resuming .*a fresh start was asked for/);
    });

    it('a checkpoint at step 5 is not resumed by a run of fewer steps (no "step 5/3")', async () => {
      const dir = await killedAt5();
      const r = await trainCourier({ config: { ...c, steps: 3 }, samples, items: fixture.items, outDir: dir, progress: false });
      r.dispose();
      expect(r.resumedFrom).toBeNull();
      expect(r.steps).toBe(3);
    });

    it('a checkpoint position beyond the new sample count starts over instead of looping forever', async () => {
      const dir = await killedAt5(); // epoch 0, position 120
      const few = capture();
      const r = await trainCourier({ config: c, samples: arraySamples(fixture.samples.slice(0, 40)), items: fixture.items, outDir: dir, progress: false, log: few.log });
      r.dispose();
      expect(r.resumedFrom).toBeNull();
      expect(r.steps).toBe(9);
      expect(few.lines.join('\n')).toMatch(/not resuming .*position 120 of epoch 0, but the samples hold only 40 valid samples/);
      // Without a fingerprint only the shape of the position is checked: 125 samples still make 6 batches.
      const dir2 = await killedAt5();
      const r2 = await trainCourier({ config: c, samples: arraySamples(fixture.samples.slice(0, 125)), items: fixture.items, outDir: dir2, progress: false });
      r2.dispose();
      expect(r2.resumedFrom).toBe(5); // 125 samples: still 6 batches of 24, position 120 is valid
      const dir3 = await killedAt5(undefined, 7); // epoch 1, position 24
      const r3 = await trainCourier({ config: c, samples: arraySamples(fixture.samples.slice(0, 150)), items: fixture.items, outDir: dir3, progress: false });
      r3.dispose();
      expect(r3.resumedFrom).toBeNull(); // 150 samples: 7 batches per epoch, so step 7 cannot be at epoch 1, position 24
    }, 60000);

    it('a sample source that stops yielding mid-training is an error, not an endless loop', async () => {
      let opens = 0;
      const shrinking = { name: 'shrinking', open: () => (opens++ < 2 ? samples.open() : arraySamples([]).open()) };
      await expect(trainCourier({ config: c, samples: shrinking, items: fixture.items, outDir: tmp('shrink'), progress: false })).rejects.toThrow(
        /pretrain: epoch 0 from position 0 of shrinking yields no batch \(130 valid samples\); training makes no progress/,
      );
    }, 30000);
  });

  it('encoding each distinct image once per batch gives the same loss with fewer encodes', async () => {
    const samples = arraySamples(fixture.samples.slice(0, 64));
    const losses: number[] = [];
    const encoded: number[] = [];
    for (const dedupeImages of [true, false]) {
      const r = await trainCourier({ config: config({ steps: 1, batchSize: 64, dedupeImages }), samples, items: fixture.items, outDir: tmp('dedupe'), progress: false });
      losses.push(r.lossHistory[0]);
      encoded.push(r.imagesEncoded);
      expect(r.imageSlots).toBe(fixture.samples.slice(0, 64).reduce((s, x) => s + x.pvMask.filter(Boolean).length + x.clickMask.filter(Boolean).length, 0));
      r.dispose();
    }
    expect(losses[0]).toBeCloseTo(losses[1], 4);
    expect(encoded[1]).toBe(planBatch(fixture.samples.slice(0, 64), false).slots);
    expect(encoded[0]).toBeLessThan(0.6 * encoded[1]);
  });

  it('rejects samples with unknown items (rejects.jsonl), exports every catalogue item, and leaks no tensors per step', async () => {
    const bad = { ...fixture.samples[0], sessionId: 999999, pvItemIds: [123456, ...fixture.samples[0].pvItemIds.slice(1)] };
    const out = tmp('export');
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const r = await trainCourier({
      config: config({ steps: 3, projectionHead: true }),
      samples: arraySamples([bad, ...fixture.samples.slice(0, 60)]),
      items: fixture.items,
      outDir: out,
      progress: false,
      onStep: () => counts.push(tf.memory().numTensors),
    });
    expect(counts[2]).toBe(counts[1]);
    expect(r.rejectedSamples).toBe(1);
    expect(fs.readFileSync(path.join(out, REJECTS_FILE), 'utf8')).toMatch(/"row":0,"sessionId":999999,"reason":"PV item 123456 is not in the catalogue"/);
    const file = path.join(out, 'embeddings.arrow');
    await exportEmbeddings({ backbone: r.backbone, items: fixture.items, file, batchSize: 50, progress: false });
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const table = readVectorTable(file);
    expect(Array.from(table.ids)).toEqual(fixture.itemIds); // including items no sample shows
    expect(table.dim).toBe(D);
    expect(table.metadata).toMatchObject({ method: 'courier', normalized: 'true', backbone: 'mlp-pixels' });
    for (let i = 0; i < table.ids.length; i++) {
      let s = 0;
      for (let c = 0; c < D; c++) s += table.vectors[i * D + c] ** 2;
      expect(Math.sqrt(s)).toBeCloseTo(1, 4);
    }
  });
});
