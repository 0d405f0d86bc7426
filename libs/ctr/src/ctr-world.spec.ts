/**
 * The same planted-signal check on the shared synthetic world (@courier/world tiny preset,
 * samples from @courier/data-builder): the world's oracle embeddings (the hidden look as a
 * vector, in the vector mode with target-history products) raise AUC and GAUC when clicks depend
 * on looks, and do not when the world's visual signal is 0.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSamples } from '@courier/data-builder';
import { createLogger, initBackend } from '@courier/runtime';
import { makeTinyWorld } from '@courier/world/testing';
import { loadCatalogue, loadCtrSamples, loadImageFeatures, resolveCtrConfig, runCtrExperiment } from './index';

// Two fixed epochs on both CTR days (no validation day: the tiny world has only two CTR days).
// The id sizes are the ones the thresholds below were recorded with (the defaults until the demo
// world's validation day chose 1 and 1, issue #16; on this tiny world of short histories the
// oracle's GAUC gain with those is 0.007, under the threshold).
const config = resolveCtrConfig({ maxHistory: 10, itemIdDim: 16, userDim: 8, attentionDim: 16, mlp: [32], learningRate: 2e-3, batchSize: 128, epochs: 2, validationDays: 0 });
let tmp: string;

beforeAll(async () => {
  await initBackend({ log: () => undefined });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ctr-world-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function oracleGain(visualSignal: number) {
  // 250 users instead of the preset's 100: the CTR model needs ~10k training rows to learn at all.
  const world = await makeTinyWorld(7, { visualSignal, nUsers: 250 });
  const out = path.join(tmp, `samples-${visualSignal}`);
  await buildSamples({ worldDir: world, outDir: out, seed: 1, log: createLogger('data', { level: 'warn' }) });
  const catalogue = await loadCatalogue(path.join(world, 'items.parquet'));
  const data = await loadCtrSamples(path.join(out, 'ctr-samples.parquet'), catalogue, { maxHistory: config.maxHistory });
  const image = await loadImageFeatures(catalogue, { mode: 'vector', embeddingsFile: path.join(world, 'oracle-embeddings.arrow') });
  const info = JSON.parse(fs.readFileSync(path.join(world, 'world.json'), 'utf8')) as { categories: { name: string; inPretraining: boolean }[] };
  const inPre = new Set(info.categories.filter((c) => c.inPretraining).map((c) => c.name));
  const { report } = runCtrExperiment({ catalogue, data, featureSets: [{ name: 'oracle', image }], seeds: [1], config, inPretraining: (c) => inPre.has(c) });
  // eslint-disable-next-line no-console -- the numbers are the point of this test
  console.log(`tiny world, visual signal ${visualSignal}: train ${data.train.n} eval ${data.eval.n} rows; baseline AUC ${report.baseline.auc.toFixed(4)} GAUC ${report.baseline.gauc.toFixed(4)}; oracle vector dAUC ${report.methods[0].deltaAuc.toFixed(4)} dGAUC ${report.methods[0].deltaGauc.toFixed(4)}`);
  expect(report.methods[0].perCategory.some((c) => c.inPretraining)).toBe(true);
  return report.methods[0];
}

// Two worlds, samples and four CTR trainings: ~1 min on the 2-core machine with native kernels.
// The effect on a tiny world is small and config-sensitive (recorded 2026-12-02: signal +0.016 AUC /
// +0.012 GAUC, control -0.003 / -0.002 with this config; as simscore the GAUC gain was 0.008, too
// close to the threshold since position became a feature), so the thresholds are modest.
describe('tiny world (makeTinyWorld + buildSamples)', () => {
  it('oracle look as a vector raises AUC and GAUC; with visual signal 0 it does not', async () => {
    const s = await oracleGain(2);
    const c = await oracleGain(0);
    expect(s.deltaAuc).toBeGreaterThan(0);
    expect(s.deltaGauc).toBeGreaterThan(0.01);
    expect(Math.abs(c.deltaAuc)).toBeLessThan(0.02);
    expect(Math.abs(c.deltaGauc)).toBeLessThan(0.02);
    expect(s.deltaGauc - c.deltaGauc).toBeGreaterThan(0.01);
  }, 600_000);
});
