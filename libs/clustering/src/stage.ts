import * as path from 'node:path';
import { CLUSTER_ASSIGNMENTS, CLUSTER_CENTRES, ITEM_EMBEDDINGS, RunMetadata } from '@courier/data-contracts';
import { ParquetTableWriter, readVectorTable, VectorTable, writeVectorTable } from '@courier/io';
import { ConfigOf, ConfigSchema, Progress, runStage } from '@courier/runtime';
import { ClusterModel, assignClusters, fitClusters } from './fit';
import { AssignRule } from './kernels';

/** Config keys of `nx run cluster:fit` / `cluster:assign` (flat camelCase; flags override). */
export const CLUSTER_CONFIG_SCHEMA = {
  embeddings: { default: null, type: 'string', doc: 'ITEM_EMBEDDINGS Arrow file to cluster or label (required)' },
  centres: { default: null, type: 'string', doc: 'cluster:assign only: CLUSTER_CENTRES file of an earlier fit (required there)' },
  k: { default: 64, integer: true, min: 1, doc: 'number of clusters K; 64 suits the demo world (4000 items, ~60 per cluster); production 1e5' },
  method: { default: 'single-pass', choices: ['single-pass', 'kmeans'], doc: 'single-pass (Yi et al. 2014) or the ml-kmeans Lloyd baseline' },
  tMin: { default: 20, min: 1, doc: 'min mean points per cluster in the first subset; sets the number of epochs' },
  epochs: { default: null, type: 'number', integer: true, min: 1, doc: 'number of doubling subsets m (null: from tMin)' },
  lambda1: { default: 0, min: 0, doc: 'initial soft-threshold penalty λ_1 (0 for dense embeddings)' },
  lambdaAuto: { default: false, doc: "use λ_1 = 2σ̂·sqrt(2·ln d·K/T) (for sparse data); overrides lambda1" },
  lambdaDecay: { default: Math.SQRT1_2, min: 0, max: 1, doc: 'λ_{t+1}/λ_t (paper: 1/√2)' },
  assign: { default: 'l2', choices: ['l2', 'ip'], doc: "assignment rule: l2 = nearest centre; ip = the paper's argmax cᵀx" },
  spherical: { default: false, doc: 'renormalise centres to unit norm after each update' },
  init: { default: 'sample-lloyd', choices: ['sample-lloyd', 'kmeans++', 'random', 'hierarchical'], doc: 'initial centres from a hashed init sample' },
  initSampleSize: { default: null, type: 'number', integer: true, min: 1, doc: 'rows in the init sample (null: 32·K, or ⌈5K ln n⌉ for hierarchical; at most n/4)' },
  initIterations: { default: 4, integer: true, min: 0, doc: 'Lloyd iterations on the init sample (sample-lloyd)' },
  initSeeding: { default: 'random', choices: ['random', 'greedy-kmeans++'], doc: "seeds of sample-lloyd: K random sample rows, or greedy k-means++ (sklearn's seeding; inertia within ~3% of sklearn k-means++ Lloyd at a fraction of its time)" },
  seedingTrials: { default: null, type: 'number', integer: true, min: 1, doc: 'greedy k-means++ candidates per centre (null: 2 + floor(ln K))' },
  seedingSample: { default: null, type: 'number', integer: true, min: 1, doc: 'init-sample rows greedy k-means++ runs on (null: 8·K; cost rows·trials·K·d)' },
  refinePasses: { default: 0, integer: true, min: 0, doc: 'Lloyd passes over all rows after the single pass (0 = single-pass; 1 closes part of the gap to a converged Lloyd)' },
  estimationSample: { default: null, type: 'number', integer: true, min: 1, doc: 'estimate centres from about this many rows only (null: all)' },
  shards: { default: 1, integer: true, min: 1, doc: 'worker threads for the estimation pass (1 = in-process)' },
  kernel: { default: 'auto', choices: ['auto', 'js', 'tfjs'], doc: 'nearest-centre kernel: auto times typed arrays vs tf.matMul and keeps the faster' },
  kmeansMaxIterations: { default: 100, integer: true, min: 1, doc: 'kmeans method: Lloyd iterations at most' },
} as const satisfies ConfigSchema;

/** The configuration of `cluster:fit` / `cluster:assign` (every key of CLUSTER_CONFIG_SCHEMA, typed by it). */
export type ClusterConfig = ConfigOf<typeof CLUSTER_CONFIG_SCHEMA>;

function readEmbeddings(file: string | null, where: string): VectorTable {
  if (!file) throw new Error(`${where}: no embeddings file; pass --embeddings FILE (an ITEM_EMBEDDINGS Arrow file)`);
  const table = readVectorTable(file, ITEM_EMBEDDINGS);
  const declared = table.metadata.dim !== undefined ? Number(table.metadata.dim) : undefined;
  if (declared !== undefined && declared !== table.dim) throw new Error(`${path.basename(file)}: schema metadata says dim ${declared} but the vectors have length ${table.dim}`);
  return table;
}

async function writeAssignments(target: string, ids: Int32Array, clusterIds: Int32Array, distances: Float64Array, k: number, rule: string): Promise<void> {
  const writer = await ParquetTableWriter.open(target, CLUSTER_ASSIGNMENTS, { metadata: { k: String(k), rule, unknownId: String(k) }, rowGroupSize: 65536, validate: false });
  const progress = new Progress('write assignments', ids.length);
  try {
    for (let i = 0; i < ids.length; i++) {
      await writer.append({ item_id: ids[i], cluster_id: clusterIds[i], distance: Number.isNaN(distances[i]) ? null : distances[i] });
      if ((i + 1) % 10000 === 0) progress.tick(10000);
    }
    progress.tick(ids.length % 10000);
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    progress.done();
  }
}

