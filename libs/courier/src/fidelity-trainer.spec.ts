/**
 * Issue #18 in the trainer: the authors'-code options train end to end (their weights live in the
 * checkpoint, the CTR head's gradient reaches the backbone), same-item masking sees the batch's
 * item ids, and `initFrom` starts the backbone from another run's checkpoint (errors name the
 * problem; the source's content is part of the run's fingerprint).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createLogger, initBackend } from '@courier/runtime';
import { AUTHORS_CODE_PRESET, PRETRAIN_CONFIG_SCHEMA, PretrainConfig, defaultPretrainConfig } from './config';
import { makeSquaresFixture } from './fixture';
import { arraySamples, readCheckpoint, writeCheckpoint } from '@courier/nn';
import { CHECKPOINT_FILE, StepInfo, createInitialBackbone, loadBackboneFromCheckpoint, trainCourier, whyNotResumable } from './trainer';

const tmp = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `courier-fidelity-${label}-`));
const S = 12;
const D = 16;
const fixture = makeSquaresFixture({ seed: 2, imageSize: S });
const samples = arraySamples(fixture.samples.slice(0, 96));

function config(overrides: Partial<PretrainConfig> = {}): PretrainConfig {
  return defaultPretrainConfig({ backbone: 'mlp-pixels', backboneParams: { hidden: [32] }, dim: D, imageSize: S, batchSize: 32, lr: 3e-3, checkpointEvery: 0, seed: 3, ...overrides });
}

async function backboneWeights(dir: string): Promise<Float32Array[]> {
  const { backbone } = await loadBackboneFromCheckpoint(path.join(dir, CHECKPOINT_FILE));
  const out = backbone.variables.map((v) => v.variable.dataSync().slice() as Float32Array);
  backbone.dispose();
  return out;
}

const maxDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((w, i) => Math.max(...Array.from(w, (x, j) => Math.abs(x - b[i][j])))));

async function train(c: PretrainConfig, dir: string, extra: { fingerprint?: string; stopAfterSteps?: number; lines?: string[] } = {}) {
  const steps: StepInfo[] = [];
  const log = extra.lines ? createLogger('t', { write: (l) => extra.lines!.push(l) }) : createLogger('t', { level: 'warn' });
  const r = await trainCourier({ config: c, samples, items: fixture.items, outDir: dir, progress: false, log, fingerprint: extra.fingerprint, stopAfterSteps: extra.stopAfterSteps, onStep: (s) => steps.push(s) });
  return { r, steps };
}

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe("the authors'-code options in the trainer", () => {
  it('trains with the CTR head, projected 4-head attention, UCS tau 20 / first and same-item masking; their weights are checkpointed; no leak per step', async () => {
    const dir = tmp('authors');
    const counts: number[] = [];
    const c = config({ ...AUTHORS_CODE_PRESET, ctrHeadHidden: 8, maskSameItemNegatives: true, steps: 3 });
    const steps: StepInfo[] = [];
    const r = await trainCourier({
      config: c,
      samples,
      items: fixture.items,
      outDir: dir,
      progress: false,
      onStep: (s) => {
        counts.push(tf.memory().numTensors);
        steps.push(s);
      },
    });
    r.dispose();
    expect(r.steps).toBe(3);
    expect(steps.every((s) => Number.isFinite(s.loss) && s.lCtr > 0)).toBe(true);
    expect(counts[2]).toBe(counts[1]);
    const names = [...readCheckpoint(path.join(dir, CHECKPOINT_FILE)).tensors.keys()];
    for (const n of ['attention/query/kernel', 'attention/key/bias', 'attention/value/kernel', 'attention/output/kernel', 'ctr-head/hidden/kernel-r', 'ctr-head/hidden/kernel-e', 'ctr-head/out/bias']) {
      expect(names.some((x) => x.startsWith('model/') && x.endsWith(n))).toBe(true);
      expect(names.some((x) => x.startsWith('adam.m/') && x.endsWith(n))).toBe(true);
    }
    // Export needs only the backbone.
    const { backbone } = await loadBackboneFromCheckpoint(path.join(dir, CHECKPOINT_FILE));
    backbone.dispose();
  });

  it('reports the head loss and the masked negatives per step; the head\'s gradient reaches the backbone', async () => {
    const off = await train(config({ steps: 2 }), tmp('off'));
    const on = await train(config({ steps: 2, ctrHeadWeight: 1, ctrHeadHidden: 8 }), tmp('on'));
    const masked = await train(config({ steps: 2, maskSameItemNegatives: true }), tmp('masked'));
    for (const x of [off, on, masked]) x.r.dispose();
    expect(off.steps.every((s) => s.lCtr === 0 && s.numMaskedNegatives === 0)).toBe(true);
    // BCE of an untrained head near ln 2.
    expect(on.steps[0].lCtr).toBeGreaterThan(0.3);
    expect(on.steps[0].lCtr).toBeLessThan(1.5);
    // The same first batch: with the head the PV and UCS terms are the same, the total adds the head.
    expect(on.steps[0].lPv).toBeCloseTo(off.steps[0].lPv, 5);
    expect(on.steps[0].loss).toBeCloseTo(off.steps[0].loss + on.steps[0].lCtr, 4);
    // The second step differs: the first step's update of the backbone saw the head's gradient.
    expect(Math.abs(on.steps[1].lPv - off.steps[1].lPv)).toBeGreaterThan(1e-5);
    // The coloured-squares batches repeat items across page views: masking finds some.
    expect(masked.steps.some((s) => s.numMaskedNegatives > 0)).toBe(true);
    expect(masked.steps[0].lPv).not.toBeCloseTo(off.steps[0].lPv, 5);
  });

  it('a checkpoint written before the new keys existed is resumed as if they had their defaults', async () => {
    const dir = tmp('old-ckpt');
    const c = config({ steps: 4 });
    const { r } = await train(c, dir, { stopAfterSteps: 2 });
    r.dispose();
    const file = path.join(dir, CHECKPOINT_FILE);
    const ckpt = readCheckpoint(file);
    const header = { ...ckpt.header, config: { ...ckpt.header.config } };
    for (const k of ['attentionProjections', 'ucsTemperature', 'ucsWeight', 'ucsTarget', 'maskSameItemNegatives', 'ctrHeadWeight', 'ctrHeadHidden', 'initFrom']) delete header.config[k];
    const run = { config: c, validSamples: 96, totalSteps: 4, shape: { lPv: 5, lClick: 5 }, featureDim: 0 };
    expect(whyNotResumable(header, run, file)).toBeNull();
    expect(whyNotResumable(header, { ...run, config: { ...c, ctrHeadWeight: 1 } }, file)).toMatch(/trained with ctrHeadWeight=0, the config says ctrHeadWeight=1/);
    writeCheckpoint(file, { header, tensors: ckpt.tensors });
    const again = await train(c, dir);
    again.r.dispose();
    expect(again.r.resumedFrom).toBe(2);
    expect(PRETRAIN_CONFIG_SCHEMA.ctrHeadWeight.default).toBe(0);
  });
});

describe('initFrom', () => {
  let source: string;
  beforeAll(async () => {
    source = tmp('source');
    const { r } = await train(config({ steps: 4 }), source);
    r.dispose();
  });

  it("loads the source's backbone weights (a run with lr 1e-12 keeps them); without it the seeded init", async () => {
    const src = await backboneWeights(source);
    const dir = tmp('init');
    const lines: string[] = [];
    const { r } = await train(config({ steps: 1, lr: 1e-12, weightDecay: 0, initFrom: source, seed: 9 }), dir, { lines });
    r.dispose();
    expect(maxDiff(await backboneWeights(dir), src)).toBeLessThan(1e-7);
    expect(lines.join('\n')).toMatch(/backbone initialised from .*checkpoint\.ckpt/);
    const init = await createInitialBackbone(config({ seed: 9 }));
    const w0 = init.variables.map((v) => v.variable.dataSync().slice() as Float32Array);
    init.dispose();
    expect(maxDiff(w0, src)).toBeGreaterThan(1e-3);
    // The checkpoint file itself works as well as its folder.
    const dir2 = tmp('init-file');
    const second = await train(config({ steps: 1, lr: 1e-12, weightDecay: 0, initFrom: path.join(source, CHECKPOINT_FILE) }), dir2);
    second.r.dispose();
    expect(maxDiff(await backboneWeights(dir2), src)).toBeLessThan(1e-7);
  });

  it('errors clearly on a missing path, a folder without a checkpoint, an unreadable file or another backbone', async () => {
    const run = (c: Partial<PretrainConfig>) => trainCourier({ config: config({ steps: 1, ...c }), samples, items: fixture.items, outDir: tmp('bad'), progress: false });
    await expect(run({ initFrom: '/nonexistent/run' })).rejects.toThrow(/initFrom \/nonexistent\/run does not exist \(expected a checkpoint file, or a run folder holding checkpoint.ckpt or backbone.ckpt\)/);
    await expect(run({ initFrom: tmp('empty') })).rejects.toThrow(/initFrom folder .* holds neither checkpoint.ckpt \(COURIER run\) nor backbone.ckpt \(baseline run\)/);
    const junk = path.join(tmp('junk'), 'x.ckpt');
    fs.writeFileSync(junk, 'not a checkpoint');
    await expect(run({ initFrom: junk })).rejects.toThrow(/initFrom .*x.ckpt is not a readable checkpoint/);
    await expect(run({ initFrom: source, dim: 8 })).rejects.toThrow(/initFrom .* was trained with dim=16, this run has dim=8; the backbones are incompatible/);
    await expect(run({ initFrom: source, backboneParams: { hidden: [24] } })).rejects.toThrow(/trained with backboneParams=\{"hidden":\[32\]\}, this run has backboneParams=\{"hidden":\[24\]\}/);
  });

  it("the source's content is part of the fingerprint: a retrained source is never resumed from a stale checkpoint", async () => {
    const src = tmp('src2');
    (await train(config({ steps: 2 }), src)).r.dispose();
    const dir = tmp('fp');
    const c = config({ steps: 3, initFrom: src });
    (await train(c, dir, { fingerprint: 'stage-fp', stopAfterSteps: 1 })).r.dispose();
    const fp1 = readCheckpoint(path.join(dir, CHECKPOINT_FILE)).header.fingerprint;
    expect(fp1).toBeDefined();
    expect(fp1).not.toBe('stage-fp');
    // Same source: resumes.
    const same = await train(c, dir, { fingerprint: 'stage-fp', stopAfterSteps: 1 });
    same.r.dispose();
    expect(same.r.resumedFrom).toBe(1);
    // The source retrained (same path, other weights): starts over, and says why.
    (await train(config({ steps: 2, seed: 5 }), src)).r.dispose();
    const lines: string[] = [];
    const changed = await train(c, dir, { fingerprint: 'stage-fp', lines });
    changed.r.dispose();
    expect(changed.r.resumedFrom).toBeNull();
    expect(lines.join('\n')).toMatch(/not resuming .*trained under fingerprint .*training from scratch/);
  }, 60000);
});
