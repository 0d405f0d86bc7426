/**
 * The experiment suites: each reproduces (in kind, not in value) one table or figure of the paper
 * as a list of variants (what to pre-train and how the embeddings enter the CTR model) and the
 * orderings the paper reports, which the report checks automatically.
 */
import type { CheckSpec, Metric, PremiseSpec, SuiteReport } from '@courier/report';
import type { PretrainConfig } from '@courier/courier';
import type { BaselineConfig, BaselineMethod } from '@courier/baselines';
import { AUTHORS_CODE_PRESET } from '@courier/courier';

export type VariantMethod = 'courier' | BaselineMethod | 'oracle';
export type CtrMode = 'vector' | 'simscore' | 'cluster-id';

export interface Variant {
  name: string;
  description: string;
  method: VariantMethod;
  mode: CtrMode;
  /** x value of a sweep. */
  param?: number;
  /** COURIER trainer overrides (method courier). */
  pretrain?: Partial<PretrainConfig>;
  /** Baseline trainer overrides (SimCLR, SimSiam, CLIP, Supervised). */
  baseline?: Partial<BaselineConfig>;
  /**
   * Data builder overrides for this variant's pre-training samples (method courier), e.g. the
   * negative keep rate; such samples get their own folder, the CTR samples stay the suite's.
   */
  data?: Record<string, unknown>;
  /**
   * Initialise the COURIER backbone from another variant's run of this suite (it must come earlier
   * in the list): its folder becomes `initFrom`, its fingerprint an upstream of this run (issue #18).
   */
  initFromVariant?: string;
  /** Multi-world suites: the tags of the worlds this variant runs on (default: every world of the suite). */
  worlds?: string[];
}

/** One world of a multi-world suite: a folder tag (also the variant-name suffix `@<tag>`), a label, world overrides. */
export interface SuiteWorld {
  tag: string;
  label: string;
  overrides: Record<string, unknown>;
}

export interface Suite {
  name: string;
  title: string;
  description: string;
  layout: SuiteReport['layout'];
  paramName?: string;
  variants: Variant[];
  checks: CheckSpec[];
  /** World overrides (e.g. the control world); such worlds live in their own folders. */
  world?: { tag: string; overrides: Record<string, unknown> };
  /**
   * Several worlds in one suite (issue #19; instead of `world`): each seed runs every world, each
   * world in its own `<preset>-seed<N>-<tag>` folder, and the report names the variants
   * `<variant>@<tag>`.
   */
  worlds?: SuiteWorld[];
  /** The premise suite: which worlds and variants the predictions C0-C3 refer to (libs/report premise.ts). */
  premise?: PremiseSpec;
  /** Train and evaluate the CTR model (false: maps only). */
  ctr: boolean;
  /** Variants whose embeddings get a 2-D map (first seed). */
  maps?: string[];
  /** Nearest-neighbour probes (taste vs nuisance attributes) of every variant's embeddings, every seed. */
  probes?: boolean;
}

const both = (f: (metric: Metric) => CheckSpec): CheckSpec[] => [f('deltaAuc'), f('deltaGauc')];
const label = (m: Metric) => (m === 'deltaAuc' ? 'ΔAUC' : m === 'deltaGauc' ? 'ΔGAUC' : 'ΔAUC (pre-training categories)');

/**
 * The oracle: the world's hidden look, an upper bound for image features. As a cluster id it is the
 * exact look group (hue region x pattern, the world's oracle-clusters.parquet); as simscore and
 * vector it is the oracle embedding. Names as in the pipeline: `oracle` = cluster id.
 */
const ORACLE: Variant = { name: 'oracle', description: 'the hidden look (ground truth): its exact look group (hue region x pattern) as cluster id, an upper bound', method: 'oracle', mode: 'cluster-id' };
const ORACLE_SIMSCORE: Variant = { name: 'oracle-simscore', description: 'the hidden look (ground truth) embedding as similarity scores', method: 'oracle', mode: 'simscore' };
const ORACLE_VECTOR: Variant = { name: 'oracle-vector', description: 'the hidden look (ground truth) embedding as a dense vector', method: 'oracle', mode: 'vector' };

