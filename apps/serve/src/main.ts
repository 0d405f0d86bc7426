/**
 * serve: embeddings and cluster ids for new item images, from an exported backbone and centres.
 *
 *   tsx apps/serve/src/main.ts start [--run DIR | --checkpoint FILE --centres FILE] [--host 127.0.0.1]
 *       [--port 8080] [--max-body-mib 16] [--max-images 64] [--concurrency 2] [--queue 32]
 *   tsx apps/serve/src/main.ts batch [--run DIR | --checkpoint FILE --centres FILE] --images DIR [--out FILE.parquet]
 *   tsx apps/serve/src/main.ts help
 *
 * --run DIR is a pipeline output folder (default runs/demo-seed1): DIR/pretrain/checkpoint.ckpt and
 * DIR/clusters/centres.arrow. The HTTP API is in server.ts and apps/serve/README.md.
 */
import * as path from 'node:path';
import { createLogger, initBackend, parseCliArgs } from '@courier/runtime';
import { ServeModelFiles, filesOfRun, loadServeModel } from './model';
import { DEFAULT_LIMITS, ServeLimits, startServer } from './server';
import { runBatch } from './batch';

const HELP = `serve: embeddings and cluster ids for new item images

  start  [--run DIR | --checkpoint FILE --centres FILE] [--host 127.0.0.1] [--port 8080]
         [--max-body-mib ${DEFAULT_LIMITS.maxBodyBytes / 1048576}] [--max-images ${DEFAULT_LIMITS.maxImages}] [--concurrency ${DEFAULT_LIMITS.concurrency}] [--queue ${DEFAULT_LIMITS.queue}]
         HTTP: GET /health; POST /embed with image bytes (image/png, image/jpeg, image/webp) or
         JSON {"images": ["<base64>", ...]}
  batch  [--run DIR | --checkpoint FILE --centres FILE] --images DIR [--out FILE.parquet]
         every image of DIR -> new-items.parquet (file, item_id, cluster_id, distance, embedding)

--run DIR: a pipeline output folder (default runs/demo-seed1) holding pretrain/checkpoint.ckpt and
clusters/centres.arrow.
`;

function modelFiles(flags: Record<string, string | boolean>): ServeModelFiles {
  const str = (k: string) => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
  const run = filesOfRun(path.resolve(str('run') ?? path.join('runs', 'demo-seed1')));
  return { checkpoint: str('checkpoint') ?? run.checkpoint, centres: str('centres') ?? run.centres };
}

function positiveInt(flags: Record<string, string | boolean>, key: string, fallback: number, min = 1): number {
  if (flags[key] === undefined) return fallback;
  const n = Number(flags[key]);
  if (!Number.isInteger(n) || n < min) throw new Error(`serve: --${key} must be an integer >= ${min}, got ${JSON.stringify(flags[key])}`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const { positionals, flags } = parseCliArgs(argv);
  const command = positionals[0] ?? 'start';
  if (command === 'help' || flags.help || flags.h) {
    process.stdout.write(HELP);
    return;
  }
  if (command !== 'start' && command !== 'batch') throw new Error(`serve: unknown command "${command}"; expected start, batch or help`);
  await initBackend();
  const log = createLogger('serve');
  const model = await loadServeModel(modelFiles(flags));
  log.info(`model: ${model.files.checkpoint} (image ${model.imageSize}px, d=${model.dim}), centres ${model.files.centres} (K=${model.k}, rule ${model.rule})`);
  if (command === 'batch') {
    if (typeof flags.images !== 'string') throw new Error('serve batch: --images DIR is required');
    const r = await runBatch(model, { images: flags.images, out: typeof flags.out === 'string' ? flags.out : path.join(flags.images, '..', 'new-items.parquet'), log: (l) => log.info(l) });
    process.stdout.write(`${r.written} of ${r.files} images embedded and assigned -> ${r.out} (${r.imagesPerSecond.toFixed(1)} images/s); ${r.rejected} rejected${r.rejected ? ` (${r.rejectsFile})` : ''}\n`);
    return;
  }
  const limits: ServeLimits = {
    ...DEFAULT_LIMITS,
    maxBodyBytes: positiveInt(flags, 'max-body-mib', DEFAULT_LIMITS.maxBodyBytes / 1048576) * 1048576,
    maxImages: positiveInt(flags, 'max-images', DEFAULT_LIMITS.maxImages),
    concurrency: positiveInt(flags, 'concurrency', DEFAULT_LIMITS.concurrency),
    queue: positiveInt(flags, 'queue', DEFAULT_LIMITS.queue, 0),
  };
  const host = typeof flags.host === 'string' ? flags.host : '127.0.0.1';
  const running = await startServer(model, { host, port: positiveInt(flags, 'port', 8080, 0), limits, log: (l) => log.warn(l) });
  log.info(`listening on ${running.url} (POST /embed, GET /health); limits ${JSON.stringify(limits)}`);
  const stop = () => {
    log.info('stopping');
    void running.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`${err.stack && process.env.COURIER_DEBUG ? err.stack : err.message}\n`);
  process.exit(1);
});
