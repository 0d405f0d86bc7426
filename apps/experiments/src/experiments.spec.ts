import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CtrReport } from '@courier/data-contracts';
import { createLogger, initBackend, resolveConfig } from '@courier/runtime';
import { evaluateChecks, validateSuiteReport } from '@courier/report';
import { EXPERIMENTS_CONFIG_SCHEMA, ExperimentsConfig, stageBudgets } from './presets';
import { ceilingFromCtrReport, rowsFromCtrReport, runSuite } from './runner';
import { SUITES, getSuite, selectVariants } from './suites';
import { PRETRAIN_CONFIG_SCHEMA, PretrainConfig, validatePretrainConfig } from '@courier/courier';
import { DATA_BUILDER_SCHEMA } from '@courier/data-builder';
import { neighbourAgreement } from './maps';
import { knnAgreement, probeEmbeddings } from './probes';
import { Rng } from '@courier/runtime';
import { makeTinyWorld } from '@courier/world/testing';

describe('suites', () => {
  it('every check names variants of its suite, and sweeps give every variant a param', () => {
    for (const suite of Object.values(SUITES)) {
      const names = new Set(suite.variants.map((v) => v.name));
      expect(names.size).toBe(suite.variants.length);
      for (const c of suite.checks) {
        const used = c.kind === 'order' ? [c.a, c.b] : c.kind === 'best' ? [...c.variants, c.expected] : [c.a];
        for (const u of used) expect(names.has(u)).toBe(true);
      }
      if (suite.layout === 'sweep') for (const v of suite.variants) expect(typeof v.param).toBe('number');
      expect(suite.ctr || (suite.maps?.length ?? 0) > 0).toBe(true);
    }
    expect(Object.keys(SUITES)).toEqual(['methods', 'ablations', 'batch-size', 'temperature', 'modes', 'projection-head', 'categories', 'maps', 'control', 'fidelity']);
    expect(getSuite('control').world?.overrides).toEqual({ visualSignal: 0 });
  });

  it('the oracle is a cluster-id variant (`oracle`) of methods, modes and control; modes has it in all three modes', () => {
    const oracle = (suite: string) => getSuite(suite).variants.filter((v) => v.method === 'oracle').map((v) => `${v.name}:${v.mode}`);
    expect(oracle('methods')).toEqual(['oracle:cluster-id']);
    expect(oracle('modes')).toEqual(['oracle:cluster-id', 'oracle-simscore:simscore', 'oracle-vector:vector']);
    expect(oracle('control')).toEqual(['oracle:cluster-id', 'oracle-vector:vector']);
    // Control: near-zero checks for the oracle cluster id (and, as before, for the vector), both metrics.
    const nearZero = getSuite('control').checks.filter((c) => c.kind === 'near-zero').map((c) => `${(c as { a: string }).a}:${c.kind === 'near-zero' ? c.metric : ''}`);
    expect(nearZero).toEqual(expect.arrayContaining(['oracle:deltaAuc', 'oracle:deltaGauc', 'oracle-vector:deltaAuc', 'oracle-vector:deltaGauc', 'courier:deltaAuc', 'courier:deltaGauc']));
    // Methods and modes keep their checks (none about the oracle).
    for (const s of ['methods', 'modes']) expect(getSuite(s).checks.some((c) => JSON.stringify(c).includes('oracle'))).toBe(false);
  });

  it('fidelity (issue #18): every variant resolves and validates; init sources come earlier and are pulled in by --variants', () => {
    const suite = getSuite('fidelity');
    const seen = new Set<string>();
    for (const v of suite.variants) {
      if (v.method === 'courier') {
        const cfg = resolveConfig<PretrainConfig>(PRETRAIN_CONFIG_SCHEMA, { overrides: { ...(v.pretrain ?? {}) }, typedOverrides: true, where: v.name });
        validatePretrainConfig(cfg);
        if (v.data) resolveConfig(DATA_BUILDER_SCHEMA, { overrides: v.data, typedOverrides: true, where: v.name });
      }
      if (v.initFromVariant) expect(seen.has(v.initFromVariant)).toBe(true);
      seen.add(v.name);
    }
    const authors = suite.variants.find((v) => v.name === 'authors-code')!.pretrain!;
    expect(authors).toMatchObject({ ctrHeadWeight: 1, attentionProjections: true, heads: 4, ucsTemperature: 20, ucsTarget: 'first' });
    expect(suite.variants.find((v) => v.name === 'paper-text')!.pretrain).toBeUndefined();
    expect(suite.variants.find((v) => v.name === 'keep-all-negatives')!.data).toEqual({ negativeRate: 1 });
    expect(selectVariants(suite, ['paper-text', 'init-supervised']).variants.map((v) => v.name)).toEqual(['paper-text', 'supervised', 'init-supervised']);
  });

  it('names unknown suites and variants', () => {
    expect(() => getSuite('method')).toThrow(/unknown suite "method"; suites: methods, ablations/);
    expect(() => selectVariants(getSuite('methods'), ['courier', 'simclrr'])).toThrow(/suite methods has no variant "simclrr"; variants: courier, simclr/);
    expect(selectVariants(getSuite('maps'), ['courier']).maps).toEqual(['courier']);
  });

  it('flags and shortcuts override the preset budgets', () => {
    const config = resolveConfig<ExperimentsConfig>(EXPERIMENTS_CONFIG_SCHEMA, { overrides: { suite: 'methods', preset: 'tiny', seeds: '4,5', 'ctr-epochs': '1', pretrain: '{epochs: 3, tau: 0.1}' } });
    expect(config.seeds).toEqual([4, 5]);
    const b = stageBudgets(config);
    expect(b.ctr.epochs).toBe(1);
    expect(b.pretrain).toEqual({ epochs: 3, lr: 0.001, batchSize: 32, tau: 0.1 });
    expect(() => resolveConfig(EXPERIMENTS_CONFIG_SCHEMA, { overrides: { sede: '1' } })).toThrow(/sede/);
  });

  it('neighbour agreement is 1 for separated labels and near chance for mixed ones', () => {
    const pts = Array.from({ length: 40 }, (_, i) => ({ x: i < 20 ? i * 0.01 : 100 + i * 0.01, y: 0 }));
    expect(neighbourAgreement(pts, pts.map((_, i) => (i < 20 ? 'a' : 'b')), 5)).toBe(1);
    expect(neighbourAgreement(pts, pts.map((_, i) => (i % 2 ? 'a' : 'b')), 5)).toBeLessThan(0.7);
  });
});

