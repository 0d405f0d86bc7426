import * as path from 'node:path';
import { CtrReport } from '@courier/data-contracts';
import type { CtrCeiling, MetricPair } from '@courier/ctr';
import { writeFileAtomicSync } from '@courier/io';
import { GALLERY_CSS, esc, galleriesHtml } from '@courier/report';
import type { Galleries } from '@courier/report';
import type { LossCurve } from './loss-curve';

/**
 * A self-contained HTML page (inline SVG charts, no scripts, no network) summarising a
 * pipeline run: the CTR table, ΔAUC/ΔGAUC per method, the gain per category, stage times.
 * Every number comes from the run folder's report files, whose paths the page names.
 */
export interface HtmlReportArgs {
  report: CtrReport;
  outDir: string;
  stageSeconds: Record<string, number>;
  title: string;
  /** Pre-training loss per step (null or absent: the section says it is missing). */
  lossCurve?: LossCurve | null;
  /** Cluster gallery and nearest neighbours (null or absent: left out). */
  galleries?: Galleries | null;
}

export function writeHtmlReport(file: string, args: HtmlReportArgs): void {
  writeFileAtomicSync(file, renderHtmlReport(args));
}

const fmtPct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;

interface Bar {
  label: string;
  value: number;
  spread?: number;
  colour: string;
}

/** Horizontal bar chart of signed values as an SVG string. */
export function barChart(id: string, title: string, bars: Bar[]): string {
  const rowH = 24;
  const labelW = 220;
  const plotW = 420;
  const h = bars.length * rowH + 40;
  const maxAbs = Math.max(1e-6, ...bars.map((b) => Math.abs(b.value) + (b.spread ?? 0)));
  const zeroX = labelW + plotW / 2;
  const scale = plotW / 2 / maxAbs;
  const rows = bars
    .map((b, i) => {
      const y = 30 + i * rowH;
      const x0 = b.value >= 0 ? zeroX : zeroX + b.value * scale;
      const w = Math.max(1, Math.abs(b.value) * scale);
      const err = b.spread ? `<line x1="${zeroX + (b.value - b.spread) * scale}" x2="${zeroX + (b.value + b.spread) * scale}" y1="${y + 9}" y2="${y + 9}" stroke="#333"/>` : '';
      return `<text x="${labelW - 6}" y="${y + 13}" text-anchor="end" font-size="12">${esc(b.label)}</text><rect class="bar" x="${x0}" y="${y + 2}" width="${w}" height="${rowH - 8}" fill="${b.colour}"><title>${esc(b.label)}: ${fmtPct(b.value)}</title></rect>${err}<text x="${labelW + plotW + 6}" y="${y + 13}" font-size="11">${fmtPct(b.value)}</text>`;
    })
    .join('');
  return `<figure><svg id="${esc(id)}" class="chart" role="img" aria-label="${esc(title)}" width="${labelW + plotW + 80}" height="${h}" xmlns="http://www.w3.org/2000/svg"><text x="0" y="16" font-size="14" font-weight="bold">${esc(title)}</text><line x1="${zeroX}" x2="${zeroX}" y1="24" y2="${h - 6}" stroke="#999"/>${rows}</svg></figure>`;
}

interface Curve {
  seed: number;
  bestEpoch: number;
  points: { epoch: number; loss: number; validationAuc: number | null }[];
}

/** Validation AUC per epoch, one line per method (first seed), as an SVG line chart. */
export function curveChart(id: string, title: string, lines: { label: string; colour: string; curve: Curve }[]): string {
  const pts = lines.flatMap((l) => l.curve.points.filter((p) => p.validationAuc !== null));
  if (pts.length === 0) return '<p>No validation curve (no validation day held out).</p>';
  const w = 520;
  const h = 260;
  const pad = 40;
  const maxEpoch = Math.max(...pts.map((p) => p.epoch));
  const lo = Math.min(...pts.map((p) => p.validationAuc as number));
  const hi = Math.max(...pts.map((p) => p.validationAuc as number));
  const x = (e: number) => pad + ((e - 1) / Math.max(1, maxEpoch - 1)) * (w - 2 * pad);
  const y = (v: number) => h - pad - ((v - lo) / Math.max(1e-6, hi - lo)) * (h - 2 * pad);
  const paths = lines
    .map((l, i) => {
      const ps = l.curve.points.filter((p) => p.validationAuc !== null);
      const d = ps.map((p, j) => `${j ? 'L' : 'M'}${x(p.epoch).toFixed(1)},${y(p.validationAuc as number).toFixed(1)}`).join(' ');
      const best = ps.find((p) => p.epoch === l.curve.bestEpoch);
      const mark = best ? `<circle cx="${x(best.epoch).toFixed(1)}" cy="${y(best.validationAuc as number).toFixed(1)}" r="4" fill="${l.colour}"><title>${esc(l.label)}: best epoch ${best.epoch}</title></circle>` : '';
      return `<path d="${d}" fill="none" stroke="${l.colour}" stroke-width="2"/>${mark}<text x="${w + 4}" y="${20 + i * 16}" font-size="11" fill="${l.colour}">${esc(l.label)}</text>`;
    })
    .join('');
  return `<figure><svg id="${esc(id)}" class="chart" role="img" aria-label="${esc(title)}" width="${w + 220}" height="${h}" xmlns="http://www.w3.org/2000/svg"><text x="0" y="16" font-size="14" font-weight="bold">${esc(title)}</text><line x1="${pad}" x2="${pad}" y1="${pad}" y2="${h - pad}" stroke="#999"/><line x1="${pad}" x2="${w - pad}" y1="${h - pad}" y2="${h - pad}" stroke="#999"/><text x="${pad}" y="${h - 10}" font-size="11">epoch 1</text><text x="${w - pad}" y="${h - 10}" font-size="11" text-anchor="end">epoch ${maxEpoch}</text><text x="2" y="${pad}" font-size="11">${hi.toFixed(3)}</text><text x="2" y="${h - pad}" font-size="11">${lo.toFixed(3)}</text>${paths}</svg><figcaption>Validation AUC (last training day) after each epoch, seed ${lines[0]?.curve.seed}; the dot marks the epoch kept (early stopping).</figcaption></figure>`;
}

