import type { StageCommand, StageDefinition } from '@courier/runtime';
import { stageCommand } from '@courier/runtime';
import { BASELINE_CONFIG_SCHEMA, BASELINE_METHODS, BaselineConfig, checkMethod } from './config';
import { trainBaseline } from './stage';
import type { BaselineStepInfo } from './train';

/** The source a composition fingerprints: this library, the backbones, optimiser and export it trains with (@courier/nn) and the native kernels its training runs on. */
const BASELINE_CODE = ['libs/baselines', 'libs/nn', 'libs/native-kernels'];

/** What a composition may give `baseline train` (`pretrain baseline`) besides its flags. */
export interface BaselineTrainComposeOptions {
  /** Called after every training step. */
  onStep: (info: BaselineStepInfo) => void;
}

/**
 * A baseline's pre-training: the chosen method (SimCLR, SimSiam, CLIP, MaskCLIP or Supervised) on
 * COURIER's backbone and d, every catalogue item's embedding exported (`trainBaseline`).
 */
const baselineTrain: StageCommand = stageCommand<BaselineConfig, BaselineTrainComposeOptions>({
  summary: 'trains a pre-training baseline on the world\'s images (supervised: on the pre-training page views) and exports the item embeddings',
  config: BASELINE_CONFIG_SCHEMA,
  inputs: [
    { name: 'world', doc: 'world folder: items.parquet, images/, world.json (pre-training categories and days)', kind: 'dir', required: true },
    { name: 'samples', doc: 'pretrain-samples.parquet or its folder (data build); required by supervised', kind: 'dir' },
  ],
  options: [{ name: 'method', doc: `the baseline (required): ${BASELINE_METHODS.join(', ')}`, valueName: 'NAME' }],
  out: { doc: 'the run folder' },
  outputs: ['embeddings.arrow', 'backbone.ckpt', 'rejects.jsonl (when samples were rejected)', 'run.json'],
  produces: ['embeddings.arrow', 'backbone.ckpt'],
  seed: true,
  check({ flags, inputs }) {
    if (typeof flags.method !== 'string') throw new Error(`baseline: --method is required (one of ${BASELINE_METHODS.join(', ')})`);
    const method = checkMethod(flags.method);
    if (method === 'supervised' && !inputs.samples) throw new Error('baseline supervised: --samples DIR is required (the pre-training page views of `data build`)');
  },
  async run({ inputs, config, seed, outDir, flags, composed }) {
    await trainBaseline({ method: checkMethod(flags.method as string), worldDir: inputs.world!, samplesDir: inputs.samples, outDir, seed, config, log: composed?.log, onStep: composed?.options.onStep });
    return outDir;
  },
});

/**
 * The pre-training baselines as a stage definition of their own: the experiments runner composes
 * it, and the pretrain app adds its `train` as `pretrain baseline`.
 */
export const BASELINE_STAGE: StageDefinition = {
  name: 'baseline',
  description: 'the pre-training baselines (SimCLR, SimSiam, CLIP, MaskCLIP, Supervised) on COURIER\'s backbone',
  code: BASELINE_CODE,
  commands: { train: baselineTrain },
};
