// Opens a report page in headless Chromium (puppeteer-core is ESM-only, so this runs as its own
// node process) and prints JSON: whether every chart rendered, the marks per chart container,
// console errors/warnings, page errors and any network request the page tried (all are blocked).
//   node page-probe.mjs --html FILE [--chromium PATH] [--screenshot PNG] [--selector CSS] [--timeout MS]
import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const html = arg('html');
const chromium = arg('chromium') ?? process.env.CHROMIUM_PATH;
if (!html || !fs.existsSync(html)) {
  console.error(`page-probe: --html FILE is required and must exist (got ${html})`);
  process.exit(2);
}
if (!chromium) {
  console.error('page-probe: no Chromium (give --chromium PATH or set CHROMIUM_PATH)');
  process.exit(2);
}
const timeout = Number(arg('timeout') ?? 30000);
const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900, deviceScaleFactor: 2 });
  const problems = [];
  const requests = [];
  let inlineRequests = 0; // data: URLs (inlined thumbnails): not network, allowed and only counted
  page.on('console', (msg) => {
    if (['error', 'warn', 'warning'].includes(msg.type())) problems.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  const url = pathToFileURL(html).href;
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    if (req.url() === url) req.continue();
    else if (req.url().startsWith('data:')) {
      inlineRequests++;
      req.continue();
    } else {
      requests.push(req.url());
      req.abort();
    }
  });
  await page.goto(url, { waitUntil: 'load' });
  let timedOut = false;
  try {
    await page.waitForSelector('body[data-rendered="all"], body[data-rendered="error"]', { timeout });
  } catch {
    timedOut = true;
  }
  const state = await page.evaluate(() => ({
    body: document.body.getAttribute('data-rendered'),
    charts: Array.from(document.querySelectorAll('.chart')).map((el) => ({
      id: el.id,
      rendered: el.getAttribute('data-rendered'),
      svgs: el.querySelectorAll('svg').length,
      marks: el.querySelectorAll('svg .role-mark path, svg .role-mark rect, svg .role-mark line, svg .role-mark circle').length,
    })),
  }));
  let screenshot = null;
  const shot = arg('screenshot');
  if (shot) {
    const selector = arg('selector') ?? 'body';
    const el = await page.$(selector);
    if (!el) throw new Error(`page-probe: no element ${selector} to screenshot`);
    // The figure around a chart holds its title and caption too.
    const target = (await el.evaluateHandle((e) => e.closest('figure') ?? e)).asElement();
    await target.screenshot({ path: shot });
    screenshot = shot;
  }
  process.stdout.write(`${JSON.stringify({ ...state, timedOut, problems, requests, inlineRequests, screenshot })}\n`);
} finally {
  await browser.close();
}
