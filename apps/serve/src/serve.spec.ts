/**
 * The embedding service (issue #22) on a tiny world's exported backbone and centres: answers match
 * the batch export (embeddings.arrow, assignments.parquet); every bad input gets a 4xx with a
 * message and the service keeps answering; the queue bound gives 503; the batch command writes
 * Parquet and counts unreadable files. A 1-epoch pre-training keeps the fixture to seconds.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import { CLUSTER_ASSIGNMENTS } from '@courier/data-contracts';
import { readParquetAll, readVectorTable } from '@courier/io';
import { createLogger, initBackend, resolveConfig } from '@courier/runtime';
import { generateWorld } from '@courier/world';
import { buildSamples } from '@courier/data-builder';
import { PRETRAIN_CONFIG_SCHEMA, PretrainConfig, runPretrainTrainStage } from '@courier/courier';
import { CLUSTER_CONFIG_SCHEMA, ClusterConfig, runClusterFit } from '@courier/clustering';
import { NEW_ITEM_ASSIGNMENTS, runBatch } from './batch';
import { ServeModel, filesOfRun, loadServeModel } from './model';
import { RunningServer, startServer } from './server';
import { formatLoadTest, loadTest } from './loadtest';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-serve-'));
const quiet = createLogger('test', { write: () => undefined, level: 'error' });
let model: ServeModel;
let srv: RunningServer;
const serverLog: string[] = [];

interface Reply {
  status: number;
  json: Record<string, unknown>;
}

function request(method: string, urlPath: string, body?: Buffer | string, type?: string, headers: Record<string, string | number> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${srv.url}${urlPath}`, { method, headers: { ...(type ? { 'Content-Type': type } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A PNG whose header says width x height (a decompression bomb's shape) with one tiny IDAT. */
function pngClaiming(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.alloc(1024))), chunk('IEND', Buffer.alloc(0))]);
}

const world = path.join(root, 'world');
const image = (id: number) => fs.readFileSync(path.join(world, 'images', `${id}.png`));

beforeAll(async () => {
  await initBackend({ log: () => undefined });
  await generateWorld({ preset: 'tiny', outDir: world, seed: 3, log: quiet });
  await buildSamples({ worldDir: world, outDir: path.join(root, 'samples'), seed: 3, log: quiet });
  const config = resolveConfig<PretrainConfig>(PRETRAIN_CONFIG_SCHEMA, { overrides: { epochs: 1, seed: 3 }, typedOverrides: true });
  await runPretrainTrainStage({ samples: path.join(root, 'samples'), world, outDir: path.join(root, 'pretrain'), config, log: quiet } as Parameters<typeof runPretrainTrainStage>[0]);
  const cluster = resolveConfig<ClusterConfig>(CLUSTER_CONFIG_SCHEMA, { overrides: { k: 16, embeddings: path.join(root, 'pretrain', 'embeddings.arrow') }, typedOverrides: true });
  await runClusterFit({ outDir: path.join(root, 'clusters'), seed: 3, config: cluster });
  model = await loadServeModel(filesOfRun(root));
  srv = await startServer(model, { port: 0, limits: { maxBodyBytes: 1024 * 1024, maxImages: 8, concurrency: 1, queue: 1 }, log: (l) => serverLog.push(l) });
}, 180000);

afterAll(async () => {
  await srv?.close();
  model?.dispose();
});

