/**
 * Bring your own data (issue #22): the README walkthrough as written (export a tiny world as a
 * data folder, run the pipeline on it with --data), and the contract checks of the data folder:
 * each violation is an error naming the file, row and column, or a counted reject.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RAW_IMPRESSIONS, RAW_ITEMS, impressionToRow, impressionFromRow } from '@courier/data-contracts';
import { readParquetAll, writeParquetRows } from '@courier/io';
import { createLogger } from '@courier/runtime';
import { findChromium, probePage } from '@courier/report';
import { checkByoData, deriveDayRoles } from './byo-data';
import { PipelineConfig, runPipeline } from './pipeline';

const repoRoot = path.resolve(__dirname, '../../..');
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-byo-'));
const data = path.join(root, 'my-data');
const lines: string[] = [];
const log = createLogger('byo', { write: (l) => lines.push(l), level: 'info' });

const cli = (args: string[]) => spawnSync(tsx, args, { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, COURIER_THREADS: process.env.COURIER_THREADS ?? '1' }, maxBuffer: 64 * 1024 * 1024 });

/** A copy of the exported folder to break in one way. */
function variant(name: string): string {
  const dir = path.join(root, name);
  fs.cpSync(data, dir, { recursive: true });
  return dir;
}

describe('bring your own data', () => {
  beforeAll(() => {
    const r = cli(['apps/datagen/src/main.ts', 'export-byo', '--preset', 'tiny', '--seed', '1', '--out', data]);
    if (r.status !== 0) throw new Error(`export-byo failed: ${r.stderr}`);
  }, 120000);

  it('export-byo writes only the raw contracts and images (no ground truth)', () => {
    expect(fs.readdirSync(data).sort()).toEqual(['images', 'impressions.parquet', 'items.parquet']);
  });

  it('runs the whole pipeline on the folder (README walkthrough): no oracle, no ceiling, a note says so', () => {
    const config = path.join(root, 'fast.yaml');
    fs.writeFileSync(config, 'ctrSeeds: [1]\nmodes: [cluster-id]\npretrain: {epochs: 2, lr: 0.001}\nctr: {epochs: 1}\n');
    const out = path.join(root, 'run');
    // --allow-slow-backend: this test must also pass where the native backend is missing (wasm CI).
    const r = cli(['apps/pipeline/src/main.ts', 'run', '--data', data, '--config', config, '--out', out, '--allow-slow-backend']);
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr.slice(-3000) }).toEqual({ status: 0, stderr: '' });
    expect(r.stderr.split('\n')[0]).toMatch(/^\[runtime\] tfjs backend: /);
    expect(r.stdout).toContain('baseline (no image)');
    expect(r.stdout).not.toMatch(/^oracle/m);
    expect(r.stdout).toContain('note: your own data');
    const report = JSON.parse(fs.readFileSync(path.join(out, 'ctr', 'ctr-report.json'), 'utf8'));
    expect(report.ceiling.available).toBe(false);
    expect(report.methods.map((m: { name: string }) => m.name)).toEqual(['courier']);
    expect(fs.existsSync(path.join(out, 'clusters', 'assignments.parquet'))).toBe(true);
    const check = JSON.parse(fs.readFileSync(path.join(out, 'world', 'data-check.json'), 'utf8'));
    expect(check).toMatchObject({ items: 400, itemsRejected: 0, days: { pretrain: [0, 1, 2], ctrTrain: [3, 4], eval: 5 }, daysDerived: true });
    // The report a person looks at: training curves, cluster gallery, neighbours (issue #22 item 4).
    const htmlFile = path.join(out, 'report.html');
    const html = fs.readFileSync(htmlFile, 'utf8');
    for (const id of ['pretrain-loss', 'validation-curve', 'cluster-gallery', 'neighbours']) expect(html).toContain(`id="${id}"`);
    expect(html).toContain('Training loss of every optimiser step');
    expect((html.match(/<img class="thumb" src="data:image\/png;base64,/g) ?? []).length).toBeGreaterThan(60);
    const chromium = findChromium();
    if (chromium) {
      const probe = probePage(htmlFile, { chromium, timeoutMs: 20000 });
      // Thumbnails are inline data: URIs (counted, allowed); anything else would be a network request the page must not need.
      expect({ timedOut: probe.timedOut, problems: probe.problems, external: probe.requests }).toEqual({ timedOut: false, problems: [], external: [] });
      expect(probe.inlineRequests).toBeGreaterThan(60); // the thumbnails loaded
    } else if (process.env.CI === 'true') throw new Error('CI: Chromium is required to check report.html');
    // The data folder is only read.
    expect(fs.readdirSync(data).sort()).toEqual(['images', 'impressions.parquet', 'items.parquet']);
  }, 300000);

  it('counts items with a missing, corrupt or truncated image as rejects', async () => {
    const dir = variant('bad-images');
    fs.writeFileSync(path.join(dir, 'images', '0.png'), 'not an image');
    const png = fs.readFileSync(path.join(dir, 'images', '1.png'));
    fs.writeFileSync(path.join(dir, 'images', '1.png'), png.subarray(0, Math.floor(png.length / 2)));
    fs.rmSync(path.join(dir, 'images', '2.png'));
    const s = await checkByoData({ dataDir: dir, outDir: path.join(dir, 'out'), days: null, log });
    expect(s.itemsRejected).toBe(3);
    const rejects = fs.readFileSync(path.join(dir, 'out', 'rejects.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects.map((r) => r.item_id).sort()).toEqual([0, 1, 2]);
    for (const r of rejects) expect(r).toMatchObject({ file: 'items.parquet', column: 'image_path', reason: expect.stringMatching(/images\/[012]\.png/) });
    expect(s.impressionsOfUnknownItems).toBeGreaterThan(0);
  });

  it('errors name the file, row and column: missing file, duplicate id, a label outside {0,1}, too few days', async () => {
    const missing = variant('missing');
    fs.rmSync(path.join(missing, 'items.parquet'));
    await expect(checkByoData({ dataDir: missing, outDir: path.join(missing, 'out'), days: null, log })).rejects.toThrow(/items\.parquet.*no such file/);

    const dup = variant('dup');
    const items = await readParquetAll(path.join(data, 'items.parquet'), RAW_ITEMS);
    items[5] = { ...items[5], item_id: items[4].item_id };
    await writeParquetRows(path.join(dup, 'items.parquet'), RAW_ITEMS, items);
    await expect(checkByoData({ dataDir: dup, outDir: path.join(dup, 'out'), days: null, log })).rejects.toThrow(/items\.parquet row 5, column "item_id": expected a unique item id/);

    const label = variant('label');
    const imps = await readParquetAll(path.join(data, 'impressions.parquet'), RAW_IMPRESSIONS);
    imps[7] = { ...imps[7], label: 2 };
    await writeParquetRows(path.join(label, 'impressions.parquet'), RAW_IMPRESSIONS, imps, { validate: false });
    await expect(checkByoData({ dataDir: label, outDir: path.join(label, 'out'), days: null, log })).rejects.toThrow(/impressions\.parquet row 7, column "label"/);

    const short = variant('short');
    const early = imps.map((r) => impressionFromRow({ ...r, label: r === imps[7] ? 0 : r.label })).filter((i) => i.day <= 2);
    await writeParquetRows(path.join(short, 'impressions.parquet'), RAW_IMPRESSIONS, early.map(impressionToRow));
    await expect(checkByoData({ dataDir: short, outDir: path.join(short, 'out'), days: null, log })).rejects.toThrow(/column "day": expected at least 4 distinct days.*got 3 day\(s\): 0, 1, 2/);
  }, 60000);

  it('the pipeline names a missing file of the folder before any stage runs', async () => {
    const dir = variant('no-impressions');
    fs.rmSync(path.join(dir, 'impressions.parquet'));
    const config: PipelineConfig = { preset: 'tiny', seed: 1, out: null, visualSignal: null, ctrSeeds: [1], modes: ['cluster-id'], oracle: true, world: {}, data: {}, pretrain: {}, cluster: {}, ctr: {}, dataDir: dir };
    const out = path.join(root, 'no-impressions-run');
    await expect(runPipeline({ config, outDir: out, log })).rejects.toThrow(/--data .*no-impressions: impressions\.parquet is missing; expected the impression log \(data-contracts raw-impressions/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('derives day roles: last day evaluates, the (at least 2) days before it train the CTR model', () => {
    expect(deriveDayRoles([5, 0, 1, 2, 3, 4, 4])).toEqual({ pretrain: [0, 1, 2], ctrTrain: [3, 4], eval: 5 });
    expect(deriveDayRoles([...Array(11).keys()])).toEqual({ pretrain: [0, 1, 2, 3, 4, 5], ctrTrain: [6, 7, 8, 9], eval: 10 });
  });
});