const COURIER: Variant = { name: 'courier', description: 'COURIER (paper defaults: tau 0.05, cross-attention, UCS loss, negative PV items), cluster id', method: 'courier', mode: 'cluster-id' };

const methods: Suite = {
  name: 'methods',
  title: 'Pre-training methods (paper Table 5)',
  description: 'COURIER against image pre-training baselines on the same backbone and d: SimCLR, SimSiam (augmentations), CLIP (image vs title), MaskCLIP (CLIP + masked self-distillation) and Supervised (CTR-like objective end to end). Every method enters the CTR model as a cluster id (k-means-like single-pass clustering of its embeddings).',
  layout: 'bars',
  variants: [
    COURIER,
    { name: 'simclr', description: 'SimCLR: two augmented views, NT-Xent (tau 0.2)', method: 'simclr', mode: 'cluster-id' },
    { name: 'simsiam', description: 'SimSiam: predictor + stop-gradient', method: 'simsiam', mode: 'cluster-id' },
    { name: 'clip', description: 'CLIP: image vs item title (tau 0.1)', method: 'clip', mode: 'cluster-id' },
    { name: 'maskclip', description: 'MaskCLIP: CLIP + masked self-distillation from an EMA teacher (image patches and title tokens)', method: 'maskclip', mode: 'cluster-id' },
    { name: 'supervised', description: 'Supervised: click prediction trained end to end with the backbone', method: 'supervised', mode: 'cluster-id' },
    ORACLE,
  ],
  checks: [
    ...both((metric) => ({ kind: 'positive', a: 'courier', metric, claim: `COURIER cluster id improves CTR: ${label(metric)} > 0` })),
    ...['simclr', 'simsiam', 'clip', 'maskclip'].flatMap((b) => both((metric) => ({ kind: 'order', a: 'courier', b, metric, strict: true, claim: `COURIER > ${b} (${label(metric)})` }))),
    ...both((metric) => ({ kind: 'order', a: 'courier', b: 'supervised', metric, strict: true, claim: `COURIER > supervised (${label(metric)})` })),
  ],
  probes: true,
  ctr: true,
};

const ablations: Suite = {
  name: 'ablations',
  title: 'Ablations of COURIER (paper Table 6)',
  description: 'Full COURIER against versions with one component removed: the user-click-sequence loss, the contrast (1 - cos to the reconstruction only), the reconstruction (self-attention over the history instead of cross-attention with the page view), and the negative (unclicked) PV items. All as cluster ids.',
  layout: 'bars',
  variants: [
    COURIER,
    { name: 'no-ucs', description: 'w/o UCS: no user-click-sequence loss', method: 'courier', mode: 'cluster-id', pretrain: { useUcs: false } },
    { name: 'no-contrast', description: 'w/o Contrast: 1 - cos to the reconstruction, no negatives', method: 'courier', mode: 'cluster-id', pretrain: { contrastive: false } },
    { name: 'self-attention', description: 'w/o Reconstruction: self-attention over the history, pooled', method: 'courier', mode: 'cluster-id', pretrain: { attention: 'self' } },
    { name: 'no-neg-pv', description: 'w/o Neg PV: unclicked PV items left out of the softmax denominator', method: 'courier', mode: 'cluster-id', pretrain: { useNegPv: false } },
  ],
  checks: ['no-ucs', 'no-contrast', 'self-attention', 'no-neg-pv'].flatMap((b) => both((metric) => ({ kind: 'order', a: 'courier', b, metric, strict: false, claim: `${b} <= full COURIER (${label(metric)})` }))),
  ctr: true,
};

const BATCH_SIZES = [8, 16, 32, 64, 128];
const batchSize: Suite = {
  name: 'batch-size',
  title: 'Influence of the batch size (paper Table 7)',
  description: 'COURIER with different numbers of page views per batch (all PV items of a batch are in-batch negatives). The paper finds: the larger the batch, the better. Same epochs for every size, so small batches take more steps.',
  layout: 'sweep',
  paramName: 'batch size',
  variants: BATCH_SIZES.map((b) => ({ name: `batch=${b}`, description: `COURIER, ${b} page views per batch`, method: 'courier', mode: 'cluster-id', param: b, pretrain: { batchSize: b } })),
  checks: both((metric) => ({ kind: 'order', a: `batch=${BATCH_SIZES[BATCH_SIZES.length - 1]}`, b: `batch=${BATCH_SIZES[0]}`, metric, strict: true, claim: `largest batch > smallest batch (${label(metric)})` })),
  ctr: true,
};

