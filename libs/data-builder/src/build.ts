/**
 * The data-builder stage: raw items + impressions (Parquet, streamed) -> pretrain-samples.parquet,
 * ctr-samples.parquet, stats.json, rejects.jsonl. See README.md for the rules and their reasons.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CTR_SAMPLES,
  ContractError,
  Impression,
  PRETRAIN_SAMPLES,
  RAW_IMPRESSIONS,
  RAW_ITEMS,
  ctrSampleToRow,
  described,
  impressionFromRow,
  pretrainSampleToRow,
} from '@courier/data-contracts';
import { ParquetTableWriter, parquetInfo, readParquetRows, temporaryPathFor, writeJsonAtomic } from '@courier/io';
import { Logger, Progress, createLogger } from '@courier/runtime';
import { CTR_COIN_SALT, CoreOptions, CoreStats, SampleCore, checkCoreOptions, keepCoinBase } from './core';
import { DuckDbSession, loadDuckDb } from './duckdb-engine';

export interface BuildSamplesOptions {
  /** A world folder (items.parquet, impressions.parquet, world.json); or give the two files. */
  worldDir?: string;
  itemsFile?: string;
  impressionsFile?: string;
  outDir: string;
  seed: number;
  lPv?: number;
  lClick?: number;
  negativeRate?: number;
  maxHistory?: number;
  ctrNegativeRate?: number;
  /** Category names of the pre-training subset; default world.json's inPretraining categories. */
  pretrainCategories?: string[] | null;
  pretrainHistoryScope?: 'pretrain-categories' | 'all';
  /** Day roles; default world.json's days. Required when there is no world.json. */
  days?: { pretrain: number[]; ctrTrain: number[]; eval: number } | null;
  /** Validate every output row against its contract before writing (default true; js engine). */
  validateOutput?: boolean;
  /**
   * 'duckdb' (default): the SQL of sql.ts in embedded DuckDB; 'js': the streaming TypeScript core.
   * Both give identical files, stats and rejects. 'duckdb' falls back to 'js' (with a log line)
   * when the native binding cannot load, and when its input check finds a bad row (so the error
   * is the TypeScript engine's).
   */
  engine?: 'duckdb' | 'js';
  /** DuckDB settings (engine 'duckdb'): worker threads (default: all cores) and memory limit (default 160MB; DuckDB spills to a temporary folder beyond it, so memory stays flat in the log length). */
  duckdbThreads?: number;
  duckdbMemoryLimit?: string;
  log?: Logger;
}

export interface BuildStats extends CoreStats {
  contract: 'data-stats';
  version: 1;
  inputs: { items: string; impressions: string };
  outputs: { pretrain: string; ctr: string; rejects: string };
  options: { lPv: number; lClick: number; negativeRate: number; maxHistory: number; ctrNegativeRate: number; seed: number; pretrainCategories: string[]; pretrainHistoryScope: string; days: { pretrain: number[]; ctrTrain: number[]; eval: number } };
  items: number;
  seconds: number;
  impressionsPerSecond: number;
}

interface WorldJson {
  days?: { pretrain: number[]; ctrTrain: number[]; eval: number };
  categories?: { name: string; inPretraining: boolean }[];
}

function readWorldJson(dir: string): WorldJson | null {
  const file = path.join(dir, 'world.json');
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as WorldJson;
  } catch (err) {
    throw new ContractError({ file }, 'world.json as JSON', described(`unparsable text (${(err as Error).message})`));
  }
}

/** Reads the catalogue: item id -> category index, and the category names. */
async function readCatalogue(file: string): Promise<{ category: Map<number, number>; names: string[] }> {
  const category = new Map<number, number>();
  const names: string[] = [];
  const index = new Map<string, number>();
  let row = 0;
  for await (const r of readParquetRows(file, RAW_ITEMS)) {
    const id = r.item_id as number;
    if (category.has(id)) throw new ContractError({ file: path.basename(file), row, column: 'item_id' }, 'a unique item id', described(`${id}, already on an earlier row`));
    const name = r.category as string;
    let c = index.get(name);
    if (c === undefined) {
      c = names.length;
      names.push(name);
      index.set(name, c);
    }
    category.set(id, c);
    row++;
  }
  if (row === 0) throw new ContractError({ file: path.basename(file) }, 'at least one item', described('an empty table'));
  return { category, names };
}

