import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CtrReport } from '@courier/data-contracts';
import { createLogger, initBackend, resolveConfig } from '@courier/runtime';
import { evaluateChecks, validateSuiteReport } from '@courier/report';
import { EXPERIMENTS_CONFIG_SCHEMA, ExperimentsConfig, stageBudgets } from './presets';
import { ceilingFromCtrReport, rowsFromCtrReport, runSuite } from './runner';
import { SUITES, getSuite, selectVariants, selectWorlds, variantsOn } from './suites';
import { BASELINE_CONFIG_SCHEMA, BaselineConfig } from '@courier/baselines';
import { resolveWorldConfig } from '@courier/world';
import { evaluatePremise } from '@courier/report';
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
    expect(Object.keys(SUITES)).toEqual(['methods', 'ablations', 'batch-size', 'temperature', 'modes', 'projection-head', 'categories', 'maps', 'control', 'fidelity', 'premise']);
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

  it('premise (issue #19): five worlds on learnable patterns, the predictions\' roles, simclr-bg only where C0 and C3 need it', () => {
    const suite = getSuite('premise');
    expect(suite.worlds!.map((w) => w.tag)).toEqual(['nuisance0', 'nuisance0.5', 'nuisance1', 'control-nuisance1', 'swap-nuisance1']);
    expect(suite.worlds!.map((w) => w.overrides)).toEqual([
      { learnablePatterns: true, nuisance: 0 },
      { learnablePatterns: true, nuisance: 0.5 },
      { learnablePatterns: true, nuisance: 1 },
      { learnablePatterns: true, nuisance: 1, visualSignal: 0 },
      { learnablePatterns: true, nuisance: 1, tasteHue: 'background' },
    ]);
    // Every world resolves on the premise-bench preset (and tiny, the wiring check).
    for (const preset of ['premise-bench', 'tiny'] as const) for (const w of suite.worlds!) expect(resolveWorldConfig(preset, { overrides: w.overrides }).learnablePatterns).toBe(true);
    const tags = new Set(suite.worlds!.map((w) => w.tag));
    expect(Object.values(suite.premise!.worlds).every((t) => tags.has(t as string))).toBe(true);
    const names = new Set(suite.variants.map((v) => v.name));
    expect(Object.values(suite.premise!.methods).every((m) => names.has(m))).toBe(true);
    expect(variantsOn(suite, suite.worlds![0]).map((v) => v.name)).toEqual(['courier', 'simclr', 'simsiam']);
    expect(variantsOn(suite, suite.worlds![2]).map((v) => v.name)).toEqual(['courier', 'simclr', 'simsiam', 'simclr-bg']);
    const bg = suite.variants.find((v) => v.name === 'simclr-bg')!;
    expect(resolveConfig<BaselineConfig>(BASELINE_CONFIG_SCHEMA, { overrides: bg.baseline!, typedOverrides: true }).backgroundAugmentProb).toBe(0.8);
    // Plain SimCLR keeps the default: no background randomisation.
    expect(resolveConfig<BaselineConfig>(BASELINE_CONFIG_SCHEMA, { overrides: {} }).backgroundAugmentProb).toBe(0);
    expect(selectWorlds(suite, ['nuisance1']).worlds!.map((w) => w.tag)).toEqual(['nuisance1']);
    expect(() => selectWorlds(suite, ['nuisance2'])).toThrow(/suite premise has no world "nuisance2"; worlds: nuisance0, nuisance0.5/);
    expect(() => selectWorlds(getSuite('methods'), ['nuisance1'])).toThrow(/multi-world suites/);
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
    const html = fs.readFileSync(first.files.html, 'utf8');
    expect(html).toContain('id="chart-main"');
    // Galleries per method (issue #22): clusters and neighbours of each embedding, thumbnails inlined.
    expect(html).toContain('id="method-galleries"');
    for (const name of ['courier', 'clip']) for (const id of ['cluster-gallery', 'neighbours']) expect(html).toContain(`id="${name}-${id}"`);
    expect(html).toMatch(/<img class="thumb" src="data:image\/png;base64,/);
    const galleries = JSON.parse(fs.readFileSync(path.join(path.dirname(first.files.json), 'galleries.json'), 'utf8')) as { name: string; galleries: { clusters: unknown[]; neighbours: unknown[] } }[];
    expect(galleries.map((g) => g.name)).toEqual(['courier', 'clip']);
    for (const g of galleries) expect(g.galleries.clusters.length).toBeGreaterThan(0);
    // Probes of both embeddings (courier, clip) next to each other.
    expect((report.probes ?? []).map((p) => p.variant)).toEqual(['courier', 'clip']);
    expect(md).toContain('## Probes: nearest-neighbour agreement');

    const again = await runSuite({ suite: getSuite('methods'), config: config('methods', ['courier', 'clip']), log });
    expect(again.ran).toEqual([]);
    expect(again.reused.length).toBe(7);
    expect(again.report.rows).toEqual(first.report.rows);
  }, 120000);

  it('premise (issue #19): two worlds of one suite in fingerprinted folders, rows per world, simclr-bg only on nuisance 1, C3 computed, a rerun reuses every stage', async () => {
    const cfg = resolveConfig<ExperimentsConfig>(EXPERIMENTS_CONFIG_SCHEMA, {
      overrides: { suite: 'premise', preset: 'tiny', seeds: [1], out, variants: ['courier', 'simclr', 'simclr-bg'], worlds: ['nuisance0', 'nuisance1'], pretrainEpochs: 1, baselineEpochs: 1, ctrEpochs: 1, probeItems: 150, screenshot: false, ctr: { mlp: [16] }, world: { nUsers: 50 } },
    });
    const t0 = performance.now();
    const first = await runSuite({ suite: getSuite('premise'), config: cfg, log });
    const seconds = (performance.now() - t0) / 1000;
    // Per world: world, samples, 2 pre-trainings, 2 clusterings, 1 CTR; simclr-bg adds 2 on nuisance1.
    expect(first.ran.length).toBe(2 * 7 + 2);
    for (const tag of ['nuisance0', 'nuisance1']) expect(first.ran.some((d) => path.relative(out, d).startsWith(`tiny-seed1-${tag}${path.sep}world-`))).toBe(true);
    const report = JSON.parse(fs.readFileSync(first.files.json, 'utf8'));
    validateSuiteReport(report);
    expect(report.rows.map((r: { variant: string }) => r.variant).sort()).toEqual(
      ['courier@nuisance0', 'simclr@nuisance0', 'courier@nuisance1', 'simclr@nuisance1', 'simclr-bg@nuisance1'].sort(),
    );
    // Each world's rows come from its own CTR report, which evaluated that world's pre-training.
    for (const row of report.rows) {
      const tag = row.variant.split('@')[1];
      expect(path.relative(out, row.ctrReport).startsWith(`tiny-seed1-${tag}${path.sep}ctr${path.sep}premise-`)).toBe(true);
      const ctr = JSON.parse(fs.readFileSync(row.ctrReport, 'utf8')) as CtrReport;
      expect(ctr.methods.find((m) => m.name === row.ctrMethod)!.embeddings).toBe(path.join(row.pretrainDir as string, 'embeddings.arrow'));
    }
    // simclr-bg ran with the augmentation, plain SimCLR without.
    const cfgOf = (v: string) => JSON.parse(fs.readFileSync(path.join(report.rows.find((r) => r.variant === v)!.pretrainDir as string, 'run.json'), 'utf8')).config;
    expect(JSON.stringify(cfgOf('simclr-bg@nuisance1'))).toContain('"backgroundAugmentProb":0.8');
    expect(JSON.stringify(cfgOf('simclr@nuisance1'))).toContain('"backgroundAugmentProb":0');
    expect(report.ceilings!.map((c) => c.world)).toEqual(['nuisance0', 'nuisance1']);
    expect(new Set(report.probes!.map((p) => p.variant)).size).toBe(5);
    // Verdicts: C3 computed (one seed: sign only); C0 (no control world), C1 (no simsiam), C2 (no swap world) not run.
    const verdicts = evaluatePremise(report)!;
    expect(verdicts.map((v) => `${v.id}:${v.verdict === 'not-run' ? 'not-run' : 'computed'}`)).toEqual(['C0:not-run', 'C1:not-run', 'C2:not-run', 'C3:computed']);
    expect(verdicts[3].signOnly).toBe(true);
    expect(verdicts[3].perMetric[0].quantities.map((q) => q.summary.n)).toEqual([1, 1, 1]);
    const md = fs.readFileSync(first.files.markdown, 'utf8');
    expect(md).toContain('## Premise predictions (PREDICTIONS.md)');
    expect(md).toContain('| simclr-bg | – | ');
    // eslint-disable-next-line no-console
    console.log(`premise wiring check: ${first.ran.length} stages in ${seconds.toFixed(1)} s`);

    const again = await runSuite({ suite: getSuite('premise'), config: cfg, log });
    expect(again.ran).toEqual([]);
    expect(again.reused.length).toBe(first.ran.length);
    expect(again.report.rows).toEqual(first.report.rows);
  }, 180000);

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