const TAUS = [0.02, 0.05, 0.1, 0.2, 0.5];
const temperature: Suite = {
  name: 'temperature',
  title: 'Influence of the temperature (paper Fig. 3)',
  description: 'COURIER with different temperatures tau of the contrastive softmax, evaluated with the similarity-score features as in the paper (cheaper than cluster ids, same trend). The paper finds tau = 0.05 best.',
  layout: 'sweep',
  paramName: 'tau',
  variants: TAUS.map((tau) => ({ name: `tau=${tau}`, description: `COURIER, tau ${tau}`, method: 'courier', mode: 'simscore', param: tau, pretrain: { tau } })),
  checks: both((metric) => ({ kind: 'best', variants: TAUS.map((t) => `tau=${t}`), expected: 'tau=0.05', metric, claim: `tau = 0.05 performs best (${label(metric)})` })),
  ctr: true,
};

const modes: Suite = {
  name: 'modes',
  title: 'Vector vs similarity score vs cluster id (paper Appendix Table 1)',
  description: 'One COURIER pre-training per seed, fed to the CTR model three ways: the embedding as a vector, cosine similarities between the target and the history items (SimScore), and the id of the nearest cluster centre. The oracle (the hidden look) in the same three modes is the upper bound of each mode.',
  layout: 'bars',
  variants: [
    { ...COURIER, name: 'cluster-id', description: 'COURIER, nearest cluster id of target and history items' },
    { name: 'simscore', description: 'COURIER, cosine similarity of the target to each history item', method: 'courier', mode: 'simscore' },
    { name: 'vector', description: 'COURIER, the embedding as a dense input', method: 'courier', mode: 'vector' },
    ORACLE,
    ORACLE_SIMSCORE,
    ORACLE_VECTOR,
  ],
  checks: [
    ...both((metric): CheckSpec => ({ kind: 'order', a: 'cluster-id', b: 'simscore', metric, strict: false, claim: `cluster id >= simscore (${label(metric)})` })),
    ...both((metric): CheckSpec => ({ kind: 'order', a: 'simscore', b: 'vector', metric, strict: false, claim: `simscore >= vector (${label(metric)})` })),
  ],
  ctr: true,
};

const projectionHead: Suite = {
  name: 'projection-head',
  title: 'Does a projection head help? (paper Appendix Table 2)',
  description: 'COURIER trained through an MLP projection head used only for the loss (the exported embedding is before it), against plain COURIER. The paper finds the head hurts, because the CTR features use the embedding distances the loss shapes.',
  layout: 'bars',
  variants: [COURIER, { name: 'projection-head', description: 'COURIER with a d->d->d projection head for the loss only', method: 'courier', mode: 'cluster-id', pretrain: { projectionHead: true } }],
  checks: both((metric) => ({ kind: 'order', a: 'courier', b: 'projection-head', metric, strict: false, claim: `projection head <= without (${label(metric)})` })),
  ctr: true,
};

const categories: Suite = {
  name: 'categories',
  title: 'Gain per category, including categories not used in pre-training (paper Fig. 4)',
  description: 'COURIER is pre-trained on the world\'s pre-training categories only (world.json inPretraining, the paper\'s women\'s clothing); the CTR gain is measured per category on the evaluation day. SimCLR, trained on the same images, for comparison.',
  layout: 'categories',
  variants: [COURIER, { name: 'simclr', description: 'SimCLR, cluster id', method: 'simclr', mode: 'cluster-id' }],
  checks: [
    { kind: 'positive', a: 'courier', metric: 'deltaAucPretrainCats', claim: 'COURIER helps the pre-training categories: ΔAUC > 0' },
    { kind: 'unseen-categories', a: 'courier', claim: 'COURIER helps categories not used in pre-training (row-weighted mean ΔAUC > 0)' },
    { kind: 'order', a: 'courier', b: 'simclr', metric: 'deltaAucPretrainCats', strict: true, claim: 'COURIER > SimCLR on the pre-training categories' },
  ],
  ctr: true,
};

