import { renderHtml } from './html';
import { renderMarkdown } from './markdown';
import { ExperimentRow, PremiseSpec, SuiteReport, validateSuiteReport } from './model';
import { evaluatePremise, worldVariant } from './premise';

/** Hand-made numbers for the premise verdicts (PREDICTIONS.md, "Computing the verdicts"). */
const SPEC: PremiseSpec = {
  worlds: { nuisance0: 'n0', nuisanceHalf: 'n05', nuisance1: 'n1', control: 'ctl', swap: 'swap' },
  methods: { courier: 'courier', simclr: 'simclr', simsiam: 'simsiam', simclrBg: 'simclr-bg' },
  c0Tolerance: 0.002,
};
const SEEDS = [1, 2, 3, 4, 5];
/** Per-seed wobbles (different per variant, so paired differences have a spread). */
const Z = {
  a: [1, -1, 0.5, -0.5, 0],
  b: [-0.5, 0.5, 1, 0, -1],
  c: [0, 1, -1, 0.5, -0.5],
  d: [0.5, 0, -0.5, -1, 1],
};
type Z = keyof typeof Z;
/** Gains in pp of AUC: mean and the wobble it gets (amplitude 0.05 pp). */
type Plan = Record<string, [number, Z]>;

/** The base plan: every prediction agreed. */
const AGREED: Plan = {
  'courier@n0': [1.0, 'a'],
  'simclr@n0': [1.2, 'b'],
  'simsiam@n0': [1.1, 'c'],
  'courier@n05': [1.0, 'b'],
  'simclr@n05': [0.8, 'c'],
  'simsiam@n05': [0.8, 'd'],
  'courier@n1': [1.0, 'd'],
  'simclr@n1': [0.3, 'a'],
  'simsiam@n1': [0.4, 'b'],
  'simclr-bg@n1': [0.98, 'c'],
  'courier@swap': [1.0, 'b'],
  'simclr@swap': [1.0, 'c'],
  'courier@ctl': [0, 'a'],
  'simclr@ctl': [0, 'b'],
  'simsiam@ctl': [0, 'c'],
  'simclr-bg@ctl': [0, 'd'],
};

function report(plan: Plan, options: { seeds?: number[]; gauc?: Plan } = {}): SuiteReport {
  const seeds = options.seeds ?? SEEDS;
  const gaucPlan = { ...plan, ...(options.gauc ?? {}) };
  const rows: ExperimentRow[] = [];
  for (const [variant, [m, z]] of Object.entries(plan)) {
    seeds.forEach((seed, i) => {
      const dA = (m + 0.05 * Z[z][i % 5]) / 100;
      const [mg, zg] = gaucPlan[variant];
      const dG = (mg + 0.05 * Z[zg][i % 5]) / 100;
      rows.push({ variant, seed, auc: 0.6 + dA, gauc: 0.55 + dG, baselineAuc: 0.6, baselineGauc: 0.55, deltaAuc: dA, deltaGauc: dG, deltaAucPretrainCats: null, perCategory: [], ctrReport: `/r/${variant}/${seed}.json`, ctrMethod: variant.split('@')[0], pretrainDir: null, headroomShareAuc: dA / 0.05, headroomShareGauc: null });
    });
  }
  const worlds = ['n0', 'n05', 'n1', 'ctl', 'swap'];
  return {
    contract: 'experiment-report',
    version: 1,
    suite: 'premise',
    title: 'premise (hand-made numbers)',
    description: 'test',
    preset: 'tiny',
    seeds,
    createdAt: '2026-12-02T00:00:00Z',
    runsDir: '/r',
    variants: Object.keys(plan).map((name) => ({ name, method: name.split('@')[0] === 'simclr-bg' ? 'simclr' : name.split('@')[0], mode: 'cluster-id', param: null, description: name, world: name.split('@')[1] })),
    rows,
    maps: [],
    checks: [],
    layout: 'bars',
    settings: {},
    worlds: worlds.map((tag) => ({ tag, label: `world ${tag}`, overrides: {} })),
    premise: SPEC,
  };
}

const verdicts = (r: SuiteReport) => Object.fromEntries(evaluatePremise(r)!.map((v) => [v.id, v]));
const status = (r: SuiteReport) => Object.fromEntries(evaluatePremise(r)!.map((v) => [v.id, v.verdict]));

