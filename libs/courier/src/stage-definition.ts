import type { StageDefinition } from '@courier/runtime';
import { StageCliError, initBackend, slowBackendDecision, stageCommand } from '@courier/runtime';
import { PRETRAIN_CONFIG_SCHEMA, PretrainConfig } from './config';
import { pretrainResumeConfig, runPretrainExportStage, runPretrainTrainStage } from './stage';
import type { TrainOptions } from './trainer';

/** The source a composition fingerprints: this library, the neural-network parts it trains with (@courier/nn) and the native kernels its training runs on. */
const COURIER_CODE = ['libs/courier', 'libs/nn', 'libs/native-kernels'];

/** What a composition (pipeline, experiments) may give `pretrain train` besides its flags. */
export interface PretrainTrainComposeOptions {
  /** Called after every training step (e.g. the pipeline's loss curve). */
  onStep: TrainOptions['onStep'];
}

/**
 * The pretrain app. `train` resumes from <out>/checkpoint.ckpt unless `--fresh` (or the
 * checkpoint belongs to other samples, catalogue or config: then it starts over and says why).
 * Run by a composition, `train` keys its checkpoint with the composition's fingerprint over the
 * keys that change the math (`pretrainResumeConfig`), starts over when the stage was forced,
 * reports each step to `onStep`, and leaves the slow-backend decision to the composition.
 */
export const PRETRAIN_STAGE: StageDefinition = {
  name: 'pretrain',
  description: 'COURIER image-embedding pre-training',
  code: COURIER_CODE,
  commands: {
    train: stageCommand<PretrainConfig, PretrainTrainComposeOptions>({
      summary: 'trains (or resumes) COURIER and exports the item embeddings',
      config: PRETRAIN_CONFIG_SCHEMA,
      inputs: [
        { name: 'samples', doc: 'pretrain-samples.parquet or its folder (data build)', kind: 'dir', required: true },
        { name: 'world', doc: 'world folder holding items.parquet and images/', kind: 'dir', required: true },
      ],
      options: [
        { name: 'fresh', doc: 'train from scratch even when a matching checkpoint exists', boolean: true },
        { name: 'allow-slow-backend', doc: 'run on the WebAssembly/CPU fallback instead of stopping (or COURIER_ALLOW_SLOW_BACKEND=1)', boolean: true },
      ],
      out: { doc: 'the run folder' },
      outputs: ['checkpoint.ckpt', 'embeddings.arrow', 'run.json'],
      produces: ['embeddings.arrow'],
      seed: true,
      async run({ inputs, config, outDir, flags, composed }) {
        if (!composed) {
          // Pre-training is the slowest stage on the fallback backends: stop in seconds naming the fix.
          const decision = slowBackendDecision(await initBackend(), { allowFlag: flags['allow-slow-backend'] === true, command: 'pretrain train' });
          if (!decision.proceed) throw new StageCliError(decision.message ?? 'pretrain train: stopped before a slow run', 2);
          if (decision.message) process.stderr.write(`${decision.message}\n`);
        }
        await runPretrainTrainStage({
          samples: inputs.samples!,
          world: inputs.world!,
          outDir,
          config,
          fresh: composed ? composed.fresh : flags.fresh === true,
          fingerprint: composed?.fingerprintOf('pretrain-checkpoint', pretrainResumeConfig(config)).hash,
          onStep: composed?.options.onStep,
          log: composed?.log,
        });
        return outDir;
      },
    }),
    export: stageCommand<null>({
      summary: 'embeds every catalogue item with a trained checkpoint',
      config: null,
      inputs: [
        { name: 'from', doc: 'a train run folder (holding checkpoint.ckpt) or the checkpoint file; default: --out', kind: 'dir' },
        { name: 'world', doc: 'world folder holding items.parquet and images/', kind: 'dir', required: true },
      ],
      options: [{ name: 'batch-size', doc: 'items per forward pass (a positive integer)', valueName: 'N' }],
      out: { doc: 'the folder for embeddings.arrow' },
      outputs: ['embeddings.arrow', 'run.json'],
      seed: false,
      async run({ inputs, outDir, flags }) {
        const raw = flags['batch-size'];
        const batchSize = raw === undefined ? undefined : Number(raw);
        if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) throw new StageCliError(`pretrain: --batch-size must be a positive integer, got ${JSON.stringify(raw)}`);
        await runPretrainExportStage({ from: inputs.from ?? outDir, world: inputs.world!, outDir, batchSize });
        return outDir;
      },
    }),
  },
};