const maps: Suite = {
  name: 'maps',
  title: '2-D maps of item embeddings (paper Fig. 5/6)',
  description: 'UMAP of item embeddings, coloured by category and by the hidden style of the item (ground truth of the synthetic world, never used in training). COURIER next to SimCLR and the oracle (the hidden look itself). The neighbour agreement puts a number on how well a map groups a label.',
  layout: 'maps',
  variants: [
    { ...COURIER, description: 'COURIER embeddings' },
    { name: 'simclr', description: 'SimCLR embeddings', method: 'simclr', mode: 'cluster-id' },
    // Maps use the oracle's embedding whatever the mode; `oracle` is the cluster-id variant everywhere.
    { ...ORACLE, description: 'the hidden look (ground truth)' },
  ],
  checks: [],
  probes: true,
  ctr: false,
  maps: ['courier', 'simclr', 'oracle'],
};

const control: Suite = {
  name: 'control',
  title: 'Control: a world where looks do not affect clicks (visualSignal 0)',
  description: 'The same pipeline on a world whose clicks ignore the images. Any gain from image embeddings would then be an artefact (leakage or noise); the expected gain is zero within noise. COURIER as cluster id, the oracle (hidden look) as cluster id (its exact look group) and as a vector.',
  layout: 'bars',
  world: { tag: 'control', overrides: { visualSignal: 0 } },
  variants: [COURIER, ORACLE, ORACLE_VECTOR],
  checks: [
    ...both((metric): CheckSpec => ({ kind: 'near-zero', a: 'courier', metric, tolerance: 0.002, claim: `control world: COURIER ${label(metric)} ≈ 0` })),
    ...both((metric): CheckSpec => ({ kind: 'near-zero', a: 'oracle-vector', metric, tolerance: 0.002, claim: `control world: oracle vector ${label(metric)} ≈ 0` })),
    ...both((metric): CheckSpec => ({ kind: 'near-zero', a: 'oracle', metric, tolerance: 0.002, claim: `control world: oracle cluster id ${label(metric)} ≈ 0` })),
  ],
  probes: true,
  ctr: true,
};

/**
 * Issue #18: COURIER as the paper's text describes it against COURIER as the authors' released code
 * runs it (ThyrixYang/COURIER), and each difference alone on top of the paper text. The recommended
 * default is to be chosen on the validation day (rows carry validationAuc / validationGauc) and
 * reported on the evaluation day; the checks below are the evaluation-day verdicts.
 */