describe('premise verdicts (PREDICTIONS.md C0-C3) on hand-made numbers', () => {
  it('agreed: falls, growth and catch-up resolved, COURIER holds, the augmentation closes the gap, the control is flat', () => {
    const r = report(AGREED);
    validateSuiteReport(JSON.parse(JSON.stringify(r)));
    expect(status(r)).toEqual({ C0: 'agreed', C1: 'agreed', C2: 'agreed', C3: 'agreed' });
    const v = verdicts(r);
    expect(v.C1.perMetric[0].quantities.map((q) => q.name)).toEqual(['fall(simclr) = g_0 - g_1', 'fall(simsiam)', 'fall(courier)', 'growth = fall(simclr) - fall(courier)', 'gap_1 = g_1(courier) - g_1(simclr)']);
    expect(v.C1.perMetric[0].quantities[0].summary.mean).toBeCloseTo(0.009, 10);
    expect(v.C1.perMetric[0].quantities[0].summary.n).toBe(5);
    expect(v.C3.perMetric[0].quantities[2].summary.mean).toBeCloseTo(0.0068, 10); // closing = 0.98 - 0.30 pp
    expect(Object.values(v).every((x) => !x.void && !x.signOnly)).toBe(true);
  });

  it('within noise: a fall inside its band (C1), a gap that shrinks but stays (C3), no gap to catch up on (C2)', () => {
    expect(status(report({ ...AGREED, 'simsiam@n1': [1.08, 'b'] })).C1).toBe('within-noise');
    const c3 = verdicts(report({ ...AGREED, 'simclr-bg@n1': [0.6, 'c'] })).C3;
    expect(c3.verdict).toBe('within-noise');
    expect(c3.perMetric[0].reason).toMatch(/shrinks .* but stays/);
    // gap_1 unresolved (SimCLR as good as COURIER at nuisance 1) and no catch-up: C2 cannot say.
    expect(status(report({ ...AGREED, 'simclr@n1': [0.99, 'a'], 'simclr@swap': [0.99, 'c'] })).C2).toBe('within-noise');
  });

  it('refuted: SimCLR does not fall, COURIER falls, the gap stays on the swap world, the augmentation does not help', () => {
    expect(status(report({ ...AGREED, 'simclr@n1': [1.25, 'a'] })).C1).toBe('refuted');
    const courierFalls = verdicts(report({ ...AGREED, 'courier@n1': [0.5, 'd'] })).C1;
    expect(courierFalls.verdict).toBe('refuted');
    expect(courierFalls.perMetric[0].reason).toMatch(/courier's gain falls by more than 2 se/);
    expect(status(report({ ...AGREED, 'simclr@swap': [0.3, 'c'] })).C2).toBe('refuted');
    expect(status(report({ ...AGREED, 'simclr-bg@n1': [0.32, 'c'] })).C3).toBe('refuted');
  });

  it('C0 refuted voids C1-C3; the worse metric decides; missing rows are "not run"; one seed is sign only', () => {
    const leak = verdicts(report({ ...AGREED, 'simclr-bg@ctl': [0.5, 'd'] }));
    expect(leak.C0.verdict).toBe('refuted');
    expect(leak.C0.perMetric[0].reason).toMatch(/g_control\(simclr-bg\)/);
    expect([leak.C1.void, leak.C2.void, leak.C3.void]).toEqual([true, true, true]);
    // Inside max(2 se, 0.2 pp): agreed.
    expect(status(report({ ...AGREED, 'courier@ctl': [0.15, 'a'] })).C0).toBe('agreed');
    // ΔAUC agrees, ΔGAUC refutes: refuted.
    const mixed = verdicts(report(AGREED, { gauc: { 'simclr@n1': [1.25, 'a'] } })).C1;
    expect(mixed.perMetric.map((p) => p.verdict)).toEqual(['agreed', 'refuted']);
    expect(mixed.verdict).toBe('refuted');
    const noBg = Object.fromEntries(Object.entries(AGREED).filter(([k]) => !k.startsWith('simclr-bg')));
    const nb = verdicts(report(noBg));
    expect(nb.C3.verdict).toBe('not-run');
    expect(nb.C3.perMetric[0].reason).toBe(`no results for ${worldVariant('simclr-bg', 'n1')}`);
    expect(nb.C0.verdict).toBe('agreed');
    // One seed: signs only (COURIER's gain must not fall at all: any fall is "above" a zero band).
    const one = verdicts(report({ ...AGREED, 'courier@n1': [1.1, 'a'] }, { seeds: [7] }));
    expect(one.C1.signOnly).toBe(true);
    expect(one.C1.verdict).toBe('agreed');
    expect(verdicts(report(AGREED, { seeds: [7] })).C1.perMetric[0].reason).toMatch(/courier's gain falls/);
    expect(evaluatePremise({ rows: [], variants: [] })).toBeNull();
  });

  it('the Markdown and HTML carry the verdicts and the gains per world', () => {
    const r = report({ ...AGREED, 'simclr@swap': [0.3, 'c'] });
    const md = renderMarkdown(r);
    expect(md).toContain('## Premise predictions (PREDICTIONS.md)');
    expect(md).toMatch(/\| C2: swap world .* \| \*\*REFUTED\*\* \| REFUTED \| REFUTED \|/);
    expect(md).toMatch(/\| C1: .* \| \*\*agreed\*\* \|/);
    expect(md).toContain('### Gains per world');
    expect(md).toContain('| simclr-bg | – | – | +0.98% ± 0.04 / +0.98% ± 0.04 (share 19.6% ± 0.8) | +0.00% ± 0.04 / +0.00% ± 0.04 (share 0.0% ± 0.8) | – |');
    const html = renderHtml(r, { inlineVendor: false });
    expect(html).toContain('id="premise-table"');
    expect(html).toContain('id="premise-gains"');
  });
});
