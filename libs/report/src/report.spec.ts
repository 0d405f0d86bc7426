import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluateChecks, pairedDifference, renderHtml, renderMarkdown, reportCharts, syntheticSuiteReport, validateSuiteReport, writeSuiteReport } from './index';

describe('checks against the paper', () => {
  it('finds the planted agreement, the within-noise tie and the disagreement', () => {
    const report = syntheticSuiteReport();
    const byClaim = Object.fromEntries(evaluateChecks(report).map((c) => [c.claim, c]));
    expect(byClaim['COURIER ΔAUC > 0'].status).toBe('agrees');
    expect(byClaim['COURIER > simclr (ΔAUC)'].status).toBe('agrees');
    // courier 0.006 vs simsiam 0.0058 with the same per-seed wobble: a constant +0.0002 difference, sd 0.
    // A zero spread makes the noise band 0, so a constant positive difference agrees.
    expect(byClaim['COURIER > simsiam (ΔAUC)'].status).toBe('agrees');
    expect(byClaim['COURIER > clip (ΔAUC)'].status).toBe('disagrees');
    expect(byClaim['COURIER > clip (ΔAUC)'].detail).toMatch(/courier − clip \(ΔAUC\): -0\.300 pp ± 0\.000 \(sd over 3 seeds/);
    expect(byClaim['COURIER helps categories not used in pre-training'].status).toBe('agrees');
  });

  it('calls a difference inside two standard errors "within noise", and a single seed "sign only"', () => {
    const report = syntheticSuiteReport();
    // Give simsiam a noisy difference around +0.0001 (sd 0.0005 over 3 seeds: se 0.00029, band 0.00058).
    const noise = [0.0006, -0.0004, 0.0001];
    report.rows.filter((r) => r.variant === 'simsiam').forEach((r, i) => (r.deltaAuc = report.rows.find((x) => x.variant === 'courier' && x.seed === r.seed)!.deltaAuc - noise[i]));
    const d = pairedDifference(report, 'courier', 'simsiam', 'deltaAuc');
    expect(d.mean).toBeCloseTo(0.0001, 8);
    const check = evaluateChecks(report).find((c) => c.claim === 'COURIER > simsiam (ΔAUC)')!;
    expect(check.status).toBe('within-noise');

    const one = syntheticSuiteReport({ seeds: [4] });
    const single = evaluateChecks(one).find((c) => c.claim === 'COURIER > clip (ΔAUC)')!;
    expect(single.status).toBe('disagrees');
    expect(single.detail).toMatch(/1 seed: no spread, sign only/);
  });

  it('near-zero and best checks', () => {
    const sweep = syntheticSuiteReport({ layout: 'sweep' });
    expect(evaluateChecks(sweep)[0].status).toBe('agrees');
    sweep.checks = [
      { kind: 'best', variants: sweep.variants.map((v) => v.name), expected: 'tau=0.2', metric: 'deltaAuc', claim: 'b' },
      { kind: 'near-zero', a: 'tau=0.2', metric: 'deltaAuc', tolerance: 0.002, claim: 'z1' },
      { kind: 'near-zero', a: 'tau=0.05', metric: 'deltaAuc', tolerance: 0.002, claim: 'z2' },
      { kind: 'order', a: 'tau=0.05', b: 'missing-variant', metric: 'deltaAuc', strict: true, claim: 'm' },
    ];
    expect(evaluateChecks(sweep).map((c) => c.status)).toEqual(['disagrees', 'agrees', 'disagrees', 'missing']);
    // ">=" with a small non-negative mean inside the noise band: agrees, flagged as unresolved.
    const noisy = syntheticSuiteReport();
    const wob = [0.0006, -0.0004, 0.0001];
    noisy.rows.filter((r) => r.variant === 'simsiam').forEach((r, i) => (r.deltaAuc = noisy.rows.find((x) => x.variant === 'courier' && x.seed === r.seed)!.deltaAuc - wob[i]));
    noisy.checks = [{ kind: 'order', a: 'courier', b: 'simsiam', metric: 'deltaAuc', strict: false, claim: 'ge' }];
    const [ge] = evaluateChecks(noisy);
    expect(ge.status).toBe('agrees');
    expect(ge.detail).toMatch(/inside the noise band: consistent, not a resolved difference/);
  });
});

describe('rendering', () => {
  it('writes results.json, report.md and a self-contained report.html', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-report-'));
    const report = syntheticSuiteReport();
    const out = writeSuiteReport(dir, report);
    const json = JSON.parse(fs.readFileSync(out.json, 'utf8'));
    expect(() => validateSuiteReport(json)).not.toThrow();
    const md = fs.readFileSync(out.markdown, 'utf8');
    // Every per-seed row names its ctr report and pre-training folder (relative to the runs folder).
    for (const r of report.rows) expect(md).toContain(`| ${r.variant} | ${r.seed} | ${r.auc.toFixed(4)} |`);
    expect(md).toContain('`tiny-seed2/ctr/methods-0123abcd/ctr-report.json` (clip)');
    expect(md).toContain('Baseline (the CTR model without image features): AUC 0.7010 ± 0.0010, GAUC 0.6010 ± 0.0010 (mean ± sd over 3 seeds).');
    expect(md).toMatch(/\| COURIER > clip \(ΔAUC\) \| \*\*DISAGREES\*\* \|/);
    expect(md).toMatch(/\| courier \| courier \| cluster-id \| 0\.7070 \| 0\.6058 \| \+0\.60% ± 0\.04 \|/);

    const html = fs.readFileSync(out.html, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|(src|href)="https?:/);
    expect(html).toContain('Synthetic methods &lt;comparison&gt;');
    expect(html).toContain('SimCLR &lt;augmentations&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('vegaEmbed');
    expect(html.length).toBeGreaterThan(500_000); // the three vendor builds are inlined
    // One container per chart: main, categories, two map colourings.
    expect(reportCharts(report).map((c) => c.id)).toEqual(['chart-main', 'chart-categories', 'chart-map-0-category', 'chart-map-0-style']);
    for (const c of reportCharts(report)) expect(html).toContain(`id="${c.id}" data-rendered="false"`);
  });

  it('rejects a report whose rows name unknown variants', () => {
    const report = syntheticSuiteReport();
    report.rows[0].variant = 'nope';
    expect(() => validateSuiteReport(report, 'x.json')).toThrow(/x\.json: rows\[0\]\.variant: "nope" is not a variant/);
    expect(renderMarkdown(syntheticSuiteReport({ layout: 'sweep' }))).toMatch(/\| tau \| variant \|/);
    expect(renderHtml(syntheticSuiteReport(), { inlineVendor: false })).not.toContain('inlined from node_modules');
  });
});
