// Writes an experiment report's three files (results.json, report.md, report.html) and its
// method galleries, atomically.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync, writeJsonAtomic } from '@courier/io';
import { GALLERIES_FILE, MethodGallery, validateMethodGalleries } from './galleries';
import { renderHtml } from './html';
import { renderMarkdown } from './markdown';
import { SuiteReport, validateSuiteReport } from './model';

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
