/**
 * Load test of a running service on loopback, bounded in count and time:
 *
 *   tsx apps/serve/src/loadtest.ts [--url http://127.0.0.1:8080] --images DIR [--requests 500]
 *       [--seconds 30] [--connections 4] [--batch 1]
 *
 * Sends up to --requests POST /embed requests (one image each, or JSON batches of --batch images)
 * over --connections concurrent keep-alive connections, stopping at --seconds, and prints
 * throughput (requests/s, images/s), latency p50/p90/p99/max and the status counts.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { parseCliArgs } from '@courier/runtime';

export interface LoadTestResult {
  requests: number;
  images: number;
  seconds: number;
  requestsPerSecond: number;
  imagesPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function post(agent: http.Agent, url: URL, body: Buffer, type: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'Content-Type': type, 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function loadTest(options: { url: string; images: Buffer[]; requests: number; seconds: number; connections: number; batch: number }): Promise<LoadTestResult> {
  const url = new URL('/embed', options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  let images = 0;
  const t0 = performance.now();
  const deadline = t0 + options.seconds * 1000;
  const worker = async () => {
    while (sent < options.requests && performance.now() < deadline) {
      const i = sent++;
      const pick = Array.from({ length: options.batch }, (_, j) => options.images[(i * options.batch + j) % options.images.length]);
      const [body, type] = options.batch === 1 ? [pick[0], 'image/png'] : [Buffer.from(JSON.stringify({ images: pick.map((b) => b.toString('base64')) })), 'application/json'];
      const s = performance.now();
      let status: string;
      try {
        status = String(await post(agent, url, body, type));
      } catch (err) {
        status = (err as NodeJS.ErrnoException).code ?? 'error';
      }
      latencies.push(performance.now() - s);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === '200') images += options.batch;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    images,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    imagesPerSecond: images / seconds,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
    statuses,
  };
}

export function formatLoadTest(r: LoadTestResult, o: { connections: number; batch: number }): string {
  return (
    `${r.requests} requests (${o.batch} image${o.batch > 1 ? 's' : ''} each, ${o.connections} connections) in ${r.seconds.toFixed(1)} s: ` +
    `${r.requestsPerSecond.toFixed(1)} requests/s, ${r.imagesPerSecond.toFixed(1)} images/s; latency p50 ${r.p50.toFixed(1)} ms, p90 ${r.p90.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms; statuses ${JSON.stringify(r.statuses)}`
  );
}

async function main(argv: string[]): Promise<void> {
  const { flags } = parseCliArgs(argv);
  const num = (k: string, d: number) => (flags[k] === undefined ? d : Number(flags[k]));
  if (typeof flags.images !== 'string') throw new Error('loadtest: --images DIR (a folder of .png/.jpg/.webp images) is required');
  const dir = flags.images;
  const files = fs.readdirSync(dir).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)).slice(0, 256);
  if (!files.length) throw new Error(`loadtest: no images in ${dir}`);
  const images = files.map((f) => fs.readFileSync(path.join(dir, f)));
  const o = { url: typeof flags.url === 'string' ? flags.url : 'http://127.0.0.1:8080', images, requests: num('requests', 500), seconds: num('seconds', 30), connections: num('connections', 4), batch: num('batch', 1) };
  for (const [k, v] of Object.entries(o)) if (typeof v === 'number' && !(Number.isInteger(v) && v > 0)) throw new Error(`loadtest: --${k} must be a positive integer, got ${v}`);
  process.stdout.write(`${formatLoadTest(await loadTest(o), o)}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