describe('probes: nearest-neighbour agreement on taste and nuisance attributes (issue #19)', () => {
  it('planted: embeddings equal to one-hot hue region agree 1 on hue and about chance on merchant and pattern', () => {
    const n = 400;
    const rng = new Rng(3);
    const hue = Int32Array.from({ length: n }, (_, i) => i % 8);
    const merchant = Int32Array.from({ length: n }, () => rng.int(40));
    const pattern = Int32Array.from({ length: n }, () => rng.int(5));
    const vectors = new Float32Array(n * 8);
    hue.forEach((h, i) => (vectors[i * 8 + h] = 1));
    const { agreement, chance } = knnAgreement(vectors, 8, { hueRegion: hue, merchant, pattern }, 5);
    expect(agreement.hueRegion).toBe(1);
    expect(chance.hueRegion).toBeCloseTo((8 * 50 * 49) / (400 * 399), 10);
    expect(Math.abs(agreement.merchant - chance.merchant)).toBeLessThan(0.02);
    expect(Math.abs(agreement.pattern - chance.pattern)).toBeLessThan(0.05);
    expect(() => knnAgreement(vectors, 8, { hueRegion: hue.slice(1) })).toThrow(/labels "hueRegion" has 399 entries, expected 400/);
  });

  it('the world\'s oracle embedding (the hidden look) agrees on hue region and pattern, not on merchant or background', async () => {
    const dir = await makeTinyWorld(7, { nuisance: 1, renderImages: false });
    const row = probeEmbeddings({ name: 'oracle', seed: 1, embeddingsFile: path.join(dir, 'oracle-embeddings.arrow'), worldDir: dir, maxItems: 300 });
    expect(row.items).toBe(300);
    expect(row.nuisance).toBe(1);
    expect(row.agreement.hueRegion).toBeGreaterThan(0.9);
    expect(row.agreement.pattern).toBeGreaterThan(0.8);
    expect(row.agreement.merchant as number).toBeLessThan((row.chance.merchant as number) + 0.04);
    expect(row.agreement.background as number).toBeLessThan((row.chance.background as number) + 0.06);
  });
});

