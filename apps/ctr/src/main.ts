/**
 * ctr: the downstream CTR evaluation of image features (paper Table 5 / Appendix Table 1 / Fig. 4).
 *
 *   tsx apps/ctr/src/main.ts train    --samples DIR --world DIR --out DIR
 *                                      [--embeddings NAME=FILE[:vector|simscore|cluster-id]]...
 *                                      [--clusters NAME=assignments.parquet]... [--seeds 1,2,3]
 *                                      [--config FILE] [--warm-start TRAIN_OUT] [--<key> VALUE ...]
 *   tsx apps/ctr/src/main.ts evaluate  (same flags; trains and evaluates) or with --from TRAIN_OUT
 *                                      (evaluates the checkpoints of an earlier `train` without training)
 *   tsx apps/ctr/src/main.ts help
 * Both write <out>/ctr-report.json, <out>/rejects.jsonl and <out>/run.json; `train` also writes
 * <out>/models/<method>-seed<N>.json. --embeddings and --clusters may repeat.
 */
import * as path from 'node:path';
import { overridesFromFlags, parseCliArgs, printConfigHelp, resolveConfig } from '@courier/runtime';
import { CTR_CONFIG_SCHEMA, CtrConfig, parseFeatureSets, runCtrEvaluateStage, runCtrFromCheckpoints } from '@courier/ctr';

const REPEATED = ['embeddings', 'clusters'];

/** Pulls every value of repeatable flags out of argv (parseCliArgs keeps only the last one). */
function takeRepeated(argv: string[]): { rest: string[]; values: Record<string, string[]> } {
  const values: Record<string, string[]> = Object.fromEntries(REPEATED.map((k) => [k, []]));
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (m && REPEATED.includes(m[1])) {
      const v = m[2] ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`ctr: --${m[1]} needs a value`);
      values[m[1]].push(...v.split(',').filter((x) => x.length > 0));
    } else rest.push(argv[i]);
  }
  return { rest, values };
}

function pathFlag(flags: Record<string, string | boolean>, name: string, required: boolean): string | undefined {
  const v = flags[name];
  if (v === undefined) {
    if (required) throw new Error(`ctr: --${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string' || v === '') throw new Error(`ctr: --${name} needs a path`);
  return path.resolve(v);
}

function parseSeeds(value: string | boolean | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const seeds = String(value).split(',').map((s) => Number(s.trim()));
  if (seeds.length === 0 || seeds.some((s) => !Number.isSafeInteger(s))) throw new Error(`ctr: --seeds expects comma-separated integers (e.g. 1,2,3), got ${JSON.stringify(value)}`);
  return seeds;
}

async function main(argv: string[]): Promise<void> {
  const { rest, values } = takeRepeated(argv);
  const { positionals, flags } = parseCliArgs(rest);
  const command = positionals[0] ?? 'help';
  if (command === 'help' || flags.help || flags.h) {
    printConfigHelp(CTR_CONFIG_SCHEMA, { title: 'CTR config (ctr train|evaluate --samples DIR --world DIR --out DIR --embeddings NAME=FILE[:mode] --clusters NAME=FILE --seeds 1,2,3 --config FILE --<key> VALUE)' });
    return;
  }
  if (command !== 'train' && command !== 'evaluate') throw new Error(`ctr: unknown command "${command}"; expected train, evaluate or help`);
  const { samples, world, out, from, seeds, seed, 'warm-start': warm, ...keys } = flags;
  const seedList = parseSeeds(seeds) ?? (seed !== undefined ? parseSeeds(seed) : undefined);
  const config = resolveConfig<CtrConfig & { seeds: number[] }>(CTR_CONFIG_SCHEMA, {
    file: typeof flags.config === 'string' ? flags.config : undefined,
    overrides: { ...overridesFromFlags(keys, CTR_CONFIG_SCHEMA), ...(seedList ? { seeds: seedList } : {}) },
    where: 'ctr',
  });
  const options = {
    samples: pathFlag({ samples }, 'samples', true) as string,
    world: pathFlag({ world }, 'world', true) as string,
    outDir: pathFlag({ out }, 'out', true) as string,
    featureSets: parseFeatureSets(values.embeddings, values.clusters),
    config,
    warmStartDir: pathFlag({ 'warm-start': warm }, 'warm-start', false) ?? null,
  };
  if (command === 'evaluate' && from !== undefined) {
    await runCtrFromCheckpoints({ ...options, fromDir: pathFlag({ from }, 'from', true) as string });
  } else {
    await runCtrEvaluateStage(options, command === 'train' ? 'ctr-train' : 'ctr');
  }
  process.stdout.write(`${path.join(options.outDir, 'ctr-report.json')}\n`);
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
