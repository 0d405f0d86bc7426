import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reportCharts } from './charts';
import { evaluateChecks } from './checks';
import { syntheticSuiteReport } from './fixture';
import { MethodGallery } from './galleries';
import { renderHtml } from './html';
import { renderMarkdown } from './markdown';
import { validateSuiteReport } from './model';
import { pairedDifference } from './stats';
import { writeSuiteReport } from './write';

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

  it('method galleries (issue #22): written beside results.json, shown per method with unique ids, kept by a re-render, a broken file named', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-report-'));
    const report = syntheticSuiteReport();
    const thumb = 'data:image/png;base64,AAAA';
    const gallery = (name: string): MethodGallery => ({
      name,
      seed: 1,
      galleries: {
        k: 4,
        n: 10,
        clusters: [{ clusterId: 2, size: 5, topCategories: 'tops 60%', items: [{ id: 7, category: 'tops', thumb, score: 0.1 }] }],
        neighbours: [{ query: { id: 3, category: 'bags', thumb: null, score: null }, neighbours: [{ id: 4, category: 'bags', thumb, score: 0.9 }] }],
      },
    });
    const out = writeSuiteReport(dir, report, { galleries: [gallery('courier'), gallery('simclr <x>')] });
    const html = fs.readFileSync(out.html, 'utf8');
    expect(html).toContain('id="method-galleries"');
    expect(html).toContain('id="courier-cluster-gallery"');
    expect(html).toContain('id="simclr-x-neighbours"'); // ids are slugs, the heading is escaped
    expect(html).toContain('simclr &lt;x&gt;');
    expect(html.match(/<img class="thumb"/g)?.length).toBe(4);
    // Not in results.json (the thumbnails are most of the bytes); a re-render without extras keeps them.
    expect(fs.readFileSync(out.json, 'utf8')).not.toContain('data:image');
    fs.rmSync(out.html);
    writeSuiteReport(dir, report);
    expect(fs.readFileSync(out.html, 'utf8')).toContain('id="courier-cluster-gallery"');
    // Without galleries the section is absent.
    expect(renderHtml(report, { inlineVendor: false })).not.toContain('method-galleries');
    fs.writeFileSync(path.join(dir, 'galleries.json'), JSON.stringify([{ name: 'courier' }]));
    expect(() => writeSuiteReport(dir, report)).toThrow(/galleries\.json: entry 0: expected/);
  });

  it('rejects a report whose rows name unknown variants', () => {
    const report = syntheticSuiteReport();
    report.rows[0].variant = 'nope';
    expect(() => validateSuiteReport(report, 'x.json')).toThrow(/x\.json: rows\[0\]\.variant: "nope" is not a variant/);
    expect(renderMarkdown(syntheticSuiteReport({ layout: 'sweep' }))).toMatch(/\| tau \| variant \|/);
    expect(renderHtml(syntheticSuiteReport(), { inlineVendor: false })).not.toContain('inlined from node_modules');
  });

  it('renders the ceiling table, headroom shares and validation numbers from a fixture with a ceiling', () => {
    const report = syntheticSuiteReport();
    expect(() => validateSuiteReport(JSON.parse(JSON.stringify(report)))).not.toThrow();
    const md = renderMarkdown(report);
    expect(md).toContain('## Ceiling');
    // Per seed and mean: Bayes, no look, no position (AUC, GAUC) and the look headroom in pp.
    expect(md).toContain('| seed | Bayes AUC | Bayes GAUC | no look AUC | no look GAUC | no position AUC | no position GAUC | look headroom AUC | look headroom GAUC |');
    expect(md).toContain('| 1 | 0.8000 | 0.7200 | 0.7400 | 0.6800 | 0.7800 | 0.7000 | +6.00% | +4.00% |');
    expect(md).toContain('| mean (3 seeds) | 0.8020 | 0.7220 | 0.7420 | 0.6820 | 0.7820 | 0.7020 | +6.00% | +4.00% |');
    // Variant table: share of the look headroom (courier: ΔAUC 0.60 pp of 6 pp = 10%; ΔGAUC 0.48 of 4 = 12%), then validation.
    expect(md).toMatch(/\| variant \| method \| mode \| AUC \| GAUC \| ΔAUC \| ΔGAUC \| ΔAUC pre-train cats \| headroom share AUC \| headroom share GAUC \| validation AUC \| validation GAUC \|/);
    expect(md).toMatch(/\| courier \| courier \| cluster-id \| 0\.7070 \| 0\.6058 \| \+0\.60% ± 0\.04 \| \+0\.48% ± 0\.03 \| \+0\.90% ± 0\.05 \| 10\.0% ± 0\.6 \| 12\.0% ± 0\.7 \| 0\.6960 \| 0\.5950 \|/);
    expect(md).toContain('Headroom share = (variant − baseline) / (Bayes − no look)');
    // Every run: the seed's share and validation AUC.
    expect(md).toMatch(/\| courier \| 1 \| 0\.7064 \| 0\.6051 \| 0\.7000 \| \+0\.640% \| \+0\.512% \| 10\.7% \| 12\.8% \| 0\.6954 \|/);
    // Bars without a `best` check choose nothing: no model-selection section.
    expect(md).not.toContain('Model selection');

    const html = renderHtml(report, { inlineVendor: false });
    expect(html).toContain('<h2>Ceiling</h2>');
    expect(html).toContain('id="ceiling-table"');
    expect(html).toContain('<td>mean (3 seeds)</td><td>0.8020</td>');
    expect(html).toContain('<th>headroom share AUC</th><th>headroom share GAUC</th><th>validation AUC</th><th>validation GAUC</th>');
    expect(html).toContain('<td>10.0% ± 0.6</td><td>12.0% ± 0.7</td>');
    expect(html).toContain('id="share-note"');
  });

  it('states the validation-day pick of a sweep next to the evaluation-day best, without changing the check', () => {
    const sweep = syntheticSuiteReport({ layout: 'sweep' });
    // The check still compares evaluation-day numbers: tau=0.05 is best there.
    expect(evaluateChecks(sweep)[0].status).toBe('agrees');
    const md = renderMarkdown(sweep);
    expect(md).toContain('## Model selection on the validation day');
    expect(md).toContain('| best tau | tau=0.02, tau=0.05, tau=0.1, tau=0.2 | tau=0.1 (0.6960, 3 seeds) | +0.40% | tau=0.05 (+0.60%) | tau=0.05 (+0.48%) |');
    // The `best` check over the same variants is the same choice: one row.
    expect(md.match(/\| tau=0\.02, tau=0\.05, tau=0\.1, tau=0\.2 \|/g)).toHaveLength(1);
    const html = renderHtml(sweep, { inlineVendor: false });
    expect(html).toContain('id="selection-table"');
    expect(html).toContain('<b>tau=0.1</b> (0.6960, 3 seeds)');
  });

  it('renders a report without a ceiling (older results.json) as before, and a control world with "–" shares', () => {
    const old = syntheticSuiteReport({ ceiling: false });
    expect(old.ceilings).toBeUndefined();
    expect(() => validateSuiteReport(JSON.parse(JSON.stringify(old)))).not.toThrow();
    const md = renderMarkdown(old);
    for (const text of ['## Ceiling', 'headroom share', 'Headroom share', 'validation AUC', 'Model selection']) expect(md).not.toContain(text);
    expect(md).toMatch(/\| courier \| courier \| cluster-id \| 0\.7070 \| 0\.6058 \| \+0\.60% ± 0\.04 \| \+0\.48% ± 0\.03 \| \+0\.90% ± 0\.05 \| 3 \|/);
    const html = renderHtml(old, { inlineVendor: false });
    for (const text of ['ceiling-table', 'headroom share', 'selection-table', 'share-note']) expect(html).not.toContain(text);
    expect(renderMarkdown(syntheticSuiteReport({ layout: 'sweep', ceiling: false }))).not.toContain('Model selection');

    // Control world: a ceiling without look headroom, so every share is null ("–"), with the sentence saying why.
    const control = syntheticSuiteReport();
    for (const c of control.ceilings!) c.lookHeadroom = { auc: 0, gauc: 0 };
    for (const r of control.rows) r.headroomShareAuc = r.headroomShareGauc = null;
    control.ceilings![2] = { seed: 3, available: false, note: 'no click-truth.parquet', bayes: { auc: null, gauc: null }, noLook: { auc: null, gauc: null }, noPosition: { auc: null, gauc: null }, lookHeadroom: { auc: null, gauc: null } };
    const cmd = renderMarkdown(control);
    expect(cmd).toMatch(/\| courier \| courier \| cluster-id \| 0\.7070 \| 0\.6058 \| \+0\.60% ± 0\.04 \| \+0\.48% ± 0\.03 \| \+0\.90% ± 0\.05 \| – \| – \|/);
    expect(cmd).toContain('| 3 | – | – | – | – | – | – | – | – |');
    expect(cmd).toContain('| mean (2 seeds) | 0.8010 |');
    expect(cmd).toContain('No ceiling for some seeds: no click-truth.parquet');
    expect(cmd).toContain('no look headroom (e.g. the control world');
  });

  it('validates the optional ceilings and row numbers', () => {
    const bad = syntheticSuiteReport();
    (bad.ceilings![0].bayes as { auc: unknown }).auc = 'x';
    expect(() => validateSuiteReport(bad, 'r.json')).toThrow(/r\.json: ceilings\[0\]\.bayes\.auc: expected a finite number or null/);
    const badRow = syntheticSuiteReport();
    (badRow.rows[1] as { headroomShareAuc: unknown }).headroomShareAuc = 'x';
    expect(() => validateSuiteReport(badRow, 'r.json')).toThrow(/rows\[1\]\.headroomShareAuc/);
  });
});