describe('rows from a CTR report', () => {
  it('takes the seed\'s numbers and the row-weighted pre-training-category delta', () => {
    const report = {
      contract: 'ctr-report',
      version: 1,
      baseline: { auc: 0.6, gauc: 0.55, gaucWeighted: 0.5, perSeed: [{ seed: 3, auc: 0.6, gauc: 0.55 }] },
      methods: [
        {
          name: 'courier',
          embeddings: 'e',
          mode: 'cluster-id',
          auc: 0.62,
          gauc: 0.56,
          gaucWeighted: 0.5,
          deltaAuc: 0.02,
          deltaGauc: 0.01,
          seeds: [3],
          perSeed: [{ seed: 3, auc: 0.62, gauc: 0.56 }],
          perCategory: [
            { category: 'dress', auc: 0.7, deltaAuc: 0.04, inPretraining: true, rows: 300 },
            { category: 'skirt', auc: 0.7, deltaAuc: 0.0, inPretraining: true, rows: 100 },
            { category: 'mug', auc: 0.7, deltaAuc: -0.01, inPretraining: false, rows: 100 },
          ],
        },
      ],
    } as unknown as CtrReport;
    const [row] = rowsFromCtrReport(report, '/r/ctr-report.json', 3, [{ name: 'courier', description: '', method: 'courier', mode: 'cluster-id' }], new Map([['courier', '/r/pre']]));
    expect(row.deltaAuc).toBeCloseTo(0.02, 12);
    expect(row.deltaGauc).toBeCloseTo(0.01, 12);
    expect(row.deltaAucPretrainCats).toBeCloseTo(0.03, 12);
    expect(row.pretrainDir).toBe('/r/pre');
    expect(() => rowsFromCtrReport(report, '/r/ctr-report.json', 3, [{ name: 'simclr', description: '', method: 'simclr', mode: 'cluster-id' }], new Map())).toThrow(/ctr-report\.json: no method "simclr"/);
    // A report from before ceilings and validation: no shares, no validation numbers, an unavailable ceiling row.
    expect(row.headroomShareAuc).toBeNull();
    expect(row.validationAuc).toBeNull();
    expect(ceilingFromCtrReport(report, '/r/ctr-report.json', 3)).toMatchObject({ seed: 3, available: false, bayes: { auc: null, gauc: null } });

    // With a ceiling (look headroom 0.05 AUC, 0.02 GAUC) and the seed's curve: shares per seed, validation at the best epoch.
    const withCeiling = JSON.parse(JSON.stringify(report));
    withCeiling.ceiling = { available: true, note: null, rows: 500, source: 'w/click-truth.parquet', bayes: { auc: 0.7, gauc: 0.6 }, noLook: { auc: 0.65, gauc: 0.58 }, noPosition: { auc: 0.69, gauc: 0.59 }, lookHeadroom: { auc: 0.05, gauc: 0.02 } };
    withCeiling.methods[0].validation = { auc: 0.9, gauc: 0.9, bestEpochs: [2] };
    withCeiling.methods[0].curves = [{ seed: 3, bestEpoch: 2, points: [{ epoch: 1, loss: 0.5, validationAuc: 0.61, validationGauc: 0.52 }, { epoch: 2, loss: 0.4, validationAuc: 0.63, validationGauc: 0.54 }, { epoch: 3, loss: 0.3, validationAuc: 0.62, validationGauc: 0.53 }] }];
    const [r2] = rowsFromCtrReport(withCeiling, '/r/ctr-report.json', 3, [{ name: 'courier', description: '', method: 'courier', mode: 'cluster-id' }], new Map());
    expect(r2.headroomShareAuc).toBeCloseTo(0.02 / 0.05, 12);
    expect(r2.headroomShareGauc).toBeCloseTo(0.01 / 0.02, 12);
    expect(r2.validationAuc).toBe(0.63);
    expect(r2.validationGauc).toBe(0.54);
    expect(ceilingFromCtrReport(withCeiling, '/r/ctr-report.json', 3)).toEqual({ seed: 3, available: true, note: null, bayes: { auc: 0.7, gauc: 0.6 }, noLook: { auc: 0.65, gauc: 0.58 }, noPosition: { auc: 0.69, gauc: 0.59 }, lookHeadroom: { auc: 0.05, gauc: 0.02 }, ctrReport: '/r/ctr-report.json' });
    // Without the seed's curve, the method's validation block (one seed in the report).
    delete withCeiling.methods[0].curves;
    expect(rowsFromCtrReport(withCeiling, '/r/ctr-report.json', 3, [{ name: 'courier', description: '', method: 'courier', mode: 'cluster-id' }], new Map())[0].validationAuc).toBe(0.9);
    // Control world: no look headroom, so no share.
    withCeiling.ceiling.lookHeadroom = { auc: 0, gauc: 1e-9 };
    const [r3] = rowsFromCtrReport(withCeiling, '/r/ctr-report.json', 3, [{ name: 'courier', description: '', method: 'courier', mode: 'cluster-id' }], new Map());
    expect([r3.headroomShareAuc, r3.headroomShareGauc]).toEqual([null, null]);
  });
});

