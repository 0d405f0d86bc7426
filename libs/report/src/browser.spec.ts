/**
 * Opens generated pages in headless Chromium and checks that every chart rendered (an SVG with
 * marks inside each chart container), that the console shows no errors or warnings and that the
 * page requests nothing from the network. Needs Chromium (CHROMIUM_PATH or `chromium` on PATH):
 * without it the test fails in CI (CI=true) and is skipped elsewhere, with a message.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findChromium, probePage } from './browser';
import { reportCharts } from './charts';
import { syntheticSuiteReport } from './fixture';
import { writeSuiteReport } from './write';
import type { SuiteReport } from './model';

const chromium = findChromium();
if (!chromium) {
  if (process.env.CI === 'true') throw new Error('report browser test: Chromium not found (set CHROMIUM_PATH or install the `chromium` package); CI must run this test');
  process.stderr.write('report browser test SKIPPED: Chromium not found (set CHROMIUM_PATH or install `chromium`)\n');
}
const describeBrowser = chromium ? describe : describe.skip;

function pageOf(report: SuiteReport): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-report-page-'));
  return writeSuiteReport(dir, report).html;
}

describeBrowser('report page in headless Chromium', () => {
  it('renders every chart of a bar suite with maps, with no console errors and no network', () => {
    const report = syntheticSuiteReport();
    const html = pageOf(report);
    const shot = path.join(path.dirname(html), 'main.png');
    const probe = probePage(html, { chromium: chromium as string, screenshot: shot });
    expect(probe.problems).toEqual([]);
    expect(probe.requests).toEqual([]);
    expect(probe.timedOut).toBe(false);
    expect(probe.body).toBe('all');
    expect(probe.charts.map((c) => c.id)).toEqual(reportCharts(report).map((c) => c.id));
    for (const c of probe.charts) {
      expect(c).toMatchObject({ rendered: 'true' });
      expect(c.svgs).toBeGreaterThan(0);
      expect(c.marks).toBeGreaterThan(0);
    }
    // Main chart: 4 variants x 2 metrics bars, their error rules and 24 seed dots at least.
    expect(probe.charts[0].marks).toBeGreaterThanOrEqual(8 + 8 + 24);
    // A map draws one symbol per point.
    expect(probe.charts.find((c) => c.id === 'chart-map-0-style')!.marks).toBeGreaterThanOrEqual(60);
    // The screenshot is a PNG of some size.
    const png = fs.readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(5000);
  }, 90000);

  it('renders a sweep suite, a single-seed report and a categories suite (several variants per category)', () => {
    for (const report of [syntheticSuiteReport({ layout: 'sweep' }), syntheticSuiteReport({ seeds: [7], withMaps: false }), syntheticSuiteReport({ layout: 'categories', withMaps: false })]) {
      const probe = probePage(pageOf(report), { chromium: chromium as string });
      expect(probe.problems).toEqual([]);
      expect(probe.body).toBe('all');
      expect(probe.charts.length).toBeGreaterThan(0);
      for (const c of probe.charts) expect(c.marks).toBeGreaterThan(0);
    }
  }, 90000);

  it('reports a chart that fails to render', () => {
    const report = syntheticSuiteReport({ withMaps: false });
    const html = pageOf(report);
    // Break the main chart's spec: an unknown mark type makes vega-embed reject.
    fs.writeFileSync(html, fs.readFileSync(html, 'utf8').replace('"mark":{"type":"bar"', '"mark":{"type":"no-such-mark"'));
    const probe = probePage(html, { chromium: chromium as string });
    expect(probe.body).toBe('error');
    expect(probe.problems.join('\n')).toMatch(/a chart failed to render/);
  }, 90000);
});
