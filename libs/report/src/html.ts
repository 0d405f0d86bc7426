/**
 * One self-contained HTML page per suite run: tables, the checks against the paper, and Vega-Lite
 * charts drawn from data embedded in the page. The JS of vega, vega-lite and vega-embed is inlined,
 * so the page needs no network. When every chart has rendered, each chart container gets
 * `data-rendered="true"` and <body> gets `data-rendered="all"` (or "error"); tests and screenshots wait on it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChartSpec, reportCharts } from './charts';
import { STATUS_TEXT, evaluateChecks } from './checks';
import { METRIC_LABEL, SuiteReport } from './model';
import { esc } from './escape';
import { GALLERY_CSS, MethodGallery, methodGalleriesHtml } from './galleries';
import { PREMISE_TEXT, VERDICT_TEXT, describeQuantity, evaluatePremise, premiseGainTable } from './premise';
import { CEILING_HEADER, CEILING_TEXT, SELECTION_TEXT, SHARE_TEXT, baselineSummary, categoryRows, ceilingCells, ceilingTable, probeTable, PROBE_TEXT, fmtMetric, fmtPp, fmtShare, fmtShareSummary, fmtSummary, relPath, seedTable, selectionRows, showShare, showValidation, summaryRows } from './tables';

const VENDOR = [
  ['vega', 'build/vega.min.js'],
  ['vega-lite', 'build/vega-lite.min.js'],
  ['vega-embed', 'build/vega-embed.min.js'],
] as const;

/** Finds an installed package's file: node resolution first, then node_modules folders above cwd and this file. */
export function vendorFile(pkg: string, rel: string): string {
  try {
    const file = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), rel);
    if (fs.existsSync(file)) return file;
  } catch {
    // The package's "exports" may hide package.json; fall back to a folder search.
  }
  for (const start of [process.cwd(), __dirname]) {
    let dir = start;
    for (;;) {
      const file = path.join(dir, 'node_modules', pkg, rel);
      if (fs.existsSync(file)) return file;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error(`report: ${pkg}/${rel} not found; the report inlines it (install ${pkg}: it is a dependency in package.json)`);
}

let vendorCache: string | null = null;
function vendorScripts(): string {
  if (vendorCache === null) {
    // "</script" cannot occur inside an inline script; none of these builds contain it, but be safe.
    vendorCache = VENDOR.map(([pkg, rel]) => `<script>/* ${pkg} (inlined from node_modules/${pkg}/${rel}) */\n${fs.readFileSync(vendorFile(pkg, rel), 'utf8').replace(/<\/script/gi, '<\\/script')}\n</script>`).join('\n');
  }
  return vendorCache;
}

export { esc };
/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const STATUS_CLASS = { agrees: 'ok', 'within-noise': 'noise', disagrees: 'bad', missing: 'missing' } as const;

function htmlTable(header: string[], rows: string[][], id?: string): string {
  return `<table${id ? ` id="${id}"` : ''}><thead><tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}\n</tbody></table>`;
}

const code = (s: string) => `<code>${esc(s)}</code>`;

function chartBlock(c: ChartSpec): string {
  return `<figure><figcaption><b>${esc(c.title)}</b></figcaption><div class="chart" id="${esc(c.id)}" data-rendered="false"></div><p class="caption">${esc(c.caption)}</p></figure>`;
}

export function renderHtml(report: SuiteReport, options: { inlineVendor?: boolean; galleries?: MethodGallery[] } = {}): string {
  const charts = reportCharts(report);
  const checks = evaluateChecks(report);
  const rows = summaryRows(report);
  const sweep = report.layout === 'sweep';
  const main = charts.find((c) => c.id === 'chart-main');
  const counts = { agrees: 0, 'within-noise': 0, disagrees: 0, missing: 0 };
  for (const c of checks) counts[c.status]++;
  const share = showShare(report);
  const val = showValidation(report);

  const resultsTable = rows.length
    ? htmlTable(
        [
          ...(sweep ? [esc(report.paramName ?? 'param')] : []),
          'variant',
          'method',
          'mode',
          'AUC',
          'GAUC',
          'ΔAUC',
          'ΔGAUC',
          'ΔAUC pre-train cats',
          ...(share ? ['headroom share AUC', 'headroom share GAUC'] : []),
          ...(val ? ['validation AUC', 'validation GAUC'] : []),
          'seeds',
          'CTR run folders',
          'pre-training folders',
        ],
        rows.map((r) => [
          ...(sweep ? [esc(String(r.variant.param ?? ''))] : []),
          `<span title="${esc(r.variant.description)}">${esc(r.variant.name)}</span>`,
          esc(r.variant.method),
          esc(r.variant.mode),
          r.auc.mean.toFixed(4),
          r.gauc.mean.toFixed(4),
          fmtSummary(r.deltaAuc),
          fmtSummary(r.deltaGauc),
          fmtSummary(r.deltaAucPretrainCats),
          ...(share ? [fmtShareSummary(r.headroomShareAuc), fmtShareSummary(r.headroomShareGauc)] : []),
          ...(val ? [r.validationAuc.n ? r.validationAuc.mean.toFixed(4) : '–', r.validationGauc.n ? r.validationGauc.mean.toFixed(4) : '–'] : []),
          String(r.seeds.length),
          [...new Set(r.ctrDirs.map((d) => d.dir))].map(code).join('<br>'),
          r.pretrainDirs.map((d) => code(d.dir)).join('<br>') || '–',
        ]),
        'results-table',
      )
    : '<p>No CTR results in this suite.</p>';

  const base = baselineSummary(report);
  const sdText = (s: { sd: number | null }) => (s.sd !== null ? ` ± ${s.sd.toFixed(4)}` : '');
  const baselineLine = base ? `<p>Baseline (the CTR model without image features): AUC ${base.auc.mean.toFixed(4)}${sdText(base.auc)}, GAUC ${base.gauc.mean.toFixed(4)}${sdText(base.gauc)} (mean ± sd over ${base.auc.n} seed${base.auc.n === 1 ? '' : 's'}).</p>` : '';
  const checksHtml = checks.length
    ? `<p>${counts.agrees} agree, ${counts['within-noise']} within noise, ${counts.disagrees} disagree${counts.missing ? `, ${counts.missing} not run` : ''} (of ${checks.length}). A difference within two standard errors of its mean over seeds is "within noise"; with one seed only the sign is looked at.</p>` +
      htmlTable(
        ['expected (paper)', 'result', 'measured'],
        checks.map((c) => [esc(c.claim), `<span class="status ${STATUS_CLASS[c.status]}">${esc(STATUS_TEXT[c.status])}</span>`, esc(c.detail)]),
        'checks-table',
      )
    : '<p>This suite has no ordering to check against the paper.</p>';

  const notes = [
    share ? `<p class="note" id="share-note">${esc(SHARE_TEXT)}</p>` : '',
    val ? '<p class="note">Validation AUC / GAUC: on the validation day (the last CTR training day, held out) at the early-stopping epoch, mean over seeds.</p>' : '',
  ].join('');
  const ceiling = ceilingTable(report);
  const ceilingHtml = ceiling
    ? `<h2>Ceiling</h2><p>${esc(CEILING_TEXT)}</p>${htmlTable(CEILING_HEADER, ceilingCells(ceiling).map((r) => r.map(esc)), 'ceiling-table')}${ceiling.notes.length ? `<p class="note">No ceiling for some seeds: ${esc(ceiling.notes.join('; '))}</p>` : ''}`
    : '';
  const verdicts = evaluatePremise(report);
  const VERDICT_CLASS = { agreed: 'ok', 'within-noise': 'noise', refuted: 'bad', 'not-run': 'missing' } as const;
  const gainTable = premiseGainTable(report);
  const premiseHtml = verdicts
    ? `<h2>Premise predictions (PREDICTIONS.md)</h2><p>${esc(PREMISE_TEXT)}</p>${htmlTable(
        ['prediction', 'verdict', 'ΔAUC', 'ΔGAUC', 'why (ΔAUC; ΔGAUC)'],
        verdicts.map((v) => [
          `${v.id}: ${esc(v.claim)}`,
          `<span class="status ${VERDICT_CLASS[v.verdict]}">${esc(VERDICT_TEXT[v.verdict])}</span>${v.void ? ' (void: C0 refuted)' : ''}${v.signOnly ? ' (1 seed: sign only)' : ''}`,
          esc(VERDICT_TEXT[v.perMetric[0].verdict]),
          esc(VERDICT_TEXT[v.perMetric[1].verdict]),
          esc(v.perMetric.map((p) => p.reason).join('; ')),
        ]),
        'premise-table',
      )}<ul class="note">${verdicts.flatMap((v) => v.perMetric.filter((p) => p.quantities.length).map((p) => `<li>${v.id}, ${esc(METRIC_LABEL[p.metric])}: ${esc(p.quantities.map(describeQuantity).join('; '))}</li>`)).join('')}</ul>${
        gainTable ? `<h3>Gains per world</h3><p class="note">ΔAUC / ΔGAUC (mean ± sd over seeds, in % of AUC) and the share of the look headroom captured (AUC).</p>${htmlTable(gainTable.header.map((h) => esc(h.replace(/`/g, ''))), gainTable.rows.map((r) => r.map(esc)), 'premise-gains')}` : ''
      }`
    : '';
  const probes = probeTable(report);
  const probeHtml = probes ? `<h2>Probes: nearest-neighbour agreement</h2><p>${esc(PROBE_TEXT)}</p>${htmlTable(probes.header, probes.rows.map((r) => r.map(esc)), 'probe-table')}` : '';
  const selection = val ? selectionRows(report) : [];
  const selectionHtml = selection.length
    ? `<h2>Model selection on the validation day</h2><p>${esc(SELECTION_TEXT)}</p>${htmlTable(
        ['choice', 'variants', 'validation pick (mean validation AUC)', 'its evaluation ΔAUC', 'best on the evaluation day: ΔAUC', 'ΔGAUC'],
        selection.map((r) => [
          esc(r.choice),
          esc(r.variants.join(', ')),
          r.validation ? `<b>${esc(r.validation.variant)}</b> (${r.validation.auc.toFixed(4)}, ${r.seeds.length} seed${r.seeds.length === 1 ? '' : 's'})` : '– (no validation numbers)',
          fmtPp(r.validationPickEvalDelta),
          r.evalAuc ? `${esc(r.evalAuc.variant)} (${fmtPp(r.evalAuc.delta)})` : '–',
          r.evalGauc ? `${esc(r.evalGauc.variant)} (${fmtPp(r.evalGauc.delta)})` : '–',
        ]),
        'selection-table',
      )}`
    : '';

  const cats = report.layout === 'categories' ? categoryRows(report) : [];
  const catsHtml = cats.length ? `<h2>ΔAUC per category</h2>${htmlTable(['variant', 'category', 'used in pre-training', 'eval rows', 'ΔAUC'], cats.map((c) => [esc(c.variant), esc(c.category), c.inPretraining ? 'yes' : 'no', String(c.rows ?? '–'), fmtSummary(c.deltaAuc)]))}` : '';

  const runs = seedTable(report, esc, code);
  const seedHtml = report.rows.length
    ? `<h2>Every run</h2><p>Each number above is a mean over these rows; each row names the report and the folder it came from (relative to ${code(report.runsDir)}).</p>` +
      htmlTable(runs.header, runs.rows, 'seed-table')
    : '';

  const mapsTable = report.maps.length
    ? htmlTable(['map', 'seed', 'points', 'same-category neighbours', 'same-style neighbours', 'source'], report.maps.map((m) => [esc(m.name), String(m.seed), String(m.points.length), m.neighbourAgreement?.category.toFixed(3) ?? '–', m.neighbourAgreement?.style.toFixed(3) ?? '–', code(relPath(report, m.source))]))
    : '';

  const bootstrap = `<script>
(function () {
  var charts = JSON.parse(document.getElementById('chart-specs').textContent);
  Promise.all(charts.map(function (c) {
    return vegaEmbed('#' + c.id, c.spec, { renderer: 'svg', actions: false }).then(function (r) {
      document.getElementById(c.id).setAttribute('data-rendered', 'true');
      return r;
    });
  })).then(function () {
    document.body.setAttribute('data-rendered', 'all');
  }, function (err) {
    document.body.setAttribute('data-rendered', 'error');
    console.error('report: a chart failed to render: ' + (err && err.message ? err.message : err));
  });
})();
</script>`;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(report.title)}</title>
<style>
body{font-family:system-ui,-apple-system,sans-serif;margin:2em auto;max-width:80em;padding:0 1em;color:#1a202c}
table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #cbd5e0;padding:3px 7px;text-align:right;vertical-align:top}
td:first-child,th:first-child{text-align:left}th{background:#edf2f7}code{font-size:12px}
.status{font-weight:bold;padding:1px 6px;border-radius:3px}.ok{background:#c6f6d5}.noise{background:#fefcbf}.bad{background:#fed7d7;color:#9b2c2c}.missing{background:#e2e8f0}
figure{margin:1.5em 0;width:fit-content}${GALLERY_CSS}details.gallery{margin:.5em 0}.caption,.note{color:#4a5568;font-size:13px;margin:.3em 0}.maps{display:flex;flex-wrap:wrap;gap:1em}
</style>
</head><body data-rendered="false">
<h1>${esc(report.title)}</h1>
<p>${esc(report.description)}</p>
<p>Suite ${code(report.suite)}, preset ${code(report.preset)}, seeds ${esc(report.seeds.join(', '))}; created ${esc(report.createdAt)}. Run folders under ${code(report.runsDir)}. Deltas are against the same CTR model without image features, trained on the same world with the same seed; mean ± sample standard deviation over seeds, in percentage points of AUC.</p>
${main ? chartBlock(main) : ''}
${premiseHtml}
<h2>Checks against the paper</h2>
${checksHtml}
${selectionHtml}
<h2>Results</h2>
${baselineLine}
${resultsTable}
${notes}
${ceilingHtml}
${probeHtml}
${charts.filter((c) => c !== main && !c.id.startsWith('chart-map')).map(chartBlock).join('\n')}
${catsHtml}
${report.maps.length ? `<h2>Embedding maps</h2>${mapsTable}<div class="maps">${charts.filter((c) => c.id.startsWith('chart-map')).map(chartBlock).join('\n')}</div>` : ''}
${methodGalleriesHtml(options.galleries)}
${seedHtml}
<h2>Settings</h2>
<details><summary>Resolved configs of every stage (also in each folder's run.json)</summary><pre>${esc(JSON.stringify(report.settings, null, 2))}</pre></details>
<script type="application/json" id="chart-specs">${scriptJson(charts.map((c) => ({ id: c.id, spec: c.spec })))}</script>
<script type="application/json" id="report-data">${scriptJson({ suite: report.suite, preset: report.preset, seeds: report.seeds, checks: checks.map((c) => ({ claim: c.claim, status: c.status, detail: c.detail })) })}</script>
${options.inlineVendor === false ? '' : vendorScripts()}
${bootstrap}
</body></html>
`;
}