describe('probe table (issue #19)', () => {
  it('shows nearest-neighbour agreement per variant (mean ± sd over seeds) with a chance row, in Markdown and HTML; absent without probes', () => {
    const report = syntheticSuiteReport();
    expect(renderMarkdown(report)).not.toMatch(/Probes/);
    const row = (variant: string, seed: number, hue: number, merchant: number | null) => ({
      variant,
      seed,
      items: 400,
      k: 5,
      nuisance: 1,
      agreement: { hueRegion: hue, pattern: 0.3, background: 0.1, merchant, lighting: 0.2 },
      chance: { hueRegion: 0.125, pattern: 0.2, background: 0.083, merchant: 0.025, lighting: 0.167 },
      source: `/runs/experiments/tiny-seed${seed}/pretrain/${variant}/embeddings.arrow`,
    });
    report.probes = [row('courier', 1, 0.9, 0.03), row('courier', 2, 0.8, 0.02), row('simclr', 1, 0.2, null)];
    validateSuiteReport(report);
    const md = renderMarkdown(report);
    expect(md).toMatch(/## Probes: nearest-neighbour agreement/);
    expect(md).toMatch(/\| courier \| 2 \| 400 \| 0\.850 ± 0\.071 \| 0\.300 ± 0\.000 \| 0\.100 ± 0\.000 \| 0\.025 ± 0\.007 \| 0\.200 ± 0\.000 \|/);
    expect(md).toMatch(/\| simclr \| 1 \| 400 \| 0\.200 \| 0\.300 \| 0\.100 \| – \| 0\.200 \|/);
    expect(md).toMatch(/\| chance \(random neighbours\) \| {2}\| {2}\| 0\.125 \| 0\.200 \| 0\.083 \| 0\.025 \| 0\.167 \|/);
    expect(renderHtml(report)).toMatch(/<table id="probe-table">/);
    report.probes[0].agreement.hueRegion = 1.5;
    expect(() => validateSuiteReport(report)).toThrow(/probes\[0\]\.agreement\.hueRegion: expected a share in \[0, 1\] or null/);
  });
});