/** Pre-training loss per step with a moving average, as an SVG line chart. */
export function lossChart(id: string, curve: LossCurve | null | undefined): string {
  if (!curve || curve.loss.length < 2) return '<p id="loss-missing">No pre-training loss curve in this run folder (pre-training ran before the pipeline recorded one, and no checkpoint history).</p>';
  const w = 520;
  const h = 240;
  const pad = 40;
  const window = Math.max(1, Math.round(curve.loss.length / 30));
  const smooth = curve.loss.map((_, i) => {
    const part = curve.loss.slice(Math.max(0, i - window + 1), i + 1);
    return part.reduce((a, b) => a + b, 0) / part.length;
  });
  const s0 = curve.steps[0];
  const s1 = curve.steps[curve.steps.length - 1];
  const lo = Math.min(...curve.loss);
  const hi = Math.max(...curve.loss);
  const x = (s: number) => pad + ((s - s0) / Math.max(1, s1 - s0)) * (w - 2 * pad);
  const y = (v: number) => h - pad - ((v - lo) / Math.max(1e-9, hi - lo)) * (h - 2 * pad);
  const line = (vals: number[]) => vals.map((v, i) => `${i ? 'L' : 'M'}${x(curve.steps[i]).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const caption =
    curve.source === 'steps'
      ? `Training loss of every optimiser step${window > 1 ? ` (grey) and its moving average over ${window} steps (blue)` : ''}, steps ${s0}-${s1}.`
      : `Only the last ${curve.loss.length} steps (${s0}-${s1}) that the checkpoint keeps: pre-training ran before the pipeline recorded every step.`;
  return `<figure><svg id="${esc(id)}" class="chart" role="img" aria-label="pre-training loss" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg"><text x="0" y="16" font-size="14" font-weight="bold">Pre-training loss per step</text><line x1="${pad}" x2="${pad}" y1="${pad}" y2="${h - pad}" stroke="#999"/><line x1="${pad}" x2="${w - pad}" y1="${h - pad}" y2="${h - pad}" stroke="#999"/><text x="${pad}" y="${h - 10}" font-size="11">step ${s0}</text><text x="${w - pad}" y="${h - 10}" font-size="11" text-anchor="end">step ${s1}</text><text x="2" y="${pad}" font-size="11">${hi.toFixed(2)}</text><text x="2" y="${h - pad}" font-size="11">${lo.toFixed(2)}</text><path d="${line(curve.loss)}" fill="none" stroke="#cbd5e0" stroke-width="1"/><path d="${line(smooth)}" fill="none" stroke="#2b6cb0" stroke-width="2"/></svg><figcaption>${esc(caption)}</figcaption></figure>`;
}

export function renderHtmlReport(args: HtmlReportArgs): string {
  const { report } = args;
  const colourOf = (mode: string) => ({ 'cluster-id': '#2b6cb0', simscore: '#2f855a', vector: '#b7791f', none: '#718096' })[mode] ?? '#805ad5';
  const spread = (m: CtrReport['methods'][number], key: 'auc' | 'gauc') => {
    const deltas = (m.perSeed as { seed: number; auc: number; gauc: number }[]).map((p) => p[key]);
    if (deltas.length < 2) return undefined;
    const mean = deltas.reduce((a, b) => a + b, 0) / deltas.length;
    return Math.sqrt(deltas.reduce((a, b) => a + (b - mean) ** 2, 0) / (deltas.length - 1));
  };
  const label = (m: CtrReport['methods'][number]) => `${m.name} (${m.mode})`;
  const deltaAuc = barChart('delta-auc', 'ΔAUC against the baseline without image features', report.methods.map((m) => ({ label: label(m), value: m.deltaAuc, spread: spread(m, 'auc'), colour: colourOf(m.mode) })));
  const deltaGauc = barChart('delta-gauc', 'ΔGAUC against the baseline', report.methods.map((m) => ({ label: label(m), value: m.deltaGauc, spread: spread(m, 'gauc'), colour: colourOf(m.mode) })));
  const main = report.methods.find((m) => m.name === 'courier' && m.mode === 'cluster-id') ?? report.methods[0];
  const perCategory = main
    ? barChart(
        'per-category',
        `ΔAUC per category, ${label(main)} (hatched: not used in pre-training)`,
        main.perCategory.filter((c) => c.deltaAuc !== null).map((c) => ({ label: `${c.category}${c.inPretraining ? '' : ' *'}`, value: c.deltaAuc as number, colour: c.inPretraining ? '#2b6cb0' : '#90cdf4' })),
      )
    : '';
  const ceiling = report.ceiling as CtrCeiling | undefined;
  const n4 = (x: number | null) => (x === null ? '-' : x.toFixed(4));
  const shareCell = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(0)}%`);
  const ceilingRows = ceiling?.available
    ? [
        ['Bayes: true click probability (ceiling)', ceiling.bayes],
        ['Bayes without the look term', ceiling.noLook],
        ['Bayes without position', ceiling.noPosition],
      ].map(([name, p]) => `<tr class="ceiling"><td>${esc(name as string)}</td><td>truth</td><td>${n4((p as MetricPair).auc)}</td><td>${n4((p as MetricPair).gauc)}</td><td></td><td></td><td></td><td></td><td></td></tr>`)
    : [];
  const tableRows = [
    ...ceilingRows,
    `<tr><td>baseline (no image)</td><td>none</td><td>${report.baseline.auc.toFixed(4)}</td><td>${report.baseline.gauc.toFixed(4)}</td><td>${report.baseline.gaucWeighted.toFixed(4)}</td><td></td><td></td><td></td><td></td></tr>`,
    ...report.methods.map((m) => {
      const hs = m.headroomShare as MetricPair;
      return `<tr><td>${esc(m.name)}</td><td>${esc(m.mode)}</td><td>${m.auc.toFixed(4)}</td><td>${m.gauc.toFixed(4)}</td><td>${m.gaucWeighted.toFixed(4)}</td><td>${fmtPct(m.deltaAuc)}</td><td>${fmtPct(m.deltaGauc)}</td><td>${shareCell(hs.auc)}</td><td>${shareCell(hs.gauc)}</td></tr>`;
    }),
  ].join('\n');
  const ceilingNote = ceiling?.available
    ? `<p id="ceiling-note">Ceiling rows score the evaluation rows with the world's true click probability (evaluation only, never a training input). The look headroom, Bayes minus Bayes without the look, is ${fmtPct(ceiling.lookHeadroom.auc ?? 0)} AUC and ${fmtPct(ceiling.lookHeadroom.gauc ?? 0)} GAUC; the headroom columns give the share of it each method's gain captures.</p>`
    : `<p id="ceiling-note">No ceiling rows: ${esc(ceiling?.note ?? 'not computed')}.</p>`;
  const palette = ['#718096', '#2b6cb0', '#2f855a', '#b7791f', '#805ad5', '#c53030', '#319795', '#d69e2e', '#3182ce'];
  const curveLines = [{ label: 'baseline', curve: (report.baseline.curves as Curve[] | undefined)?.[0] }, ...report.methods.map((m) => ({ label: label(m), curve: (m.curves as Curve[] | undefined)?.[0] }))]
    .filter((l): l is { label: string; curve: Curve } => l.curve !== undefined)
    .map((l, i) => ({ ...l, colour: palette[i % palette.length] }));
  const curves = curveChart('validation-curve', 'Validation AUC per epoch', curveLines);
  const stages = Object.entries(args.stageSeconds).map(([s, t]) => `<tr><td>${esc(s)}</td><td>${t.toFixed(1)} s</td><td><code>${esc(path.join(args.outDir, s))}</code></td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(args.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}figure{margin:1.5em 0}${GALLERY_CSS}</style>
</head><body data-rendered="all">
<h1>${esc(args.title)}</h1>
<p>CTR evaluation on the evaluation day; seeds ${esc(JSON.stringify(report.methods[0]?.seeds ?? []))}. Deltas are means over seeds against the same CTR model without image features; error bars show the spread of the per-seed metric. Source: <code>${esc(path.join(args.outDir, 'ctr', 'ctr-report.json'))}</code>.</p>
<table id="ctr-table"><thead><tr><th>method</th><th>mode</th><th>AUC</th><th>GAUC</th><th>GAUC (weighted)</th><th>ΔAUC</th><th>ΔGAUC</th><th>headroom AUC</th><th>headroom GAUC</th></tr></thead><tbody>
${tableRows}
</tbody></table>
${ceilingNote}
<h2 id="training-curves">Training curves</h2>
${lossChart('pretrain-loss', args.lossCurve)}
${curves}
${deltaAuc}
${deltaGauc}
${perCategory}
${galleriesHtml(args.galleries)}
<h2>Stages</h2>
<table><thead><tr><th>stage</th><th>time</th><th>folder</th></tr></thead><tbody>
${stages}
</tbody></table>
</body></html>
`;
}
