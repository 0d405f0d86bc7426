/**
 * Runs a suite: per seed, the world and samples (shared by every suite with the same preset, seed
 * and world overrides), one pre-training per distinct method+config (shared across suites and
 * modes), clusters where a variant uses cluster ids, one CTR evaluation with every variant as a
 * feature set (baseline included, same seed), then the maps; finally collects the numbers into
 * a SuiteReport and writes results.json, report.md, report.html (and a PNG of the main chart).
 *
 * Layout under --out (default runs/experiments):
 *   <preset>-seed<N>[-<world tag>]/world-<fp>, samples-<fp>, pretrain/<method>-<fp>, clusters/<method>-<fp>, ctr/<suite>-<fp>
 *   (<fp> = the first 10 hex digits of the stage fingerprint: new settings, inputs or code get a new folder)
 *   reports/<suite>-<preset>-seeds<a-b-c>/results.json, report.md, report.html, main.png
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CtrReport, validateCtrReport } from '@courier/data-contracts';
import { Logger, StageRunner, StageTask, currentBackend, resolveConfig } from '@courier/runtime';
import { DATAGEN_STAGE, resolveWorldConfig } from '@courier/world';
import { DATA_BUILDER_SCHEMA, DATA_STAGE, DataBuilderConfig } from '@courier/data-builder';
import { PRETRAIN_CONFIG_SCHEMA, PRETRAIN_STAGE, PretrainConfig } from '@courier/courier';
import { BASELINE_CONFIG_SCHEMA, BASELINE_STAGE, BaselineConfig, BaselineMethod } from '@courier/baselines';
import { CLUSTER_CONFIG_SCHEMA, CLUSTER_STAGE, ClusterConfig } from '@courier/clustering';
import { CTR_CONFIG_SCHEMA, CTR_STAGE, CtrComposeOptions, CtrConfig, FeatureSetRequest } from '@courier/ctr';
import { CeilingRow, EmbeddingMap, ExperimentRow, MethodGallery, MetricPair, ProbeRow, SuiteReport, VariantInfo, WrittenReport, buildGalleries, findChromium, probePage, worldVariant, writeSuiteReport } from '@courier/report';
import type { StageFingerprint } from '@courier/io';
import { embeddingMap } from './maps';
import { probeEmbeddings } from './probes';
import { ExperimentsConfig, StageBudgets, stageBudgets } from './presets';
import { Suite, SuiteWorld, Variant, selectVariants, selectWorlds, variantsOn } from './suites';

export interface SuiteRunResult {
  report: SuiteReport;
  files: WrittenReport;
  screenshot: string | null;
  /** Stage folders run and reused. */
  ran: string[];
  reused: string[];
  seconds: number;
}

interface Trained {
  fp: StageFingerprint;
  dir: string | null;
  embeddings: string;
  /** Ready-made cluster assignments (the oracle's exact look groups): the cluster-id mode uses these instead of clustering the embeddings. */
  clusters?: string;
}

/** The world's exact look groups (hue region x pattern) as a cluster-assignments file: the oracle's cluster id. */
export const ORACLE_CLUSTERS = 'oracle-clusters.parquet';

const rowsOf = (c: object): number | null => {
  const r = (c as { rows?: unknown }).rows;
  return typeof r === 'number' ? r : null;
};

/** Headrooms below this (AUC points) count as none (as in libs/ctr): the share is undefined there. */
const MIN_HEADROOM = 1e-6;

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const pairOf = (x: unknown): MetricPair => {
  const p = (x ?? {}) as { auc?: unknown; gauc?: unknown };
  return { auc: num(p.auc), gauc: num(p.gauc) };
};

