/**
 * A small synthetic SuiteReport (no training): for the renderer's tests and for trying the page.
 * The numbers are planted so that COURIER beats SimCLR clearly, SimSiam only within noise, and
 * CLIP beats COURIER (a disagreement the checks must report). With `ceiling` (the default) every
 * seed has a ceiling (look headroom 6 pp AUC, 4 pp GAUC), rows carry headroom shares and
 * validation-day AUC/GAUC, and in the sweep the validation day picks tau=0.1 while the evaluation
 * day has tau=0.05 best; `ceiling: false` gives a report as written before ceilings existed.
 */
import { CeilingRow, CheckSpec, EmbeddingMap, ExperimentRow, SuiteReport, VariantInfo } from './model';

export function syntheticSuiteReport(options: { layout?: SuiteReport['layout']; seeds?: number[]; withMaps?: boolean; runsDir?: string; ceiling?: boolean } = {}): SuiteReport {
  const withCeiling = options.ceiling ?? true;
  const seeds = options.seeds ?? [1, 2, 3];
  const runsDir = options.runsDir ?? '/runs/experiments';
  const layout = options.layout ?? 'bars';
  const sweep = layout === 'sweep';
  const variants: VariantInfo[] = sweep
    ? [0.02, 0.05, 0.1, 0.2].map((tau) => ({ name: `tau=${tau}`, method: 'courier', mode: 'simscore', param: tau, description: `COURIER with tau ${tau}` }))
    : [
        { name: 'courier', method: 'courier', mode: 'cluster-id', param: null, description: 'COURIER, cluster id' },
        { name: 'simclr', method: 'simclr', mode: 'cluster-id', param: null, description: 'SimCLR <augmentations> & "quotes"' },
        { name: 'simsiam', method: 'simsiam', mode: 'cluster-id', param: null, description: 'SimSiam' },
        { name: 'clip', method: 'clip', mode: 'cluster-id', param: null, description: 'CLIP' },
      ];
  // Planted means (AUC fraction) and a per-seed wobble.
  const planted: Record<string, number> = sweep ? { 'tau=0.02': 0.002, 'tau=0.05': 0.006, 'tau=0.1': 0.004, 'tau=0.2': 0.001 } : { courier: 0.006, simclr: 0.001, simsiam: 0.0058, clip: 0.009 };
  const wobble = [0.0004, -0.0003, -0.0001, 0.0002, 0.0];
  // Validation-day gains (planted apart from the evaluation day's, so that a sweep's picks differ).
  const plantedVal: Record<string, number> = sweep ? { 'tau=0.02': 0.002, 'tau=0.05': 0.004, 'tau=0.1': 0.005, 'tau=0.2': 0.001 } : { courier: 0.005, simclr: 0.001, simsiam: 0.005, clip: 0.008 };
  const ceilings: CeilingRow[] = seeds.map((seed, si) => ({
    seed,
    available: true,
    note: null,
    bayes: { auc: 0.8 + 0.002 * si, gauc: 0.72 + 0.002 * si },
    noLook: { auc: 0.74 + 0.002 * si, gauc: 0.68 + 0.002 * si },
    noPosition: { auc: 0.78 + 0.002 * si, gauc: 0.7 + 0.002 * si },
    lookHeadroom: { auc: 0.06, gauc: 0.04 },
    ctrReport: `${runsDir}/tiny-seed${seed}/ctr/${sweep ? 'temperature' : 'methods'}-0123abcd/ctr-report.json`,
  }));
  const categories = [
    { category: 'dress', inPretraining: true, rows: 900 },
    { category: 'skirt', inPretraining: true, rows: 700 },
    { category: 'mug', inPretraining: false, rows: 300 },
    { category: 'lamp', inPretraining: false, rows: 250 },
  ];
  const rows: ExperimentRow[] = [];
  seeds.forEach((seed, si) => {
    const baselineAuc = 0.7 + 0.001 * si;
    const baselineGauc = 0.6 + 0.001 * si;
    for (const v of variants) {
      const d = planted[v.name] + wobble[si % wobble.length];
      const ctrDir = `${runsDir}/tiny-seed${seed}/ctr/${sweep ? 'temperature' : 'methods'}-0123abcd`;
      rows.push({
        variant: v.name,
        seed,
        auc: baselineAuc + d,
        gauc: baselineGauc + 0.8 * d,
        baselineAuc,
        baselineGauc,
        deltaAuc: d,
        deltaGauc: 0.8 * d,
        deltaAucPretrainCats: 1.5 * d,
        perCategory: categories.map((c, ci) => ({ ...c, deltaAuc: d * (c.inPretraining ? 1.5 : 0.5) + 0.0001 * ci })),
        ctrReport: `${ctrDir}/ctr-report.json`,
        ctrMethod: v.name,
        pretrainDir: `${runsDir}/tiny-seed${seed}/pretrain/${v.method}-${v.name.length}f00`,
        ...(withCeiling
          ? {
              headroomShareAuc: d / 0.06,
              headroomShareGauc: (0.8 * d) / 0.04,
              validationAuc: 0.69 + 0.001 * si + plantedVal[v.name] + wobble[si % wobble.length],
              validationGauc: 0.59 + 0.001 * si + 0.8 * plantedVal[v.name],
            }
          : {}),
      });
    }
  });
  const checks: CheckSpec[] = sweep
    ? [{ kind: 'best', variants: variants.map((v) => v.name), expected: 'tau=0.05', metric: 'deltaAuc', claim: 'tau = 0.05 performs best (Fig. 3)' }]
    : [
        { kind: 'positive', a: 'courier', metric: 'deltaAuc', claim: 'COURIER ΔAUC > 0' },
        ...['simclr', 'simsiam', 'clip'].map((b): CheckSpec => ({ kind: 'order', a: 'courier', b, metric: 'deltaAuc', strict: true, claim: `COURIER > ${b} (ΔAUC)` })),
        { kind: 'unseen-categories', a: 'courier', claim: 'COURIER helps categories not used in pre-training' },
      ];
  const maps: EmbeddingMap[] = [];
  if (options.withMaps ?? !sweep) {
    const styles = ['cool', 'cute', 'grace'];
    const points = [];
    for (let i = 0; i < 60; i++) {
      const c = categories[i % categories.length];
      points.push({ itemId: i, x: (i % 4) * 3 + Math.sin(i), y: Math.floor(i / 20) * 3 + Math.cos(i), category: c.category, style: styles[Math.floor(i / 20)], inPretraining: c.inPretraining });
    }
    maps.push({ name: 'courier', seed: seeds[0], source: `${runsDir}/tiny-seed${seeds[0]}/pretrain/courier-7f00/embeddings.arrow`, points, neighbourAgreement: { category: 0.9, style: 0.4, k: 10 } });
  }
  return {
    contract: 'experiment-report',
    version: 1,
    suite: sweep ? 'temperature' : 'methods',
    title: sweep ? 'Synthetic temperature sweep' : 'Synthetic methods <comparison>',
    description: 'Planted numbers for tests: no training behind them.',
    preset: 'tiny',
    seeds,
    createdAt: '2026-01-01T00:00:00.000Z',
    runsDir,
    variants,
    rows,
    maps,
    checks,
    layout,
    paramName: sweep ? 'tau' : undefined,
    settings: { synthetic: true },
    ...(withCeiling ? { ceilings } : {}),
  };
}