describe('a suite end to end on the tiny preset', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-experiments-'));
  const log = createLogger('experiments-test');
  const config = (suite: string, variants: string[]): ExperimentsConfig =>
    resolveConfig<ExperimentsConfig>(EXPERIMENTS_CONFIG_SCHEMA, {
      overrides: { suite, preset: 'tiny', seeds: [1], out, variants, pretrainEpochs: 1, baselineEpochs: 1, ctrEpochs: 1, mapPoints: 120, screenshot: false, ctr: { mlp: [16] } },
    });
  beforeAll(async () => {
    await initBackend();
  });

  it('methods (COURIER vs CLIP): report numbers match the run folders it names; a rerun reuses every stage', async () => {
    const first = await runSuite({ suite: getSuite('methods'), config: config('methods', ['courier', 'clip']), log });
    // world, samples, 2 pre-trainings, 2 clusterings, 1 CTR evaluation
    expect(first.ran.length).toBe(7);
    const report = JSON.parse(fs.readFileSync(first.files.json, 'utf8'));
    validateSuiteReport(report);
    expect(report.rows.map((r: { variant: string }) => r.variant)).toEqual(['courier', 'clip']);
    const md = fs.readFileSync(first.files.markdown, 'utf8');
    for (const row of report.rows) {
      const pretrainDir = row.pretrainDir as string;
      // The numbers are those of the CTR report the row names...
      const ctr = JSON.parse(fs.readFileSync(row.ctrReport, 'utf8')) as CtrReport;
      const m = ctr.methods.find((x) => x.name === row.ctrMethod)!;
      const seedRun = m.perSeed.find((p) => p.seed === 1)!;
      const base = (ctr.baseline.perSeed as { seed: number; auc: number; gauc: number }[]).find((p) => p.seed === 1)!;
      expect(row.auc).toBe(seedRun.auc);
      expect(row.deltaAuc).toBeCloseTo(seedRun.auc - base.auc, 12);
      expect(row.deltaAuc).toBeCloseTo(m.deltaAuc, 12);
      expect(row.deltaGauc).toBeCloseTo(m.deltaGauc, 12);
      // ...which evaluated the embeddings of the pre-training folder the row names.
      expect(m.embeddings).toBe(path.join(pretrainDir, 'embeddings.arrow'));
      expect(fs.existsSync(path.join(pretrainDir, 'run.json'))).toBe(true);
      // The Markdown prints the row with its folders.
      const rel = (p: string) => path.relative(out, p);
      expect(md).toContain(`| ${row.variant} | 1 | ${row.auc.toFixed(4)} | ${row.gauc.toFixed(4)} | ${row.baselineAuc.toFixed(4)} |`);
      expect(md).toContain(`\`${rel(row.ctrReport)}\` (${row.variant}) | \`${rel(pretrainDir)}\` |`);
    }
    // Checks: the ones naming variants that did not run say so; the others are evaluated.
    const checks = evaluateChecks(report);
    expect(checks.filter((c) => c.status === 'missing').length).toBe(8); // simclr, simsiam, maskclip, supervised x 2 metrics
    expect(checks.filter((c) => c.status !== 'missing').length).toBe(4);
    expect(fs.readFileSync(first.files.html, 'utf8')).toContain('id="chart-main"');
    // Probes of both embeddings (courier, clip) next to each other.
    expect((report.probes ?? []).map((p) => p.variant)).toEqual(['courier', 'clip']);
    expect(md).toContain('## Probes: nearest-neighbour agreement');

    const again = await runSuite({ suite: getSuite('methods'), config: config('methods', ['courier', 'clip']), log });
    expect(again.ran).toEqual([]);
    expect(again.reused.length).toBe(7);
    expect(again.report.rows).toEqual(first.report.rows);
  }, 120000);

  it('maps reuse the COURIER pre-training and map every sampled item with its ground-truth labels', async () => {
    const res = await runSuite({ suite: getSuite('maps'), config: config('maps', ['courier', 'oracle']), log });
    expect(res.ran).toEqual([]); // world, samples and the COURIER run come from the previous test
    expect(res.report.maps.map((m) => m.name)).toEqual(['courier', 'oracle']);
    for (const m of res.report.maps) {
      expect(m.points.length).toBe(120);
      expect(m.points.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.category && p.style)).toBe(true);
      expect(m.neighbourAgreement!.category).toBeGreaterThan(0);
    }
    // Same sampled items in both maps.
    expect(res.report.maps[0].points.map((p) => p.itemId)).toEqual(res.report.maps[1].points.map((p) => p.itemId));
    // The oracle is the hidden look: its map groups the hidden style better than chance (6 styles).
    expect(res.report.maps[1].neighbourAgreement!.style).toBeGreaterThan(0.25);
  }, 60000);
});