/** The ceiling of one seed's CTR report (its `ceiling` key; a report from before ceilings gives an unavailable row with a note). */
export function ceilingFromCtrReport(report: CtrReport, reportFile: string, seed: number): CeilingRow {
  const c = report.ceiling as { available?: unknown; note?: unknown; bayes?: unknown; noLook?: unknown; noPosition?: unknown; lookHeadroom?: unknown } | undefined;
  if (!c || typeof c !== 'object') {
    const none = { auc: null, gauc: null };
    return { seed, available: false, note: 'the CTR report has no ceiling (written before ceilings existed)', bayes: none, noLook: none, noPosition: none, lookHeadroom: none, ctrReport: reportFile };
  }
  return {
    seed,
    available: c.available === true,
    note: typeof c.note === 'string' ? c.note : null,
    bayes: pairOf(c.bayes),
    noLook: pairOf(c.noLook),
    noPosition: pairOf(c.noPosition),
    lookHeadroom: pairOf(c.lookHeadroom),
    ctrReport: reportFile,
  };
}

/** Validation-day AUC / GAUC of one seed at its early-stopping epoch: the seed's curve, else the method's validation block (mean over its seeds). */
function validationOf(m: { [key: string]: unknown }, seed: number): MetricPair {
  const curves = m.curves as { seed: number; bestEpoch: number; points: { epoch: number; validationAuc: number | null; validationGauc: number | null }[] }[] | undefined;
  const curve = Array.isArray(curves) ? curves.find((c) => c.seed === seed) : undefined;
  const point = curve ? (curve.points.find((p) => p.epoch === curve.bestEpoch) ?? curve.points[curve.bestEpoch - 1]) : undefined;
  if (point && (num(point.validationAuc) !== null || num(point.validationGauc) !== null)) return { auc: num(point.validationAuc), gauc: num(point.validationGauc) };
  const seeds = m.seeds as number[] | undefined;
  // The block is a mean over the report's seeds: it is this seed's only when the report has no other.
  if (!Array.isArray(seeds) || seeds.length <= 1) return pairOf(m.validation);
  return { auc: null, gauc: null };
}

/** Rows of one seed's CTR report, one per variant. */
export function rowsFromCtrReport(report: CtrReport, reportFile: string, seed: number, variants: Variant[], pretrainDirs: Map<string, string | null>): ExperimentRow[] {
  return variants.map((v) => {
    const m = report.methods.find((x) => x.name === v.name);
    if (!m) throw new Error(`${reportFile}: no method "${v.name}" (the CTR stage should have evaluated every variant)`);
    const perSeed = m.perSeed.find((p) => p.seed === seed) ?? m.perSeed[0];
    const basePerSeed = (report.baseline.perSeed as { seed: number; auc: number; gauc: number }[] | undefined)?.find((p) => p.seed === seed);
    const baselineAuc = basePerSeed?.auc ?? report.baseline.auc;
    const baselineGauc = basePerSeed?.gauc ?? report.baseline.gauc;
    const perCategory = m.perCategory.map((c) => ({ category: c.category, deltaAuc: c.deltaAuc, inPretraining: c.inPretraining, rows: rowsOf(c) }));
    const pre = perCategory.filter((c) => c.inPretraining && c.deltaAuc !== null);
    const w = pre.reduce((a, c) => a + (c.rows ?? 1), 0);
    // Share of this seed's look headroom: (method - baseline) / (Bayes - no look), from the report's ceiling.
    const ceiling = ceilingFromCtrReport(report, reportFile, seed);
    const share = (d: number, h: number | null) => (ceiling.available && h !== null && Math.abs(h) >= MIN_HEADROOM ? d / h : null);
    const val = validationOf(m, seed);
    return {
      variant: v.name,
      seed,
      auc: perSeed.auc,
      gauc: perSeed.gauc,
      baselineAuc,
      baselineGauc,
      deltaAuc: perSeed.auc - baselineAuc,
      deltaGauc: perSeed.gauc - baselineGauc,
      deltaAucPretrainCats: pre.length ? pre.reduce((a, c) => a + (c.deltaAuc as number) * (c.rows ?? 1), 0) / w : null,
      perCategory,
      ctrReport: reportFile,
      ctrMethod: m.name,
      pretrainDir: pretrainDirs.get(v.name) ?? null,
      headroomShareAuc: share(perSeed.auc - baselineAuc, ceiling.lookHeadroom.auc),
      headroomShareGauc: share(perSeed.gauc - baselineGauc, ceiling.lookHeadroom.gauc),
      validationAuc: val.auc,
      validationGauc: val.gauc,
    };
  });
}