/** `cluster:fit`: fit centres, label every item, write centres.arrow, assignments.parquet, run.json. */
export async function runClusterFit(opts: { outDir: string; seed: number; config: ClusterConfig }): Promise<RunMetadata> {
  const { config } = opts;
  return runStage({ stage: 'cluster', outDir: opts.outDir, seed: opts.seed, config: config as unknown as Record<string, unknown> }, async (ctx) => {
    const table = await ctx.time('read', () => readEmbeddings(config.embeddings, 'cluster:fit'));
    const n = table.ids.length;
    ctx.log.info(`${n} items, dim ${table.dim}, K=${config.k}, method ${config.method}`);
    const model: ClusterModel = await ctx.time('fit', () =>
      fitClusters(
        { vectors: table.vectors, dim: table.dim, ids: table.ids },
        {
          method: config.method,
          k: config.k,
          seed: opts.seed,
          tMin: config.tMin,
          epochs: config.epochs ?? undefined,
          lambda1: config.lambdaAuto ? 'auto' : config.lambda1,
          lambdaDecay: config.lambdaDecay,
          assign: config.assign,
          spherical: config.spherical,
          init: config.init,
          initSampleSize: config.initSampleSize ?? undefined,
          initIterations: config.initIterations,
          initSeeding: config.initSeeding,
          seedingTrials: config.seedingTrials ?? undefined,
          seedingSample: config.seedingSample ?? undefined,
          refinePasses: config.refinePasses,
          estimationSample: config.estimationSample ?? undefined,
          shards: config.shards,
          kernel: config.kernel,
          kmeansMaxIterations: config.kmeansMaxIterations,
          log: (line) => ctx.log.info(line),
        },
      ),
    );
    const labelled = await ctx.time('assign', () => assignClusters({ vectors: table.vectors, dim: table.dim }, model, { kernel: config.kernel }));
    const centresFile = path.join(opts.outDir, CLUSTER_CENTRES.fileName);
    writeVectorTable(
      centresFile,
      { ids: Int32Array.from({ length: model.k }, (_, i) => i), vectors: model.centres, dim: model.d, metadata: { k: String(model.k), rule: model.rule, method: model.method, unknownId: String(model.k), spherical: String(config.spherical) } },
      CLUSTER_CENTRES,
    );
    await ctx.time('write', () => writeAssignments(path.join(opts.outDir, CLUSTER_ASSIGNMENTS.fileName), table.ids, labelled.ids, labelled.distances, model.k, model.rule));
    const sp = model.singlePass;
    ctx.log.info(`inertia ${labelled.inertia.toFixed(5)}, ${labelled.unknown} unknown rows (id ${model.k}), fit ${model.fitSeconds.toFixed(2)} s, assign ${labelled.assignSeconds.toFixed(2)} s`);
    return {
      k: model.k,
      n,
      d: model.d,
      inertia: labelled.inertia,
      fitSeconds: model.fitSeconds,
      assignSeconds: labelled.assignSeconds,
      emptyClusters: model.emptyClusters,
      method: model.method,
      rule: model.rule,
      unknownRows: labelled.unknown,
      assignKernel: labelled.kernel,
      ...(sp
        ? {
            epochs: sp.epochs,
            firstSize: sp.firstSize,
            lambda1: sp.lambda1,
            initInertia: sp.initInertia,
            initRows: sp.initRows,
            initSeconds: sp.initSeconds,
            epochStats: sp.epochStats,
            fitKernel: sp.kernel,
            kernelCalibration: sp.calibration,
          }
        : { kmeansIterations: model.kmeans?.iterations, kmeansConverged: model.kmeans?.converged }),
    };
  });
}

/** `cluster:assign`: label items (new or old) with the centres of an earlier fit. */
export async function runClusterAssign(opts: { outDir: string; seed: number; config: ClusterConfig }): Promise<RunMetadata> {
  const { config } = opts;
  return runStage({ stage: 'cluster-assign', outDir: opts.outDir, seed: opts.seed, config: config as unknown as Record<string, unknown> }, async (ctx) => {
    if (!config.centres) throw new Error('cluster:assign: no centres file; pass --centres FILE (centres.arrow of a cluster:fit run)');
    const centres = readVectorTable(config.centres, CLUSTER_CENTRES);
    const k = centres.ids.length;
    if (centres.metadata.k !== undefined && Number(centres.metadata.k) !== k) throw new Error(`${path.basename(config.centres)}: metadata k = ${centres.metadata.k} but the file holds ${k} centres`);
    for (let i = 0; i < k; i++) if (centres.ids[i] !== i) throw new Error(`${path.basename(config.centres)} row ${i}: expected cluster_id ${i}, got ${centres.ids[i]}`);
    const rule = (centres.metadata.rule ?? 'l2') as AssignRule;
    if (rule !== 'l2' && rule !== 'ip') throw new Error(`${path.basename(config.centres)}: unknown rule "${rule}" in metadata; expected l2 or ip`);
    const table = await ctx.time('read', () => readEmbeddings(config.embeddings, 'cluster:assign'));
    const labelled = await ctx.time('assign', () => assignClusters({ vectors: table.vectors, dim: table.dim }, { centres: centres.vectors, k, d: centres.dim, rule }, { kernel: config.kernel }));
    await ctx.time('write', () => writeAssignments(path.join(opts.outDir, CLUSTER_ASSIGNMENTS.fileName), table.ids, labelled.ids, labelled.distances, k, rule));
    return { k, n: table.ids.length, d: table.dim, inertia: labelled.inertia, fitSeconds: 0, assignSeconds: labelled.assignSeconds, emptyClusters: 0, rule, unknownRows: labelled.unknown, centresFile: config.centres };
  });
}
