/**
 * Experiment presets: the world size and the training budgets of every stage. `tiny` is for tests
 * (seconds per stage), `demo` for the README results (minutes per method on a 2-core CPU),
 * `bench` for the paper-scale comparison (20k items; hours on a CPU).
 */
import type { ConfigOf, ConfigSchema } from '@courier/runtime';

export type Preset = 'tiny' | 'demo' | 'bench' | 'premise-bench';

export interface StageBudgets {
  /** COURIER trainer keys (PRETRAIN_CONFIG_SCHEMA). */
  pretrain: Record<string, unknown>;
  /** Baseline trainer keys (BASELINE_CONFIG_SCHEMA), shared by SimCLR, SimSiam, CLIP, MaskCLIP and Supervised. */
  baseline: Record<string, unknown>;
  /** Clusterer keys (CLUSTER_CONFIG_SCHEMA). */
  cluster: Record<string, unknown>;
  /** CTR model keys (CTR_CONFIG_SCHEMA). */
  ctr: Record<string, unknown>;
  /** Data builder keys. */
  data: Record<string, unknown>;
  /** World config keys (on top of the preset's). */
  world: Record<string, unknown>;
  /** Items per 2-D map (a seeded sample). */
  mapPoints: number;
  /** Items in the nearest-neighbour probes (a seeded sample). */
  probeItems: number;
}

export const PRESET_BUDGETS: Record<Preset, StageBudgets> = {
  tiny: {
    pretrain: { epochs: 4, lr: 0.001, batchSize: 32 },
    baseline: { epochs: 8, batchSize: 64 },
    cluster: { k: 16 },
    ctr: { epochs: 2 },
    data: {},
    world: {},
    mapPoints: 400,
    probeItems: 400,
  },
  demo: {
    // As the pipeline's demo run: 12 epochs at lr 1e-3 (the pipeline default since the gather
    // kernels; libs/courier/README.md: the look is learned above an untrained network only by then).
    pretrain: { epochs: 12, lr: 0.001 },
    // Baseline defaults: 30 epochs over the pre-training images, 4 over the page views (supervised).
    baseline: {},
    cluster: { k: 64 },
    // The CTR evaluation's own defaults (issue #16): up to 8 epochs, early stopping on the
    // validation day. The old fixed 2 epochs predate the validation day.
    ctr: {},
    data: {},
    world: {},
    mapPoints: 1500,
    probeItems: 2000,
  },
  bench: {
    pretrain: { epochs: 12, lr: 0.001 },
    baseline: {},
    cluster: { k: 256 },
    ctr: {},
    data: {},
    world: {},
    mapPoints: 2000,
    probeItems: 2000,
  },
  // The premise world (issue #19; libs/world preset premise-bench: bench with 4x the pre-training
  // days and learnable patterns), sized so that the premise suite (5 worlds, 4 methods) on 5 seeds
  // takes about two hours of CPU on the 2-core machine (apps/experiments README, "The premise
  // suite", budget measured on one world): a fifth of the catalogue (4000 items) and 300 of its
  // 2000 users (~95 page-view appearances per item in the pre-training days, the paper's ~88),
  // COURIER 2 epochs (~290 steps), baselines 5 epochs, CTR 1 epoch (no early stopping: a budget
  // choice; the CTR models are two thirds of the time), 1000 probe items.
  // `--world '{nItems: 20000, nUsers: 2000}'` restores the full world (about 5-7x the time).
  'premise-bench': {
    pretrain: { epochs: 2, lr: 0.001 },
    baseline: { epochs: 5 },
    cluster: { k: 64 },
    ctr: { epochs: 1 },
    data: {},
    world: { nItems: 4000, nUsers: 300 },
    mapPoints: 2000,
    probeItems: 1000,
  },
};

