/** The Markdown summary of a suite: settings, the main table, checks against the paper, per-seed rows with their folders. */
import { CheckResult, STATUS_TEXT, evaluateChecks } from './checks';
import { SuiteReport } from './model';
import { premiseMarkdown } from './premise';
import { CEILING_HEADER, CEILING_TEXT, SELECTION_TEXT, SHARE_TEXT, SelectionRow, baselineSummary, categoryRows, ceilingCells, ceilingTable, probeTable, PROBE_TEXT, fmtMetric, fmtPp, fmtShare, fmtShareSummary, fmtSummary, relPath, seedTable, selectionRows, showShare, showValidation, summaryRows } from './tables';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const table = (header: string[], rows: string[][]) => [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');

export function checksMarkdown(results: CheckResult[]): string {
  if (!results.length) return '_This suite has no ordering to check against the paper._';
  const counts = { agrees: 0, 'within-noise': 0, disagrees: 0, missing: 0 };
  for (const r of results) counts[r.status]++;
  const head = `${counts.agrees} agree, ${counts['within-noise']} within noise, ${counts.disagrees} disagree${counts.missing ? `, ${counts.missing} not run` : ''} (of ${results.length}).`;
  return `${head}\n\n${table(
    ['expected (paper)', 'result', 'measured'],
    results.map((r) => [r.claim, r.status === 'disagrees' ? `**${STATUS_TEXT[r.status]}**` : STATUS_TEXT[r.status], r.detail]),
  )}`;
}

export function selectionMarkdown(rows: SelectionRow[]): string {
  return table(
    ['choice', 'variants', 'validation pick (mean validation AUC)', 'its evaluation ΔAUC', 'best on the evaluation day: ΔAUC', 'ΔGAUC'],
    rows.map((r) => [
      r.choice,
      r.variants.join(', '),
      r.validation ? `${r.validation.variant} (${r.validation.auc.toFixed(4)}, ${r.seeds.length} seed${r.seeds.length === 1 ? '' : 's'})` : '– (no validation numbers)',
      fmtPp(r.validationPickEvalDelta),
      r.evalAuc ? `${r.evalAuc.variant} (${fmtPp(r.evalAuc.delta)})` : '–',
      r.evalGauc ? `${r.evalGauc.variant} (${fmtPp(r.evalGauc.delta)})` : '–',
    ]),
  );
}

export function renderMarkdown(report: SuiteReport): string {
  const rows = summaryRows(report);
  const checks = evaluateChecks(report);
  const share = showShare(report);
  const val = showValidation(report);
  const ceiling = ceilingTable(report);
  const out: string[] = [];
  out.push(`# ${report.title}`, '');
  out.push(report.description, '');
  out.push(`- suite \`${report.suite}\`, preset \`${report.preset}\`, seeds ${report.seeds.join(', ')}; created ${report.createdAt}`);
  out.push(`- run folders under \`${report.runsDir}\` (paths below are relative to it)`);
  const budgets = (report.settings as { budgets?: unknown }).budgets;
  out.push(`- settings: ${budgets ? `budgets \`${JSON.stringify(budgets)}\`; ` : ''}every resolved stage config is in results.json (\`settings\`) and in each folder's run.json`, '');
  out.push('Deltas are against the same CTR model without image features, trained on the same world with the same seed; mean ± sample sd over seeds, in percentage points of AUC.', '');
  if (rows.length) {
    out.push('## Results', '');
    const base = baselineSummary(report);
    if (base) out.push(`Baseline (the CTR model without image features): AUC ${base.auc.mean.toFixed(4)}${base.auc.sd !== null ? ` ± ${base.auc.sd.toFixed(4)}` : ''}, GAUC ${base.gauc.mean.toFixed(4)}${base.gauc.sd !== null ? ` ± ${base.gauc.sd.toFixed(4)}` : ''} (mean ± sd over ${base.auc.n} seed${base.auc.n === 1 ? '' : 's'}).`, '');
    const sweep = report.layout === 'sweep';
    out.push(
      table(
        [...(sweep ? [report.paramName ?? 'param'] : []), 'variant', 'method', 'mode', 'AUC', 'GAUC', 'ΔAUC', 'ΔGAUC', 'ΔAUC pre-train cats', ...(share ? ['headroom share AUC', 'headroom share GAUC'] : []), ...(val ? ['validation AUC', 'validation GAUC'] : []), 'seeds', 'CTR run folders'],
        rows.map((r) => [
          ...(sweep ? [String(r.variant.param ?? '')] : []),
          r.variant.name,
          r.variant.method,
          r.variant.mode,
          r.auc.mean.toFixed(4),
          r.gauc.mean.toFixed(4),
          fmtSummary(r.deltaAuc),
          fmtSummary(r.deltaGauc),
          fmtSummary(r.deltaAucPretrainCats),
          ...(share ? [fmtShareSummary(r.headroomShareAuc), fmtShareSummary(r.headroomShareGauc)] : []),
          ...(val ? [r.validationAuc.n ? r.validationAuc.mean.toFixed(4) : '–', r.validationGauc.n ? r.validationGauc.mean.toFixed(4) : '–'] : []),
          String(r.seeds.length),
          [...new Set(r.ctrDirs.map((d) => d.dir))].map((d) => `\`${d}\``).join(', '),
        ]),
      ),
      '',
    );
    if (share) out.push(SHARE_TEXT, '');
    if (val) out.push('Validation AUC / GAUC: on the validation day (the last CTR training day, held out) at the early-stopping epoch, mean over seeds.', '');
  }
  if (ceiling) {
    out.push('## Ceiling', '', CEILING_TEXT, '');
    out.push(table(CEILING_HEADER, ceilingCells(ceiling)), '');
    if (ceiling.notes.length) out.push(`No ceiling for some seeds: ${ceiling.notes.join('; ')}`, '');
  }
  const probes = probeTable(report);
  if (probes) out.push('## Probes: nearest-neighbour agreement', '', PROBE_TEXT, '', table(probes.header, probes.rows), '');
  const premise = premiseMarkdown(report);
  if (premise) out.push(premise);
  out.push('## Checks against the paper', '', checksMarkdown(checks), '');
  const selection = val ? selectionRows(report) : [];
  if (selection.length) out.push('## Model selection on the validation day', '', SELECTION_TEXT, '', selectionMarkdown(selection), '');
  if (report.layout === 'categories' || report.suite === 'categories') {
    const cats = categoryRows(report);
    if (cats.length) {
      out.push('## ΔAUC per category', '', '`*` = category used in pre-training.', '');
      out.push(table(['variant', 'category', 'eval rows', 'ΔAUC'], cats.map((c) => [c.variant, `${c.category}${c.inPretraining ? ' *' : ''}`, String(c.rows ?? '–'), fmtSummary(c.deltaAuc)])), '');
    }
  }
  if (report.maps.length) {
    out.push('## Embedding maps', '');
    out.push(
      table(
        ['map', 'seed', 'points', 'same-category neighbours', 'same-style neighbours', 'source'],
        report.maps.map((m) => [m.name, String(m.seed), String(m.points.length), m.neighbourAgreement ? m.neighbourAgreement.category.toFixed(3) : '–', m.neighbourAgreement ? m.neighbourAgreement.style.toFixed(3) : '–', `\`${relPath(report, m.source)}\``]),
      ),
      '',
      'Neighbour agreement: share of each point\'s nearest map neighbours with the same label (chance = the label\'s share of points).',
      '',
    );
  }
  if (report.rows.length) {
    out.push('## Every run', '');
    const runs = seedTable(report, (t) => t, (p) => `\`${p}\``);
    out.push(table(runs.header, runs.rows), '');
  }
  return `${out.join('\n')}\n`;
}