export async function runSuite(options: { suite: Suite; config: ExperimentsConfig; log: Logger }): Promise<SuiteRunResult> {
  const t0 = performance.now();
  const { config, log } = options;
  const suite = selectWorlds(selectVariants(options.suite, config.variants), config.worlds ?? null);
  if (!suite.variants.length) throw new Error(`experiments: suite ${suite.name} has no variants to run`);
  const outDir = path.resolve(config.out);
  // Every stage goes through one StageRunner (@courier/runtime): fingerprint, skip, resume, --force.
  const stages = new StageRunner({ app: 'experiments', root: outDir, log, force: config.force });
  try {
    return await runSuiteStages(suite, config, log, outDir, stages, t0);
  } finally {
    stages.close();
  }
}

async function runSuiteStages(suite: Suite, config: ExperimentsConfig, log: Logger, outDir: string, stages: StageRunner, t0: number): Promise<SuiteRunResult> {
  const budgets: StageBudgets = stageBudgets(config);
  const rows: ExperimentRow[] = [];
  const maps: EmbeddingMap[] = [];
  const ceilings: CeilingRow[] = [];
  const probes: ProbeRow[] = [];
  const galleries: MethodGallery[] = [];
  const settings: Record<string, unknown> = {};

  // A suite runs on one world (the preset's, or its own `world` overrides) or on several (`worlds`,
  // issue #19): then every variant runs on each world it lists, and the report names it <variant>@<tag>.
  const multi = !!suite.worlds?.length;
  const worlds: (SuiteWorld | null)[] = multi ? (suite.worlds as SuiteWorld[]) : [suite.world ? { label: suite.world.tag, ...suite.world } : null];
  const reportVariants: VariantInfo[] = [];
  for (const w of worlds) {
    for (const v of variantsOn(suite, w)) {
      reportVariants.push({ name: w && multi ? worldVariant(v.name, w.tag) : v.name, method: v.method, mode: v.mode, param: v.param ?? null, description: w && multi ? `${v.description}; world: ${w.label}` : v.description, ...(w && multi ? { world: w.tag } : {}) });
    }
  }

  for (const [si, seed] of config.seeds.entries()) {
    for (const [wi, world] of worlds.entries()) {
      const variants = variantsOn(suite, world);
      if (!variants.length) continue;
      const qualify = (name: string) => (world && multi ? worldVariant(name, world.tag) : name);
      log.info(`suite ${suite.name}, preset ${config.preset}: seed ${seed} (${si + 1}/${config.seeds.length})${multi && world ? `, world ${world.tag} (${wi + 1}/${worlds.length})` : ''}`);
      const worldKey = `${config.preset}-seed${seed}${world ? `-${world.tag}` : ''}`;
      const base = path.join(outDir, worldKey);
      const worldOverrides = { ...budgets.world, ...(world?.overrides ?? {}) };
      const worldConfig = resolveWorldConfig(config.preset, { overrides: worldOverrides });
      // The world: the datagen stage's own `generate` command.
      const { fingerprint: worldFp, dir: worldDir } = await stages.run({
        stage: 'world',
        out: { parent: base, label: 'world' },
        config: { preset: config.preset, worldConfig },
        seed,
        command: { definition: DATAGEN_STAGE, command: 'generate', flags: { preset: config.preset }, config: worldConfig },
      });
      // Samples (the shared ones, and a variant's own data section): the data builder's own `build` command.
      const samplesTask = (dataConfig: DataBuilderConfig): StageTask => ({
        stage: 'samples',
        out: { parent: base, label: 'samples' },
        config: dataConfig,
        seed,
        upstream: [worldFp],
        command: { definition: DATA_STAGE, command: 'build', inputs: { world: worldDir }, config: dataConfig },
      });

      const dataConfig = resolveConfig<DataBuilderConfig>(DATA_BUILDER_SCHEMA, { overrides: budgets.data, where: 'experiments data' });
      const { fingerprint: samplesFp, dir: samplesDir } = await stages.run(samplesTask(dataConfig));

      // Pre-training: one run per distinct method + resolved config (variants differing only in mode share it).
      const trained = new Map<string, Trained>();
      const pretrainDirs = new Map<string, string | null>();
      for (const v of variants) {
        let t: Trained;
        if (v.method === 'oracle') {
          // The hidden look: its vectors for the vector and simscore modes (and maps), the exact look groups as its cluster id.
          t = { fp: worldFp, dir: null, embeddings: path.join(worldDir, 'oracle-embeddings.arrow'), clusters: path.join(worldDir, ORACLE_CLUSTERS) };
          if (suite.ctr && v.mode === 'cluster-id' && !fs.existsSync(t.clusters as string)) {
            throw new Error(`experiments: ${path.join(worldDir, ORACLE_CLUSTERS)} is missing (variant ${v.name}: the oracle's cluster id); a world written before oracle clusters existed: rerun with --force`);
          }
        } else if (v.method === 'courier') {
          // Issue #18: a variant's own pre-training samples (e.g. another negative keep rate), and a
          // backbone initialised from an earlier variant's run (its fingerprint becomes an upstream).
          let pt = { fingerprint: samplesFp, dir: samplesDir };
          if (v.data) {
            const vData = resolveConfig<DataBuilderConfig>(DATA_BUILDER_SCHEMA, { overrides: { ...budgets.data, ...v.data }, where: `experiments data (${v.name})` });
            pt = await stages.run(samplesTask(vData));
          }
          const source = v.initFromVariant ? trained.get(v.initFromVariant) : undefined;
          if (v.initFromVariant && !source?.dir) throw new Error(`experiments: variant ${v.name} initialises from "${v.initFromVariant}", which must be an earlier COURIER or baseline variant of suite ${suite.name}`);
          const init = source?.dir ? { initFrom: source.dir } : {};
          const cfg = resolveConfig<PretrainConfig>(PRETRAIN_CONFIG_SCHEMA, { overrides: { seed, imageSize: worldConfig.imageSize, ...budgets.pretrain, ...(v.pretrain ?? {}), ...init }, where: `experiments pretrain (${v.name})` });
          const { fingerprint: fp, dir } = await stages.run({
            stage: 'pretrain',
            out: { parent: path.join(base, 'pretrain'), label: 'courier' },
            config: cfg,
            seed,
            upstream: [pt.fingerprint, ...(source ? [source.fp] : [])],
            // The pretrain stage's own `train` command: resumes a killed run from its checkpoint, keyed as in the pipeline.
            command: { definition: PRETRAIN_STAGE, command: 'train', inputs: { samples: pt.dir, world: worldDir }, config: cfg },
          });
          settings.courier = { ...(settings.courier as object), [v.name]: cfg };
          t = { fp, dir, embeddings: path.join(dir, 'embeddings.arrow') };
        } else {
          const method = v.method as BaselineMethod;
          const cfg = resolveConfig<BaselineConfig>(BASELINE_CONFIG_SCHEMA, { overrides: { imageSize: worldConfig.imageSize, ...budgets.baseline, ...(v.baseline ?? {}) }, where: `experiments baseline (${v.name})` });
          const { fingerprint: fp, dir } = await stages.run({
            stage: 'pretrain',
            out: { parent: path.join(base, 'pretrain'), label: method },
            config: { method, cfg },
            seed,
            upstream: [samplesFp],
            // The baselines' own `train` command (supervised reads the shared samples).
            command: { definition: BASELINE_STAGE, command: 'train', inputs: { world: worldDir, samples: samplesDir }, flags: { method }, config: cfg },
          });
          settings.baselines = { ...(settings.baselines as object), [v.name]: cfg };
          t = { fp, dir, embeddings: path.join(dir, 'embeddings.arrow') };
        }
        trained.set(v.name, t);
        pretrainDirs.set(v.name, t.dir);
      }

      // Nearest-neighbour probes of every embeddings file (taste vs nuisance attributes; issue #19).
      if (suite.probes) {
        const probed = new Set<string>();
        for (const v of variants) {
          const t = trained.get(v.name) as Trained;
          if (probed.has(t.embeddings)) continue;
          probed.add(t.embeddings);
          probes.push(probeEmbeddings({ name: qualify(v.name), seed, embeddingsFile: t.embeddings, worldDir, maxItems: budgets.probeItems }));
        }
      }

      // Clusters for the cluster-id variants, one per embeddings file.
      const clusterFps = new Map<string, { fp: StageFingerprint; assignments: string }>();
      const clustersOf = new Map<string, { fp: StageFingerprint; assignments: string }>();
      if (suite.ctr) {
        for (const v of variants.filter((x) => x.mode === 'cluster-id')) {
          const t = trained.get(v.name) as Trained;
          if (t.clusters) {
            // Ready-made assignments (the oracle's look groups, written by the world stage): no clustering.
            clustersOf.set(v.name, { fp: t.fp, assignments: t.clusters });
            continue;
          }
          if (!clusterFps.has(t.embeddings)) {
            const cfg = resolveConfig<ClusterConfig>(CLUSTER_CONFIG_SCHEMA, { overrides: { ...budgets.cluster, embeddings: t.embeddings }, where: `experiments cluster (${v.name})` });
            // The clusterer's own `fit` command; its input path is part of the fingerprinted config.
            const { embeddings, centres: _centres, ...cliConfig } = cfg;
            const { fingerprint: fp, dir } = await stages.run({
              stage: 'clusters',
              out: { parent: path.join(base, 'clusters'), label: v.method },
              config: cfg,
              seed,
              upstream: [t.fp],
              command: { definition: CLUSTER_STAGE, command: 'fit', inputs: { embeddings: embeddings ?? undefined }, config: cliConfig },
            });
            clusterFps.set(t.embeddings, { fp, assignments: path.join(dir, 'assignments.parquet') });
            settings.cluster = cfg.k;
          }
          clustersOf.set(v.name, clusterFps.get(t.embeddings) as { fp: StageFingerprint; assignments: string });
        }

        // What each embedding groups together (issue #22): cluster gallery and neighbours per method,
        // first seed only (one seed shows the picture; thumbnails are most of the report's bytes).
        if (si === 0) {
          const shown = new Set<string>();
          for (const v of variants.filter((x) => x.mode === 'cluster-id')) {
            const t = trained.get(v.name) as Trained;
            if (shown.has(t.embeddings) || !fs.existsSync(t.embeddings)) continue;
            shown.add(t.embeddings);
            const assignmentsFile = (clustersOf.get(v.name) as { assignments: string }).assignments;
            const g = await buildGalleries({ itemsFile: path.join(worldDir, 'items.parquet'), embeddingsFile: t.embeddings, assignmentsFile, clusters: 6, perCluster: 8, queries: 3, neighbours: 7 });
            if (g) galleries.push({ name: qualify(v.name), seed, galleries: g });
          }
        }

        // One CTR evaluation per seed: the baseline and every variant as a feature set, CTR seed = the seed.
        const ctrConfig = resolveConfig<CtrConfig & { seeds: number[] }>(CTR_CONFIG_SCHEMA, { overrides: { ...budgets.ctr, seeds: [seed] }, where: 'experiments ctr' });
        const featureSets: FeatureSetRequest[] = variants.map((v) => {
          const t = trained.get(v.name) as Trained;
          const clusters = v.mode === 'cluster-id' ? (clustersOf.get(v.name) as { assignments: string }).assignments : null;
          // Ready-made assignments stand alone (as in the pipeline: a cluster-id feature set without embeddings),
          // unless the cluster embeddings start from the centroids, which need the vectors.
          const standAlone = clusters !== null && t.clusters !== undefined && t.clusters !== null && ctrConfig.clusterEmbeddingInit !== 'centroids';
          return { name: v.name, mode: v.mode, embeddings: standAlone ? null : t.embeddings, clusters };
        });
        const upstream = [worldFp, samplesFp, ...variants.map((v) => (v.mode === 'cluster-id' ? (clustersOf.get(v.name) as { fp: StageFingerprint }).fp : (trained.get(v.name) as Trained).fp))];
        // The ctr stage's own `evaluate` command, with the feature sets as records in variant order.
        const ctrOptions: CtrComposeOptions = { featureSets };
        const { dir: ctrDir } = await stages.run({
          stage: 'ctr',
          out: { parent: path.join(base, 'ctr'), label: suite.name },
          config: { featureSets, ctrConfig },
          seed,
          upstream,
          command: { definition: CTR_STAGE, command: 'evaluate', inputs: { samples: samplesDir, world: worldDir }, config: ctrConfig, options: ctrOptions },
        });
        settings.ctr = ctrConfig;
        const reportFile = path.join(ctrDir, 'ctr-report.json');
        const ctrReport = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as unknown;
        validateCtrReport(ctrReport, reportFile);
        rows.push(...rowsFromCtrReport(ctrReport, reportFile, seed, variants, pretrainDirs).map((r) => ({ ...r, variant: qualify(r.variant) })));
        ceilings.push({ ...ceilingFromCtrReport(ctrReport, reportFile, seed), ...(world && multi ? { world: world.tag } : {}) });
      }

      // Maps of the first seed (UMAP is the slow part; one seed shows the picture).
      if (si === 0 && wi === 0 && suite.maps?.length) {
        for (const name of suite.maps) {
          const t = trained.get(name);
          if (!t) continue;
          const m0 = performance.now();
          maps.push(embeddingMap({ name: qualify(name), seed, embeddingsFile: t.embeddings, worldDir, maxPoints: budgets.mapPoints }));
          log.info(`map ${name}: ${budgets.mapPoints} points in ${((performance.now() - m0) / 1000).toFixed(1)}s`);
        }
      }
    }
  }

  const report: SuiteReport = {
    contract: 'experiment-report',
    version: 1,
    suite: suite.name,
    title: `${suite.title}: ${config.preset} world`,
    description: suite.description,
    preset: config.preset,
    seeds: config.seeds,
    createdAt: new Date().toISOString(),
    runsDir: outDir,
    variants: reportVariants,
    rows,
    maps,
    checks: suite.checks,
    layout: suite.layout,
    paramName: suite.paramName,
    settings: { ...settings, budgets, backend: currentBackend()?.name ?? null, world: multi ? suite.worlds : (suite.world ?? null) },
    ...(ceilings.length ? { ceilings } : {}),
    ...(probes.length ? { probes } : {}),
    ...(multi ? { worlds: (suite.worlds as SuiteWorld[]).map((w) => ({ tag: w.tag, label: w.label, overrides: w.overrides })) } : {}),
    ...(suite.premise ? { premise: suite.premise } : {}),
  };
  const reportDir = path.join(outDir, 'reports', `${suite.name}-${config.preset}-seeds${config.seeds.join('-')}`);
  const files = writeSuiteReport(reportDir, report, { galleries });
  let screenshot: string | null = null;
  if (config.screenshot && (rows.length || maps.length)) {
    if (findChromium()) {
      const file = path.join(reportDir, 'main.png');
      const probe = probePage(files.html, { screenshot: file, selector: rows.length ? '#chart-main' : '.chart' });
      if (probe.body !== 'all' || probe.problems.length) log.warn(`report page: charts ${probe.body}; console: ${probe.problems.join(' | ') || 'clean'}`);
      screenshot = file;
    } else log.warn('no Chromium (CHROMIUM_PATH or `chromium` on PATH): no screenshot of the main chart');
  }
  return { report, files, screenshot, ran: stages.ran, reused: stages.reused, seconds: (performance.now() - t0) / 1000 };
}
