/**
 * Benchmark of @courier/io image decoding: encode N small PNGs (seeded noise with a gradient),
 * then decode them one by one, as batches, and through an ImageCache (a cold pass, then a warm
 * pass that must be all hits). Prints images/s, MB/s of decoded float32 output and peak RSS.
 *
 *   npx tsx tools/bench/io-images.ts [--images 1000] [--size 64] [--out-size 64]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageCache, encodeImage, loadImage, loadImageBatch } from '@courier/io';
import { Rng, parseCliArgs } from '@courier/runtime';

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const n = Number(flags.images ?? 1000);
  const size = Number(flags.size ?? 64);
  const outSize = Number(flags['out-size'] ?? 64);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-bench-img-'));
  const rng = new Rng(1);
  const files: string[] = [];
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    const rgb = new Uint8Array(size * size * 3);
    for (let p = 0; p < rgb.length; p++) rgb[p] = ((p % (size * 3)) * 2 + rng.int(32)) & 255;
    const file = path.join(dir, `${i}.png`);
    await encodeImage(file, rgb, size, size);
    files.push(file);
  }
  const line = (label: string, count: number, seconds: number) =>
    console.log(`${label.padEnd(30)} ${String(count).padStart(6)} images ${seconds.toFixed(2).padStart(6)} s ${Math.round(count / seconds).toString().padStart(6)} images/s ${((count * outSize * outSize * 3 * 4) / 1e6 / seconds).toFixed(1).padStart(6)} MB/s out`);
  console.log(`io-images: ${n} PNGs of ${size}x${size} -> ${outSize}x${outSize} RGB float32, ${os.cpus().length} cpus, load ${os.loadavg()[0].toFixed(1)}`);
  line('encodeImage (PNG)', n, (performance.now() - t) / 1000);

  t = performance.now();
  for (const f of files) await loadImage(f, { width: outSize, height: outSize });
  line('loadImage, one at a time', n, (performance.now() - t) / 1000);

  for (const concurrency of [4, 16]) {
    t = performance.now();
    const batch = await loadImageBatch(files, { width: outSize, height: outSize, concurrency });
    if (batch.length !== n * outSize * outSize * 3) throw new Error('batch size mismatch');
    line(`loadImageBatch, concurrency ${concurrency}`, n, (performance.now() - t) / 1000);
  }

  const cache = new ImageCache({ width: outSize, height: outSize, maxEntries: n });
  t = performance.now();
  for (let i = 0; i < n; i++) await cache.get(i, files[i]);
  line('ImageCache cold pass', n, (performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < n; i++) await cache.get(i, files[i]);
  line('ImageCache warm pass', n, (performance.now() - t) / 1000);
  const stats = cache.stats();
  if (stats.hits !== n || stats.misses !== n) throw new Error(`unexpected cache stats ${JSON.stringify(stats)}`);
  console.log(`cache stats ${JSON.stringify(stats)}; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
