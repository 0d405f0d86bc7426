import { ConfigOf, ConfigSchema, configDefaults, resolveConfig } from '@courier/runtime';

/**
 * Every knob of the synthetic world (flat camelCase keys; see README.md for the table), declared
 * once: `WorldConfig` is the type this schema declares. The defaults here are the base; a preset
 * replaces some of them (PRESET_SIZES), then a config file and overrides may change any key.
 */
export const WORLD_CONFIG_SCHEMA = {
  nItems: { default: 4000, doc: 'catalogue size (items over all days)', integer: true, min: 14 },
  nUsers: { default: 1200, doc: 'number of users', integer: true, min: 1 },
  newItemShare: { default: 0.2, doc: 'share of items that arrive after day 0 (first_day uniform over later days, eval day included)', min: 0, max: 1 },
  pretrainDays: { default: 4, doc: 'number of pre-training days (the first days of the log)', integer: true, min: 1 },
  ctrTrainDays: { default: 2, doc: 'number of CTR training days (after the pre-training days); one eval day follows', integer: true, min: 1 },
  sessionsPerUserDay: { default: 1.0, doc: 'mean search page views per user and day (scaled by the user activity)', min: 0 },
  pageSize: { default: 10, doc: 'items shown per page view', integer: true, min: 1 },
  candidatePool: { default: 40, doc: 'items of the queried category the stand-in ranker scores per page view', integer: true, min: 1 },
  visualSignal: { default: 2.0, doc: 'a: weight of the user-look taste match in the click logit; 0 removes looks from clicks', min: 0 },
  styleWeight: { default: 0.6, doc: 'weight of the user-style match (style is visible in tags/titles) in the click logit', min: 0 },
  qualityWeight: { default: 0.5, doc: 'b: weight of the latent item quality in the click logit' },
  priceWeight: { default: 0.5, doc: 'c: weight of the price term -sensitivity*log(price/category base price)' },
  clickBias: { default: -1.8, doc: 'bias of the click logit (sets the raw CTR)' },
  positionWeight: { default: 0.3, doc: 'click logit penalty per log(1 + position)', min: 0 },
  examinationDecay: { default: 0.93, doc: 'probability of examining position p is decay^p', min: 0, max: 1 },
  clickNoise: { default: 0.5, doc: 'std of the Gaussian noise added to each click logit', min: 0 },
  rankerNoise: { default: 1.0, doc: 'std of the noise in the stand-in ranker score (quality + popularity + noise)', min: 0 },
  rankerPopularityWeight: { default: 0.5, doc: 'weight of the hidden popularity in the ranker score' },
  rankerRecencyBoost: { default: 0.7, doc: 'ranker score bonus for items in their first two days' },
  styleLookShift: { default: 0.5, doc: 'probability that an item look (hue region, pattern) follows its style preferences', min: 0, max: 1 },
  styleTagNoise: { default: 0.25, doc: 'probability that the merchant style tag names a wrong style', min: 0, max: 1 },
  styleTagMissing: { default: 0.1, doc: 'probability that the merchant style tag is missing (null)', min: 0, max: 1 },
  styleInTitleRate: { default: 0.35, doc: 'probability that the title contains the style word', min: 0, max: 1 },
  colourWordNoise: { default: 0.02, doc: 'probability that the title contains a colour word (rare noise; half of them wrong)', min: 0, max: 1 },
  fillerWords: { default: 4, doc: 'filler words per title', integer: true, min: 0 },
  womenCategoryWeight: { default: 3.0, doc: "prior weight of women's-clothing categories in users' interests (others 1)", min: 0 },
  favouriteCategories: { default: 3, doc: 'favourite categories per user (interest x5)', integer: true, min: 0 },
  imageSize: { default: 32, doc: 'image width = height in pixels', integer: true, min: 8, max: 512 },
  imageFormat: { default: 'png', doc: 'image file format', choices: ['png', 'jpg'] },
  renderImages: { default: true, doc: 'render and write images (false: stress runs of the log only; image_path still set)' },
  pixelNoise: { default: 6, doc: 'std of per-pixel, per-channel noise (0-255 scale)', min: 0 },
  imageConcurrency: { default: 16, doc: 'images encoded concurrently (sharp uses the libuv thread pool)', integer: true, min: 1 },
  nuisance: { default: 0, doc: 'strength of interest-irrelevant image variation (background, lighting, composition, merchant template) in [0, 1]; 0 = the plain images', min: 0, max: 1 },
  merchants: { default: 40, doc: 'merchants, each with its photo template (border colour, corner logo); items belong to one (seen in images only when nuisance > 0)', integer: true, min: 1 },
  learnablePatterns: { default: false, doc: 'pattern periods of 12-25% of the image width (false: 8-20%, too fine for the backbones at 32 px)' },
  tasteHue: { default: 'item', doc: "whose hue users' hue taste matches: the item's (default) or the photo background's (the swap world; needs nuisance > 0)", choices: ['item', 'background'] },
} as const satisfies ConfigSchema;