const FIDELITY_OPTIONS: Variant[] = [
  { name: 'ctr-head', description: 'paper text + the auxiliary CTR head (MLP on [R, E_pv], BCE on every PV item, weight 1)', method: 'courier', mode: 'cluster-id', pretrain: { ctrHeadWeight: 1 } },
  { name: 'attention-projections', description: 'paper text + learned Q/K/V/O projections, 4 heads (nn.MultiheadAttention)', method: 'courier', mode: 'cluster-id', pretrain: { attentionProjections: true } },
  { name: 'ucs-tau-20', description: 'paper text + the UCS term at temperature 20 (authors\' code: cos / 20)', method: 'courier', mode: 'cluster-id', pretrain: { ucsTemperature: 20 } },
  { name: 'ucs-first', description: 'paper text + the oldest history item as the UCS target (authors\' code: index 0)', method: 'courier', mode: 'cluster-id', pretrain: { ucsTarget: 'first' } },
  { name: 'mask-same-item', description: 'paper text + in-batch negatives showing the positive\'s own item dropped', method: 'courier', mode: 'cluster-id', pretrain: { maskSameItemNegatives: true } },
  { name: 'keep-all-negatives', description: 'paper text on pre-training samples that keep every unclicked PV item (keep rate 1.0 instead of 0.2)', method: 'courier', mode: 'cluster-id', data: { negativeRate: 1 } },
  { name: 'init-simclr', description: 'paper text, backbone initialised from this seed\'s SimCLR run (stand-in for ImageNet weights)', method: 'courier', mode: 'cluster-id', initFromVariant: 'simclr' },
  { name: 'init-supervised', description: 'paper text, backbone initialised from this seed\'s Supervised run', method: 'courier', mode: 'cluster-id', initFromVariant: 'supervised' },
];
const fidelity: Suite = {
  name: 'fidelity',
  title: 'COURIER as its authors ran it (issue #18)',
  description:
    "COURIER as the paper's text describes it (no CTR head, no attention projections, one temperature, the latest history item as UCS target) against the authors' released code (CTR head, 4-head projected attention, UCS temperature 20, first history item), and each option alone on top of the paper text: the CTR head, the projections, the UCS temperature, the UCS target, same-item negative masking, all unclicked PV items kept, and a backbone initialised from SimCLR or Supervised (the stand-ins for the paper's ImageNet weights; their own rows are references). All as cluster ids. Choose the default on the validation day, report it on the evaluation day.",
  layout: 'bars',
  variants: [
    { ...COURIER, name: 'paper-text', description: 'COURIER as the paper\'s text describes it (the platform\'s defaults)' },
    { name: 'authors-code', description: 'COURIER as the released code runs it: CTR head (weight 1), projected 4-head attention, UCS tau 20, first history item as UCS target', method: 'courier', mode: 'cluster-id', pretrain: { ...AUTHORS_CODE_PRESET } },
    { name: 'simclr', description: 'SimCLR (the init-simclr source; reference row)', method: 'simclr', mode: 'cluster-id' },
    { name: 'supervised', description: 'Supervised (the init-supervised source; reference row)', method: 'supervised', mode: 'cluster-id' },
    ...FIDELITY_OPTIONS,
  ],
  checks: [
    ...both((metric) => ({ kind: 'positive', a: 'paper-text', metric, claim: `paper text: COURIER improves CTR (${label(metric)} > 0)` })),
    ...both((metric) => ({ kind: 'positive', a: 'authors-code', metric, claim: `authors' code: COURIER improves CTR (${label(metric)} > 0)` })),
    ...both((metric) => ({ kind: 'order', a: 'authors-code', b: 'paper-text', metric, strict: false, claim: `authors' code >= paper text (${label(metric)})` })),
    ...FIDELITY_OPTIONS.flatMap((v) => both((metric): CheckSpec => ({ kind: 'order', a: v.name, b: 'paper-text', metric, strict: false, claim: `${v.name} >= paper text (${label(metric)})` }))),
  ],
  probes: true,
  ctr: true,
};

/**
 * Issue #19: the premise suite. The same seeds on five worlds of the preset (premise-bench: bench's
 * catalogue, 4x the pre-training days; every world here with learnable patterns): nuisance 0, 0.5
 * and 1 (C1), the control world at nuisance 1 (C0) and the swap world where hue taste is on the
 * background (C2); COURIER, SimCLR and SimSiam on each, and SimCLR with background randomisation
 * (C3) on the nuisance-1 and control worlds. CLIP is left out: no prediction names it, and each
 * variant costs a CTR model per world and seed (the suite's largest cost; README budget). Verdicts by the rules of
 * PREDICTIONS.md ("Computing the verdicts"), evaluated by libs/report premise.ts.
 */
