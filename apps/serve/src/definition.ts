import * as path from 'node:path';
import type { ConfigOf, ConfigSchema, StageDefinition, StageInput } from '@courier/runtime';
import { createLogger, initBackend, stageCommand } from '@courier/runtime';
import { ServeModelFiles, filesOfRun, loadServeModel } from './model';
import { DEFAULT_LIMITS, ServeLimits, startServer } from './server';
import { runBatch } from './batch';

const MIB = 1048576;

/** The service's listening address and limits (`serve start --<key> VALUE` or `--config FILE`). */
export const SERVE_CONFIG_SCHEMA = {
  host: { default: '127.0.0.1', doc: 'address to listen on (loopback only unless set)' },
  port: { default: 8080, integer: true, min: 0, doc: 'port (0: any free port, printed)' },
  maxBodyMib: { default: DEFAULT_LIMITS.maxBodyBytes / MIB, integer: true, min: 1, doc: 'MiB of one request body (checked on Content-Length, and while streaming)' },
  maxImages: { default: DEFAULT_LIMITS.maxImages, integer: true, min: 1, doc: 'images in one JSON batch' },
  concurrency: { default: DEFAULT_LIMITS.concurrency, integer: true, min: 1, doc: 'requests decoded and embedded at once' },
  queue: { default: DEFAULT_LIMITS.queue, integer: true, min: 0, doc: 'requests waiting for a slot; one more gets 503' },
} as const satisfies ConfigSchema;
export type ServeConfig = ConfigOf<typeof SERVE_CONFIG_SCHEMA>;

/** The default `--run`: the pipeline's demo run. */
const DEFAULT_RUN = path.join('runs', 'demo-seed1');

const MODEL_INPUTS: readonly StageInput[] = [
  { name: 'run', doc: `a pipeline output folder: pretrain/checkpoint.ckpt and clusters/centres.arrow (default ${DEFAULT_RUN})`, kind: 'dir' },
  { name: 'checkpoint', doc: 'the checkpoint instead of the run\'s (a pretrain:train output)', kind: 'file' },
  { name: 'centres', doc: 'the centres instead of the run\'s (a cluster:fit output)', kind: 'file' },
];

function modelFiles(inputs: Readonly<Record<string, string | undefined>>): ServeModelFiles {
  const run = filesOfRun(inputs.run ?? path.resolve(DEFAULT_RUN));
  return { checkpoint: inputs.checkpoint ?? run.checkpoint, centres: inputs.centres ?? run.centres };
}

async function loadModel(inputs: Readonly<Record<string, string | undefined>>, log: ReturnType<typeof createLogger>) {
  await initBackend();
  const model = await loadServeModel(modelFiles(inputs));
  log.info(`model: ${model.files.checkpoint} (image ${model.imageSize}px, d=${model.dim}), centres ${model.files.centres} (K=${model.k}, rule ${model.rule})`);
  return model;
}

/**
 * The serve app's command line (`runStageCli`'s convention, like every stage app): embeddings and
 * cluster ids for new item images, from a pipeline run's backbone and centres. `start` is the HTTP
 * service (server.ts; the API is in apps/serve/README.md), `batch` embeds a folder of images into
 * a parquet file (batch.ts). Neither takes a seed; `start` writes no files, so it takes no `--out`.
 */
export const SERVE_CLI: StageDefinition = {
  name: 'serve',
  description: 'embeddings and cluster ids for new item images, from a pipeline run\'s backbone and centres',
  commands: {
    start: stageCommand<ServeConfig>({
      summary: 'HTTP service until stopped: GET /health; POST /embed with image bytes (image/png, image/jpeg, image/webp) or JSON {"images": ["<base64>", ...]}',
      config: SERVE_CONFIG_SCHEMA,
      inputs: MODEL_INPUTS,
      out: null,
      outputs: [],
      seed: false,
      async run({ inputs, config }) {
        const log = createLogger('serve');
        const model = await loadModel(inputs, log);
        const limits: ServeLimits = { ...DEFAULT_LIMITS, maxBodyBytes: config.maxBodyMib * MIB, maxImages: config.maxImages, concurrency: config.concurrency, queue: config.queue };
        const running = await startServer(model, { host: config.host, port: config.port, limits, log: (l) => log.warn(l) });
        log.info(`listening on ${running.url} (POST /embed, GET /health); limits ${JSON.stringify(limits)}`);
        const stop = () => {
          log.info('stopping');
          void running.close().then(() => process.exit(0));
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      },
    }),
    batch: stageCommand<null>({
      summary: 'embeds every image of a folder and assigns its cluster: file, item_id, cluster_id, distance, embedding',
      config: null,
      inputs: [...MODEL_INPUTS, { name: 'images', doc: 'the folder of new item images (.png, .jpg, .jpeg, .webp)', kind: 'dir', required: true }],
      out: { kind: 'file', doc: 'the parquet file (a folder: its new-items.parquet; default new-items.parquet next to --images)', default: ({ inputs }) => path.join(inputs.images!, '..', 'new-items.parquet') },
      outputs: ['new-items.parquet', 'new-items.rejects.jsonl (when an image is rejected)'],
      seed: false,
      async run({ inputs, outDir }) {
        const log = createLogger('serve');
        const model = await loadModel(inputs, log);
        const r = await runBatch(model, { images: inputs.images!, out: outDir, log: (l) => log.info(l) });
        return `${r.written} of ${r.files} images embedded and assigned -> ${r.out} (${r.imagesPerSecond.toFixed(1)} images/s); ${r.rejected} rejected${r.rejected ? ` (${r.rejectsFile})` : ''}`;
      },
    }),
  },
};