/** Config of `experiments run` (file or flags); stage sections are merged over the preset's budgets. */
export const EXPERIMENTS_CONFIG_SCHEMA = {
  suite: { default: null, type: 'string', doc: 'suite to run: methods, ablations, batch-size, temperature, modes, projection-head, categories, maps, control, fidelity, premise (or "all")' },
  preset: { default: 'demo', choices: ['tiny', 'demo', 'bench', 'premise-bench'], doc: 'world preset and training budgets: tiny (tests), demo (README), bench (paper-scale, slow on CPU), premise-bench (bench with 4x the pre-training days and learnable patterns; issue #19)' },
  seeds: { default: [1, 2, 3], type: 'array', doc: 'seeds; each seed is its own world, pre-training and CTR runs (spread over seeds includes world-to-world variation)' },
  out: { default: 'runs/experiments', type: 'string', doc: 'root of the run folders and reports' },
  variants: { default: null, type: 'array', doc: 'run only these variants of the suite (null = all)' },
  worlds: { default: null, type: 'array', doc: 'multi-world suites (premise): run only the worlds with these tags (null = all)' },
  pretrainEpochs: { default: null, type: 'number', integer: true, min: 1, doc: 'shortcut: COURIER epochs (overrides pretrain.epochs)' },
  baselineEpochs: { default: null, type: 'number', integer: true, min: 1, doc: 'shortcut: baseline epochs (overrides baseline.epochs)' },
  ctrEpochs: { default: null, type: 'number', integer: true, min: 1, doc: 'shortcut: CTR epochs (overrides ctr.epochs)' },
  pretrain: { default: {}, type: 'object', doc: 'COURIER trainer keys over the preset\'s (see `nx run pretrain:help`)' },
  baseline: { default: {}, type: 'object', doc: 'baseline trainer keys over the preset\'s (libs/baselines/README.md)' },
  cluster: { default: {}, type: 'object', doc: 'clusterer keys over the preset\'s' },
  ctr: { default: {}, type: 'object', doc: 'CTR model keys over the preset\'s' },
  data: { default: {}, type: 'object', doc: 'data builder keys' },
  world: { default: {}, type: 'object', doc: 'world config keys over the preset\'s (a suite\'s own world overrides, e.g. the control world, come on top)' },
  mapPoints: { default: null, type: 'number', integer: true, min: 10, doc: 'items per 2-D map (null = the preset\'s)' },
  probeItems: { default: null, type: 'number', integer: true, min: 10, doc: 'items in the nearest-neighbour probes (null = the preset\'s)' },
  screenshot: { default: true, doc: 'save a PNG of the main chart next to the report (needs Chromium; skipped with a warning without it)' },
  force: { default: false, doc: 'rerun every stage even when its fingerprint is unchanged' },
} as const satisfies ConfigSchema;

/**
 * The configuration of `experiments run` (every key of EXPERIMENTS_CONFIG_SCHEMA, typed by it).
 * `variants` and `worlds` are narrowed to name lists by hand: the schema checks only that each is
 * an array or null; selectVariants / selectWorlds reject any name the suite does not have.
 */
export type ExperimentsConfig = Omit<ConfigOf<typeof EXPERIMENTS_CONFIG_SCHEMA>, 'variants' | 'worlds'> & { variants: string[] | null; worlds: string[] | null };

/** The preset's budgets with the config's sections and shortcuts on top. */
export function stageBudgets(config: ExperimentsConfig): StageBudgets {
  const p = PRESET_BUDGETS[config.preset];
  return {
    pretrain: { ...p.pretrain, ...config.pretrain, ...(config.pretrainEpochs !== null ? { epochs: config.pretrainEpochs } : {}) },
    baseline: { ...p.baseline, ...config.baseline, ...(config.baselineEpochs !== null ? { epochs: config.baselineEpochs } : {}) },
    cluster: { ...p.cluster, ...config.cluster },
    ctr: { ...p.ctr, ...config.ctr, ...(config.ctrEpochs !== null ? { epochs: config.ctrEpochs } : {}) },
    data: { ...p.data, ...config.data },
    world: { ...p.world, ...config.world },
    mapPoints: config.mapPoints ?? p.mapPoints,
    probeItems: config.probeItems ?? p.probeItems,
  };
}
