// Public API of @courier/report: experiment-report data (results.json), statistics over seeds,
// checks against the paper, and the Markdown and self-contained HTML (Vega-Lite) renderings.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync, writeJsonAtomic } from '@courier/io';
import { GALLERIES_FILE, MethodGallery, validateMethodGalleries } from './galleries';
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
export { buildGalleries, galleriesHtml, methodGalleriesHtml, validateMethodGalleries, GALLERY_CSS, GALLERIES_FILE } from './galleries';
export type { Galleries, GalleryItem, MethodGallery } from './galleries';
export type { PageProbe } from './browser';

export interface WrittenReport {
  json: string;
  markdown: string;
  html: string;
}

/**
 * Writes results.json, report.md and report.html into `dir` (atomically). Method galleries (issue
 * #22), when given, go to galleries.json beside them and into report.html; when not given, a
 * galleries.json already in `dir` is rendered (so `experiments render` keeps them).
 */
export function writeSuiteReport(dir: string, report: SuiteReport, extras: { galleries?: MethodGallery[] } = {}): WrittenReport {
  validateSuiteReport(report);
  const out = { json: path.join(dir, 'results.json'), markdown: path.join(dir, 'report.md'), html: path.join(dir, 'report.html') };
  const galleriesFile = path.join(dir, GALLERIES_FILE);
  let galleries = extras.galleries;
  if (galleries) writeJsonAtomic(galleriesFile, galleries);
  else if (fs.existsSync(galleriesFile)) {
    const loaded = JSON.parse(fs.readFileSync(galleriesFile, 'utf8')) as unknown;
    validateMethodGalleries(loaded, galleriesFile);
    galleries = loaded;
  }
  writeJsonAtomic(out.json, report);
  writeFileAtomicSync(out.markdown, renderMarkdown(report));
  writeFileAtomicSync(out.html, renderHtml(report, { galleries }));
  return out;
}