describe('serve', () => {
  it('GET /health says what is served', async () => {
    const r = await request('GET', '/health');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'ok', dim: model.dim, k: 16, imageSize: model.imageSize });
  });

  it('answers one image and a JSON batch with the embedding and cluster id of the batch export', async () => {
    const exported = readVectorTable(path.join(root, 'pretrain', 'embeddings.arrow'));
    const assignments = new Map((await readParquetAll(path.join(root, 'clusters', 'assignments.parquet'), CLUSTER_ASSIGNMENTS)).map((r) => [r.item_id as number, r.cluster_id as number]));
    const ids = [0, 7, 42];
    const single = await request('POST', '/embed', image(7), 'image/png');
    expect(single.status).toBe(200);
    const batch = await request('POST', '/embed', JSON.stringify({ images: ids.map((id) => image(id).toString('base64')) }), 'application/json');
    expect(batch.status).toBe(200);
    const results = batch.json.results as { embedding: number[]; clusterId: number }[];
    expect(results).toHaveLength(3);
    // One image alone or in a batch: the same answer (to float32 rounding of the batched matmul).
    expect(results[1].clusterId).toBe(single.json.clusterId);
    results[1].embedding.forEach((v, j) => expect(v).toBeCloseTo((single.json.embedding as number[])[j], 5));
    ids.forEach((id, i) => {
      const row = exported.ids.indexOf(id);
      const want = exported.vectors.subarray(row * exported.dim, (row + 1) * exported.dim);
      results[i].embedding.forEach((v, j) => expect(v).toBeCloseTo(want[j], 5));
      expect(results[i].clusterId).toBe(assignments.get(id));
    });
  });

  it('bad input gets a 4xx with a message, and the service keeps answering', async () => {
    const png = image(3);
    const text = Buffer.from('this is not an image');
    const cases: [string, () => Promise<Reply>, number, RegExp][] = [
      ['not an image', () => request('POST', '/embed', text, 'image/png'), 422, /not an image/],
      ['truncated PNG', () => request('POST', '/embed', png.subarray(0, Math.floor(png.length / 2)), 'image/png'), 422, /corrupt or truncated/],
      ['corrupt PNG (bytes flipped)', () => request('POST', '/embed', Buffer.concat([png.subarray(0, 40), Buffer.alloc(png.length - 40, 0x5a)]), 'image/png'), 422, /corrupt or truncated/],
      ['20000x20000 PNG', () => request('POST', '/embed', pngClaiming(20000, 20000), 'image/png'), 422, /at most \d+ pixels.*20000 x 20000/],
      ['empty body', () => request('POST', '/embed', Buffer.alloc(0), 'image/png'), 400, /empty body/],
      ['wrong content type', () => request('POST', '/embed', png, 'text/plain'), 415, /Content-Type "text\/plain" is not accepted/],
      ['no content type', () => request('POST', '/embed', png), 415, /Content-Type "\(none\)"/],
      ['too many images', () => request('POST', '/embed', JSON.stringify({ images: Array(9).fill(png.toString('base64')) }), 'application/json'), 413, /9 images in one request; at most 8/],
      ['body over the limit', () => request('POST', '/embed', Buffer.alloc(2 * 1024 * 1024, 1), 'image/png'), 413, /over the limit of 1048576 bytes/],
      ['body over the limit, chunked (no Content-Length)', () => request('POST', '/embed', Buffer.alloc(2 * 1024 * 1024, 1), 'image/png', { 'Transfer-Encoding': 'chunked' }), 413, /body over the limit of 1048576 bytes/],
      ['malformed JSON', () => request('POST', '/embed', '{"images": [', 'application/json'), 400, /malformed JSON/],
      ['a bad image in a batch', () => request('POST', '/embed', JSON.stringify({ images: [png.toString('base64'), text.toString('base64')] }), 'application/json'), 422, /images\[1\].*not an image/],
      ['unknown path', () => request('GET', '/nope'), 404, /no route/],
      ['wrong method', () => request('GET', '/embed'), 405, /use POST/],
    ];
    const table: string[] = [];
    for (const [name, send, status, message] of cases) {
      const r = await send();
      table.push(`${name}: ${r.status} ${String(r.json.error)}`);
      expect({ name, status: r.status }).toEqual({ name, status });
      expect(String(r.json.error)).toMatch(message);
      expect((await request('GET', '/health')).status).toBe(200);
    }
    fs.writeFileSync(path.join(root, 'bad-inputs.txt'), `${table.join('\n')}\n`);
    if (process.env.SERVE_PRINT_BAD_INPUTS) process.stdout.write(`${table.join('\n')}\n`);
    const ok = await request('POST', '/embed', png, 'image/png');
    expect(ok.status).toBe(200);
  });

  it('bounds concurrent work: one in progress, one queued, the next gets 503 at once', async () => {
    const png = image(5);
    // Two requests that send half their body and wait hold the slot and the queue place.
    const hold = () => {
      const req = http.request(`${srv.url}/embed`, { method: 'POST', headers: { 'Content-Type': 'image/png', 'Content-Length': png.length } });
      const reply = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
      });
      req.write(png.subarray(0, 10));
      return { finish: () => req.end(png.subarray(10)), reply };
    };
    const a = hold();
    await new Promise((r) => setTimeout(r, 100));
    const b = hold();
    await new Promise((r) => setTimeout(r, 100));
    const busy = await request('POST', '/embed', png, 'image/png');
    expect(busy.status).toBe(503);
    expect(String(busy.json.error)).toMatch(/busy: 1 requests in progress and 1 waiting/);
    a.finish();
    b.finish();
    expect(await a.reply).toBe(200);
    expect(await b.reply).toBe(200);
    expect((await request('POST', '/embed', png, 'image/png')).status).toBe(200);
  });

  it('the load test is bounded in count and time and reports latency percentiles', async () => {
    const r = await loadTest({ url: srv.url, images: [image(1), image(2)], requests: 20, seconds: 10, connections: 1, batch: 1 });
    expect(r.requests).toBe(20);
    expect(r.statuses).toEqual({ '200': 20 });
    expect(r.p50).toBeLessThanOrEqual(r.p99);
    expect(formatLoadTest(r, { connections: 1, batch: 1 })).toMatch(/requests\/s.*p50 .* ms.*p99/);
  });

  it('batch: embeds and assigns a folder into Parquet, counting unreadable files', async () => {
    const dir = path.join(root, 'new-items');
    fs.mkdirSync(dir);
    for (const id of [10, 11, 12]) fs.copyFileSync(path.join(world, 'images', `${id}.png`), path.join(dir, `${id}.png`));
    fs.writeFileSync(path.join(dir, 'broken.png'), 'nope');
    await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 10, b: 10 } } }).jpeg().toFile(path.join(dir, 'red.jpg'));
    const r = await runBatch(model, { images: dir, out: path.join(root, 'out.parquet'), batchSize: 2 });
    expect(r).toMatchObject({ files: 5, written: 4, rejected: 1 });
    const rows = await readParquetAll(r.out, NEW_ITEM_ASSIGNMENTS);
    expect(rows.map((x) => [x.file, x.item_id])).toEqual([
      ['10.png', 10],
      ['11.png', 11],
      ['12.png', 12],
      ['red.jpg', null],
    ]);
    const single = await model.embedImages([image(11)], ['11.png']);
    expect(rows[1].cluster_id).toBe(single[0].clusterId);
    Array.from(rows[1].embedding as ArrayLike<number>).forEach((v, j) => expect(v).toBeCloseTo(single[0].embedding[j], 5));
    expect(fs.readFileSync(r.rejectsFile, 'utf8')).toMatch(/broken\.png.*not an image/);
  });

  it('serve start (the CLI) listens on loopback and answers /health until stopped', async () => {
    const repoRoot = path.resolve(__dirname, '../../..');
    const child = spawn(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), ['apps/serve/src/main.ts', 'start', '--run', root, '--port', '0'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let err = '';
        const timer = setTimeout(() => reject(new Error(`serve start did not listen within 60 s: ${err}`)), 60000);
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.on('exit', (code) => reject(new Error(`serve start exited with ${code}: ${err}`)));
      });
      const health = await new Promise<Record<string, unknown>>((resolve, reject) => {
        http.get(`${url}/health`, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(JSON.parse(text)));
        }).on('error', reject);
      });
      expect(health).toMatchObject({ status: 'ok', k: 16, dim: model.dim });
    } finally {
      child.kill('SIGTERM');
    }
  }, 90000);
});