/** A JSONL file written to a temporary name and renamed on close. */
class JsonlWriter {
  private readonly tmp: string;
  private readonly fd: number;
  private buffer: string[] = [];
  constructor(readonly target: string) {
    this.tmp = temporaryPathFor(target);
    this.fd = fs.openSync(this.tmp, 'w');
  }
  write(value: unknown): void {
    this.buffer.push(JSON.stringify(value));
    if (this.buffer.length >= 1024) this.drain();
  }
  private drain(): void {
    if (this.buffer.length) fs.writeSync(this.fd, `${this.buffer.join('\n')}\n`);
    this.buffer = [];
  }
  close(): void {
    this.drain();
    fs.closeSync(this.fd);
    fs.renameSync(this.tmp, this.target);
  }
  abort(): void {
    fs.closeSync(this.fd);
    fs.rmSync(this.tmp, { force: true });
  }
}

/** The TypeScript engine: streams the impressions through SampleCore (core.ts). */
async function runJsEngine(a: {
  impressionsFile: string;
  impName: string;
  coreOptions: CoreOptions;
  ptFile: string;
  ctrFile: string;
  rejectsFile: string;
  validate: boolean;
  ptMetadata: Record<string, string>;
  ctrMetadata: Record<string, string>;
  log: Logger;
}): Promise<CoreStats> {
  const { impressionsFile, impName, coreOptions, ptFile, ctrFile, rejectsFile, validate, ptMetadata, ctrMetadata, log } = a;
  const ptWriter = await ParquetTableWriter.open(ptFile, PRETRAIN_SAMPLES, { validate, metadata: ptMetadata });
  const ctrWriter = await ParquetTableWriter.open(ctrFile, CTR_SAMPLES, { validate, metadata: ctrMetadata });
  const rejects = new JsonlWriter(rejectsFile);

  // The core is synchronous; samples queue here and are written after each input row.
  const ptQueue: Record<string, unknown>[] = [];
  const ctrQueue: Record<string, unknown>[] = [];
  const core = new SampleCore(coreOptions, {
    pretrain: (s) => ptQueue.push(pretrainSampleToRow(s)),
    ctr: (s) => ctrQueue.push(ctrSampleToRow(s)),
    reject: (row, reason, record) => rejects.write({ file: impName, row, reason, record }),
  });
  const drain = async () => {
    for (const r of ptQueue) await ptWriter.append(r);
    for (const r of ctrQueue) await ctrWriter.append(r);
    ptQueue.length = 0;
    ctrQueue.length = 0;
  };

  const progress = new Progress('data-builder', undefined, { unit: 'impressions', log: log.child('progress') });
  let coreStats: CoreStats;
  try {
    let row = 0;
    let prevTs = -Infinity;
    for await (const raw of readParquetRows(impressionsFile, RAW_IMPRESSIONS)) {
      const imp: Impression = impressionFromRow(raw);
      if (imp.timestamp < prevTs) {
        throw new ContractError({ file: impName, row, column: 'timestamp' }, `non-decreasing timestamps (row ${row - 1} has ${prevTs}); sort the impressions by timestamp`, imp.timestamp);
      }
      prevTs = imp.timestamp;
      core.push(imp, row);
      if (ptQueue.length || ctrQueue.length) await drain();
      row++;
      if ((row & 1023) === 0) progress.tick(1024);
    }
    if (row === 0) throw new ContractError({ file: impName }, 'at least one impression row', described('an empty table'));
    coreStats = core.finish();
    await drain();
    progress.tick(row & 1023);
    progress.done();
    await ptWriter.close();
    await ctrWriter.close();
    rejects.close();
  } catch (err) {
    await ptWriter.abort();
    await ctrWriter.abort();
    rejects.abort();
    throw err;
  }
  return coreStats;
}

