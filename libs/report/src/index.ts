// Public API of @courier/report: experiment-report data (results.json), statistics over seeds,
// checks against the paper, and the Markdown and self-contained HTML (Vega-Lite) renderings.
import * as path from 'node:path';
import { writeFileAtomicSync, writeJsonAtomic } from '@courier/io';
import { renderHtml } from './html';
import { renderMarkdown } from './markdown';
import { SuiteReport, validateSuiteReport } from './model';

export * from './model';
export * from './stats';
export * from './checks';
export * from './premise';
export { renderMarkdown, checksMarkdown, selectionMarkdown } from './markdown';
export { renderHtml, vendorFile, esc } from './html';
export { reportCharts, deltaBarsChart, sweepChart, categoryChart, mapCharts } from './charts';
export type { ChartSpec } from './charts';
export { summaryRows, seedRows, categoryRows, baselineSummary, fmtPp, fmtSummary, fmtShare, fmtShareSummary, relPath, ceilingTable, probeTable, PROBE_TEXT, selectionRows, showShare, showValidation } from './tables';
export type { SummaryRow, CeilingTable, SelectionRow } from './tables';
export { syntheticSuiteReport } from './fixture';
export { findChromium, probePage } from './browser';
export type { PageProbe } from './browser';

export interface WrittenReport {
  json: string;
  markdown: string;
  html: string;
}

/** Writes results.json, report.md and report.html into `dir` (atomically). */
export function writeSuiteReport(dir: string, report: SuiteReport): WrittenReport {
  validateSuiteReport(report);
  const out = { json: path.join(dir, 'results.json'), markdown: path.join(dir, 'report.md'), html: path.join(dir, 'report.html') };
  writeJsonAtomic(out.json, report);
  writeFileAtomicSync(out.markdown, renderMarkdown(report));
  writeFileAtomicSync(out.html, renderHtml(report));
  return out;
}
