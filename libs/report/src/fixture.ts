/**
 * A small synthetic SuiteReport (no training): for the renderer's tests and for trying the page.
 * The numbers are planted so that COURIER beats SimCLR clearly, SimSiam only within noise, and
 * CLIP beats COURIER (a disagreement the checks must report).
 */
import { CheckSpec, EmbeddingMap, ExperimentRow, SuiteReport, VariantInfo } from './model';

export function syntheticSuiteReport(options: { layout?: SuiteReport['layout']; seeds?: number[]; withMaps?: boolean; runsDir?: string } = {}): SuiteReport {
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
  };
}