export async function buildSamples(options: BuildSamplesOptions): Promise<BuildStats> {
  const log = options.log ?? createLogger('data-builder');
  const t0 = performance.now();
  const itemsFile = options.itemsFile ?? (options.worldDir ? path.join(options.worldDir, RAW_ITEMS.fileName) : undefined);
  const impressionsFile = options.impressionsFile ?? (options.worldDir ? path.join(options.worldDir, RAW_IMPRESSIONS.fileName) : undefined);
  if (!itemsFile || !impressionsFile) throw new Error('data-builder: give worldDir, or both itemsFile and impressionsFile');
  const world = readWorldJson(options.worldDir ?? path.dirname(impressionsFile));
  const days = options.days ?? world?.days;
  if (!days) {
    throw new Error(
      `data-builder: no day roles: ${path.join(options.worldDir ?? path.dirname(impressionsFile), 'world.json')} is missing, so set the days ` +
        '(config keys pretrainDays, ctrTrainDays, evalDay)',
    );
  }
  const lPv = options.lPv ?? 5;
  const lClick = options.lClick ?? 5;
  const maxHistory = options.maxHistory ?? 50;
  const negativeRate = options.negativeRate ?? 0.2;
  const ctrNegativeRate = options.ctrNegativeRate ?? 1;
  const scope = options.pretrainHistoryScope ?? 'pretrain-categories';

  const ptFile = path.join(options.outDir, PRETRAIN_SAMPLES.fileName);
  const ctrFile = path.join(options.outDir, CTR_SAMPLES.fileName);
  const rejectsFile = path.join(options.outDir, 'rejects.jsonl');
  const engine = options.engine ?? 'duckdb';
  let duck: DuckDbSession | null = null;
  if (engine === 'duckdb') {
    const loaded = loadDuckDb();
    if (!loaded.mod) log.warn(`duckdb engine unavailable (${loaded.why}); building with the js engine`);
    else duck = await DuckDbSession.open(loaded.mod, { threads: options.duckdbThreads, memoryLimit: options.duckdbMemoryLimit, debug: (m) => log.debug(m) });
  }
  let coreStats: CoreStats | null = null;
  let catalogue: { names: string[]; count: number; category: Map<number, number> | null };
  let ptNames: string[];
  try {
    // The catalogue: DuckDB loads it when the file is clean; otherwise our reader reads it (and
    // names the bad row). Either way the file-level checks (columns, codecs) are our reader's.
    const duckItems = duck ? (await parquetInfo(itemsFile, RAW_ITEMS), await duck.catalogue(itemsFile)) : null;
    if (duckItems) catalogue = { ...duckItems, category: null };
    else {
      const c = await readCatalogue(itemsFile);
      catalogue = { names: c.names, count: c.category.size, category: c.category };
    }
    log.debug(`catalogue read: ${((performance.now() - t0) / 1000).toFixed(3)} s`);
    const names = catalogue.names;
    ptNames = options.pretrainCategories ?? world?.categories?.filter((c) => c.inPretraining).map((c) => c.name) ?? names;
    const unknownCats = ptNames.filter((n) => !names.includes(n));
    if (unknownCats.length) log.warn(`pretrain categories not in ${path.basename(itemsFile)}: ${unknownCats.join(', ')} (known: ${names.join(', ')})`);
    const ptCats = new Set(ptNames.map((n) => names.indexOf(n)).filter((i) => i >= 0));

    fs.mkdirSync(options.outDir, { recursive: true });
    const validate = options.validateOutput ?? true;
    const impName = path.basename(impressionsFile);
    const ptMetadata = { l_pv: String(lPv), l_click: String(lClick), negative_rate: String(negativeRate), seed: String(options.seed) };
    const ctrMetadata = { max_history: String(maxHistory), ctr_negative_rate: String(ctrNegativeRate), seed: String(options.seed) };
    let categoryOf = catalogue.category;
    const coreOptions: CoreOptions = {
      lPv,
      lClick,
      maxHistory,
      negativeRate,
      ctrNegativeRate,
      seed: options.seed,
      pretrainDays: new Set(days.pretrain),
      ctrTrainDays: new Set(days.ctrTrain),
      evalDay: days.eval,
      itemCategory: (id) => categoryOf?.get(id) ?? -1,
      pretrainCategories: ptCats,
      pretrainHistoryScope: scope,
    };
    // Same parameter checks as the core's, whichever engine runs.
    checkCoreOptions(coreOptions);

    if (duck) {
      // Same file-level errors as the js engine (missing file, columns, codecs, empty table).
      const info = await parquetInfo(impressionsFile, RAW_IMPRESSIONS);
      if (info.rowCount === 0) throw new ContractError({ file: impName }, 'at least one impression row', described('an empty table'));
      const ptTmp = temporaryPathFor(ptFile);
      const ctrTmp = temporaryPathFor(ctrFile);
      const rejects = new JsonlWriter(rejectsFile);
      try {
        const r = await duck.build({
          impressionsFile,
          pretrainCategoryNames: names.filter((_, i) => ptCats.has(i)),
          params: {
            lPv,
            lClick,
            maxHistory,
            ptCoinBase: keepCoinBase(options.seed),
            ctrCoinBase: keepCoinBase(options.seed ^ CTR_COIN_SALT),
            ptThreshold: Math.ceil(negativeRate * 4294967296),
            ctrThreshold: Math.ceil(ctrNegativeRate * 4294967296),
            pretrainDays: days.pretrain,
            ctrTrainDays: days.ctrTrain,
            evalDay: days.eval,
            scope,
          },
          ptTmp,
          ctrTmp,
          ptMetadata: { contract: PRETRAIN_SAMPLES.name, version: String(PRETRAIN_SAMPLES.version), ...ptMetadata },
          ctrMetadata: { contract: CTR_SAMPLES.name, version: String(CTR_SAMPLES.version), ...ctrMetadata },
          reject: (row, reason, record) => rejects.write({ file: impName, row, reason, record }),
        });
        if ('fallback' in r) {
          log.info(`duckdb engine: ${impName} ${r.fallback}; building with the js engine, which reports it`);
          rejects.abort();
          fs.rmSync(ptTmp, { force: true });
          fs.rmSync(ctrTmp, { force: true });
        } else {
          fs.renameSync(ptTmp, ptFile);
          fs.renameSync(ctrTmp, ctrFile);
          rejects.close();
          coreStats = r.stats;
        }
      } catch (err) {
        rejects.abort();
        fs.rmSync(ptTmp, { force: true });
        fs.rmSync(ctrTmp, { force: true });
        throw err;
      }
    }
    if (!coreStats) {
      categoryOf ??= (await readCatalogue(itemsFile)).category;
      coreStats = await runJsEngine({ impressionsFile, impName, coreOptions, ptFile, ctrFile, rejectsFile, validate, ptMetadata, ctrMetadata, log });
    }
  } finally {
    duck?.close();
  }
  const rejected = Object.values(coreStats.rejects).reduce((a, b) => a + b, 0);
  if (coreStats.rowsIn !== coreStats.rowsUsed + rejected) throw new Error(`data-builder: internal count mismatch: ${coreStats.rowsIn} rows in != ${coreStats.rowsUsed} used + ${rejected} rejected`);
  const seconds = (performance.now() - t0) / 1000;
  const stats: BuildStats = {
    contract: 'data-stats',
    version: 1,
    inputs: { items: itemsFile, impressions: impressionsFile },
    outputs: { pretrain: ptFile, ctr: ctrFile, rejects: rejectsFile },
    options: { lPv, lClick, negativeRate, maxHistory, ctrNegativeRate, seed: options.seed, pretrainCategories: ptNames, pretrainHistoryScope: scope, days },
    items: catalogue.count,
    ...coreStats,
    seconds,
    impressionsPerSecond: coreStats.rowsIn / seconds,
  };
  writeJsonAtomic(path.join(options.outDir, 'stats.json'), stats);
  log.info(formatStats(stats));
  return stats;
}

