/**
 * Headless-Chromium checks of a report page (and screenshots of its charts), through
 * browser/page-probe.mjs in a child node process: puppeteer-core is an ES module, which
 * CommonJS code and jest cannot load directly.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface PageProbe {
  /** body[data-rendered]: "all" when every chart rendered, "error" when one failed. */
  body: string | null;
  charts: { id: string; rendered: string | null; svgs: number; marks: number }[];
  timedOut: boolean;
  /** Console errors and warnings, and uncaught page errors. */
  problems: string[];
  /** Requests the page tried beyond its own file (all blocked: the page must need none). */
  /** Requests for anything but the page itself and data: URLs (all blocked: a self-contained page makes none). */
  requests: string[];
  /** data: URLs the page loaded (inlined images), allowed. */
  inlineRequests: number;
  screenshot: string | null;
}

/** Chromium from CHROMIUM_PATH, else `chromium` / `chromium-browser` / `google-chrome` on PATH; null if none. */
export function findChromium(): string | null {
  const env = process.env.CHROMIUM_PATH;
  if (env) return fs.existsSync(env) ? env : null;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const p = execFileSync('which', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (p) return p;
    } catch {
      // not on PATH
    }
  }
  return null;
}

function probeScript(): string {
  for (const p of [path.join(__dirname, '..', 'browser', 'page-probe.mjs'), path.join(process.cwd(), 'libs', 'report', 'browser', 'page-probe.mjs')]) if (fs.existsSync(p)) return p;
  throw new Error('report: browser/page-probe.mjs not found next to libs/report/src');
}

/** Opens `htmlFile` in headless Chromium, waits for the charts, optionally screenshots `selector`'s figure. */
export function probePage(htmlFile: string, options: { chromium?: string; screenshot?: string; selector?: string; timeoutMs?: number } = {}): PageProbe {
  const chromium = options.chromium ?? findChromium();
  if (!chromium) throw new Error('report: Chromium not found (set CHROMIUM_PATH or install the `chromium` package)');
  const args = [probeScript(), '--html', htmlFile, '--chromium', chromium, '--timeout', String(options.timeoutMs ?? 30000)];
  if (options.screenshot) args.push('--screenshot', options.screenshot, '--selector', options.selector ?? '#chart-main');
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: (options.timeoutMs ?? 30000) + 30000, maxBuffer: 64 * 1024 * 1024 });
  const line = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as PageProbe;
  } catch {
    throw new Error(`report: page probe printed no JSON: ${out.slice(-500)}`);
  }
}