export type WorldConfig = ConfigOf<typeof WORLD_CONFIG_SCHEMA>;

export type WorldPreset = 'tiny' | 'demo' | 'bench' | 'premise-bench';
export const WORLD_PRESETS: readonly WorldPreset[] = ['tiny', 'demo', 'bench', 'premise-bench'];

/** Keys that differ between presets; everything else takes BASE_DEFAULTS. */
const PRESET_SIZES: Record<WorldPreset, Partial<WorldConfig>> = {
  // Unit tests: ~400 items, 100 users, ~13k impressions, a few seconds.
  tiny: { nItems: 400, nUsers: 100, pretrainDays: 3, ctrTrainDays: 2, sessionsPerUserDay: 2.2 },
  // The README's main pipeline: 3k items, 1,200 users, ~364k impressions (6 pre-training days).
  // Four CTR days: three to train on and the last one for validation (early stopping, choices).
  // Click histories of ~35 items (2.75 sessions a day), enough to read a user's look taste from.
  // 1,200 users (was 400) chosen on the validation day by the rule in libs/ctr README ("Demo
  // size"): the smallest size whose COURIER ΔAUC sd over seeds is at most a tenth of the oracle
  // cluster id's gain (issue #16).
  demo: { nItems: 3000, nUsers: 1200, pretrainDays: 6, ctrTrainDays: 4, sessionsPerUserDay: 2.75 },
  // Regression benchmarks: 20k items, 2k users, ~0.6M impressions. As demo (issue #16): fewer
  // users with more sessions each for longer click histories, and a fourth CTR day so that three
  // train and one validates (sized by analogy with demo; bench resolution not yet measured).
  bench: { nItems: 20000, nUsers: 2000, pretrainDays: 6, ctrTrainDays: 4, sessionsPerUserDay: 3 },
  // The premise world (issue #19): bench's catalogue, users and CTR days, with 4x the pre-training
  // days (about 4x the page views per item in pre-training; README: appearances per item) and
  // pattern periods a small network can see. `nuisance` stays 0 here: the premise suite sets it.
  'premise-bench': { nItems: 20000, nUsers: 2000, pretrainDays: 24, ctrTrainDays: 4, sessionsPerUserDay: 3, learnablePatterns: true },
};

const BASE_DEFAULTS: WorldConfig = configDefaults(WORLD_CONFIG_SCHEMA);

/** The config schema with `preset`'s values as defaults (for resolveConfig and --help). */
export function worldConfigSchema(preset: WorldPreset): ConfigSchema {
  if (!WORLD_PRESETS.includes(preset)) throw new Error(`world: unknown preset "${preset}"; known: ${WORLD_PRESETS.join(', ')}`);
  const defaults: WorldConfig = { ...BASE_DEFAULTS, ...PRESET_SIZES[preset] };
  const schema: ConfigSchema = {};
  for (const key of Object.keys(WORLD_CONFIG_SCHEMA) as (keyof WorldConfig)[]) schema[key] = { ...WORLD_CONFIG_SCHEMA[key], default: defaults[key] };
  return schema;
}

/** Preset defaults, then a config file, then overrides (flags); unknown keys are errors. */
export function resolveWorldConfig(preset: WorldPreset, options: { file?: string; overrides?: Record<string, unknown> } = {}): WorldConfig {
  return resolveConfig<WorldConfig>(worldConfigSchema(preset), { ...options, where: 'world' });
}
