import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CtrReport, validateCtrReport } from '@courier/data-contracts';
import { isUpToDate, markDone, sourceHash, stageFingerprint } from '@courier/io';
import { renderHtmlReport } from './html-report';
import { formatTable } from './pipeline';
import { pipelineFeatureSets } from './ctr-stage';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'courier-pipeline-'));

describe('stage fingerprints', () => {
  it('change with config, seed, upstream and code, and mark a stage done only with run.json', () => {
    const base = { config: { k: 64 }, seed: 1, upstream: [], code: 'abc' };
    const fp = stageFingerprint('clusters', base);
    expect(stageFingerprint('clusters', { ...base })).toEqual(fp);
    expect(stageFingerprint('clusters', { ...base, config: { k: 65 } }).hash).not.toBe(fp.hash);
    expect(stageFingerprint('clusters', { ...base, seed: 2 }).hash).not.toBe(fp.hash);
    expect(stageFingerprint('clusters', { ...base, code: 'abd' }).hash).not.toBe(fp.hash);
    expect(stageFingerprint('clusters', { ...base, upstream: [{ stage: 'pretrain', hash: 'x' }] }).hash).not.toBe(fp.hash);

    const dir = tmp();
    expect(isUpToDate(dir, fp)).toBe(false);
    markDone(dir, fp);
    expect(isUpToDate(dir, fp)).toBe(false); // no run.json: the stage never finished
    fs.writeFileSync(path.join(dir, 'run.json'), '{}');
    expect(isUpToDate(dir, fp)).toBe(true);
    expect(isUpToDate(dir, stageFingerprint('clusters', { ...base, seed: 3 }))).toBe(false);
  });

  it('hashes source files but not specs', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'a.ts'), 'export const a = 1;\n');
    const h1 = sourceHash([dir]);
    fs.writeFileSync(path.join(dir, 'a.spec.ts'), 'test');
    expect(sourceHash([dir])).toBe(h1);
    fs.writeFileSync(path.join(dir, 'a.ts'), 'export const a = 2;\n');
    expect(sourceHash([dir])).not.toBe(h1);
  });
});

const report: CtrReport = {
  contract: 'ctr-report',
  version: 1,
  baseline: { auc: 0.6, gauc: 0.55, gaucWeighted: 0.56, curves: [{ seed: 1, bestEpoch: 2, points: [1, 2, 3].map((epoch) => ({ epoch, loss: 0.4, validationAuc: 0.6 + 0.01 * (epoch % 3), validationGauc: 0.6 })) }] },
  ceiling: {
    available: true,
    note: null,
    rows: 100,
    source: 'click-truth.parquet',
    bayes: { auc: 0.7, gauc: 0.68 },
    noLook: { auc: 0.6, gauc: 0.58 },
    noPosition: { auc: 0.65, gauc: 0.64 },
    lookHeadroom: { auc: 0.1, gauc: 0.1 },
  },
  methods: [
    {
      name: 'courier',
      embeddings: 'e.arrow',
      mode: 'cluster-id',
      auc: 0.62,
      gauc: 0.56,
      gaucWeighted: 0.57,
      deltaAuc: 0.02,
      deltaGauc: 0.01,
      seeds: [1, 2],
      perSeed: [
        { seed: 1, auc: 0.61, gauc: 0.55 },
        { seed: 2, auc: 0.63, gauc: 0.57 },
      ],
      perCategory: [
        { category: 'dress', auc: 0.7, deltaAuc: 0.03, inPretraining: true },
        { category: 'mug', auc: 0.6, deltaAuc: -0.01, inPretraining: false },
      ],
      headroomShare: { auc: 0.2, gauc: 0.1 },
    },
  ],
};

describe('reports', () => {
  it('the fixture is a valid ctr-report', () => {
    expect(() => validateCtrReport(report)).not.toThrow();
  });

  it('prints the table with signed deltas', () => {
    const table = formatTable(report);
    expect(table).toMatch(/baseline \(no image\)\s+none\s+0\.6000\s+0\.5500/);
    expect(table).toMatch(/courier\s+cluster-id\s+0\.6200\s+0\.5600\s+\+2\.00%\s+\+1\.00%\s+20%\s+10%/);
    expect(table).toMatch(/Bayes \(true p, ceiling\)\s+truth\s+0\.7000\s+0\.6800/);
    expect(table).toMatch(/Bayes without the look\s+truth\s+0\.6000/);
    const without = formatTable({ ...report, ceiling: { ...report.ceiling as object, available: false, note: 'no ground truth' } });
    expect(without).not.toMatch(/Bayes/);
    expect(without).toMatch(/no ceiling rows: no ground truth/);
  });

  it('renders a self-contained page with one chart per figure and escaped text', () => {
    const html = renderHtmlReport({ report: { ...report, methods: [{ ...report.methods[0], name: 'a<b' }, report.methods[0]] }, outDir: '/runs/x', stageSeconds: { world: 1.5 }, title: 'T' });
    expect(html).not.toMatch(/<script|(src|href)="https?:/);
    // ΔAUC, ΔGAUC, per category, validation curve.
    expect(html.match(/<svg /g)?.length).toBe(4);
    expect(html).toContain('Bayes: true click probability (ceiling)');
    expect(html).toContain('id="validation-curve"');
    expect(html).toContain('a&lt;b');
    expect(html).toContain('+2.00%');
    expect(html).toContain('dress');
  });

  it('compares COURIER in every requested mode plus the oracle in the same modes', () => {
    const sets = pipelineFeatureSets({ embeddingsFile: 'e', assignmentsFile: 'a', oracleFile: 'o', oracleClustersFile: 'oc', modes: ['cluster-id', 'vector'] });
    expect(sets).toEqual([
      { name: 'courier', mode: 'cluster-id', embeddings: 'e', clusters: 'a' },
      { name: 'courier-vector', mode: 'vector', embeddings: 'e', clusters: null },
      { name: 'oracle', mode: 'cluster-id', embeddings: null, clusters: 'oc' },
      { name: 'oracle-vector', mode: 'vector', embeddings: 'o', clusters: null },
    ]);
    // Centroid-initialised cluster embeddings need the oracle's vectors next to its ready-made groups.
    const withCentroids = pipelineFeatureSets({ embeddingsFile: 'e', assignmentsFile: 'a', oracleFile: 'o', oracleClustersFile: 'oc', modes: ['cluster-id'] }, 'centroids');
    expect(withCentroids[1]).toEqual({ name: 'oracle', mode: 'cluster-id', embeddings: 'o', clusters: 'oc' });
  });
});