/** The printed summary: Table 3's columns for the pre-training set, then the CTR splits. */
export function formatStats(s: BuildStats): string {
  const f = (x: number, k = 3) => x.toFixed(k);
  const rej = Object.entries(s.rejects).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
  return [
    `rows in ${s.rowsIn}, used ${s.rowsUsed}, rejected ${s.rowsIn - s.rowsUsed} (${rej}); ${s.pageViews} page views, ${s.users} users, ${s.items} items; ${f(s.impressionsPerSecond, 0)} impressions/s`,
    `pretrain: #users ${s.pretrain.distinctUsers}  #items ${s.pretrain.distinctItems}  #samples ${s.pretrain.samples}  CTR ${f(s.pretrain.ctrBeforeDownsampling)} -> ${f(s.pretrain.ctrAfterDownsampling)} after down-sampling (${f(s.pretrain.ctrInSamples)} in samples)  #hist ${f(s.pretrain.meanHistory, 2)}  #PV items ${f(s.pretrain.meanPvItems, 2)}`,
    `  of ${s.pretrain.candidatePageViews} candidate page views: dropped no-positive ${s.pretrain.dropped.noPositive}, no-history ${s.pretrain.dropped.noHistory}`,
    `ctr: train ${s.ctr.train.samples} samples (CTR ${f(s.ctr.train.ctr)}, #hist ${f(s.ctr.train.meanHistory, 1)}), eval ${s.ctr.eval.samples} samples (CTR ${f(s.ctr.eval.ctr)}, #hist ${f(s.ctr.eval.meanHistory, 1)})`,
  ].join('\n');
}