export const PREMISE_WORLDS: SuiteWorld[] = [
  { tag: 'nuisance0', label: 'nuisance 0', overrides: { learnablePatterns: true, nuisance: 0 } },
  { tag: 'nuisance0.5', label: 'nuisance 0.5', overrides: { learnablePatterns: true, nuisance: 0.5 } },
  { tag: 'nuisance1', label: 'nuisance 1', overrides: { learnablePatterns: true, nuisance: 1 } },
  { tag: 'control-nuisance1', label: 'control (visualSignal 0, nuisance 1)', overrides: { learnablePatterns: true, nuisance: 1, visualSignal: 0 } },
  { tag: 'swap-nuisance1', label: 'swap (hue taste on the background, nuisance 1)', overrides: { learnablePatterns: true, nuisance: 1, tasteHue: 'background' } },
];
/** C3's augmentation: a random background colour in 80% of the views (libs/courier baselines README). */
export const SIMCLR_BG: Variant = {
  name: 'simclr-bg',
  description: 'SimCLR with background randomisation (backgroundAugmentProb 0.8: a random background colour per view, before the crop)',
  method: 'simclr',
  mode: 'cluster-id',
  baseline: { backgroundAugmentProb: 0.8 },
  worlds: ['nuisance1', 'control-nuisance1'],
};
const premise: Suite = {
  name: 'premise',
  title: 'The paper\'s premise: interest-irrelevant image variation (issue #19, PREDICTIONS.md)',
  description:
    'Generic image pre-training (SimCLR, SimSiam) against COURIER on worlds whose pictures carry interest-irrelevant variation (`nuisance` 0, 0.5, 1: background, lighting, composition, merchant templates; clicks identical at every strength), a control world (visualSignal 0, nuisance 1), and the swap world (hue taste on the background colour, nuisance 1); SimCLR with background randomisation on the nuisance-1 and control worlds. All as cluster ids. The predictions C0-C3 were committed before any run (apps/experiments/PREDICTIONS.md); their verdicts are computed from the numbers.',
  layout: 'bars',
  worlds: PREMISE_WORLDS,
  variants: [
    COURIER,
    { name: 'simclr', description: 'SimCLR: two augmented views, NT-Xent (tau 0.2)', method: 'simclr', mode: 'cluster-id' },
    { name: 'simsiam', description: 'SimSiam: predictor + stop-gradient', method: 'simsiam', mode: 'cluster-id' },
    SIMCLR_BG,
  ],
  checks: [],
  premise: {
    worlds: { nuisance0: 'nuisance0', nuisanceHalf: 'nuisance0.5', nuisance1: 'nuisance1', control: 'control-nuisance1', swap: 'swap-nuisance1' },
    methods: { courier: 'courier', simclr: 'simclr', simsiam: 'simsiam', simclrBg: 'simclr-bg' },
    c0Tolerance: 0.002,
  },
  probes: true,
  ctr: true,
};

export const SUITES: Record<string, Suite> = Object.fromEntries([methods, ablations, batchSize, temperature, modes, projectionHead, categories, maps, control, fidelity, premise].map((s) => [s.name, s]));

/** The variants of a suite that run on a world (all of them in single-world suites). */
export function variantsOn(suite: Suite, world: SuiteWorld | null): Variant[] {
  if (!suite.worlds?.length || !world) return suite.variants;
  return suite.variants.filter((v) => !v.worlds || v.worlds.includes(world.tag));
}

export function getSuite(name: string): Suite {
  const suite = SUITES[name];
  if (!suite) throw new Error(`experiments: unknown suite "${name}"; suites: ${Object.keys(SUITES).join(', ')}`);
  return suite;
}

/** The suite restricted to some variants (`--variants a,b`); checks that name a removed variant stay and report "not run". */
export function selectVariants(suite: Suite, names: string[] | null): Suite {
  if (!names || !names.length) return suite;
  const known = new Set(suite.variants.map((v) => v.name));
  for (const n of names) if (!known.has(n)) throw new Error(`experiments: suite ${suite.name} has no variant "${n}"; variants: ${[...known].join(', ')}`);
  // A variant initialised from another one needs that one trained too (it stays in the report).
  const keep = new Set(names);
  for (const v of suite.variants) if (keep.has(v.name) && v.initFromVariant) keep.add(v.initFromVariant);
  return { ...suite, variants: suite.variants.filter((v) => keep.has(v.name)), maps: suite.maps?.filter((m) => keep.has(m)) };
}

/** A multi-world suite restricted to some worlds (`--worlds a,b`); predictions that need a removed world report "not run". */
export function selectWorlds(suite: Suite, tags: string[] | null): Suite {
  if (!tags || !tags.length) return suite;
  if (!suite.worlds?.length) throw new Error(`experiments: --worlds applies to multi-world suites; suite ${suite.name} has one world`);
  const known = new Set(suite.worlds.map((w) => w.tag));
  for (const t of tags) if (!known.has(t)) throw new Error(`experiments: suite ${suite.name} has no world "${t}"; worlds: ${[...known].join(', ')}`);
  return { ...suite, worlds: suite.worlds.filter((w) => tags.includes(w.tag)) };
}
