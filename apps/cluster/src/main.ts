// CLI: `tsx apps/cluster/src/main.ts fit|assign --embeddings FILE --out DIR [--k N] [--method single-pass|kmeans]
//        [--centres FILE] [--config FILE] [--seed N] [--help]` (any config key as --key value).
import { CLUSTER_CONFIG_SCHEMA, ClusterConfig, runClusterAssign, runClusterFit } from '@courier/clustering';
import { overridesFromFlags, parseCliArgs, printConfigHelp, resolveConfig } from '@courier/runtime';

async function main(argv: string[]): Promise<void> {
  const { positionals, flags } = parseCliArgs(argv);
  const command = positionals[0];
  if (flags.help || flags.h || (command !== 'fit' && command !== 'assign')) {
    process.stdout.write('usage: cluster fit|assign --embeddings FILE --out DIR [--centres FILE] [--k N] [--method single-pass|kmeans] [--config FILE] [--seed N]\n\n');
    printConfigHelp(CLUSTER_CONFIG_SCHEMA, { title: 'cluster config keys (defaults)' });
    if (!flags.help && !flags.h) process.exitCode = 2;
    return;
  }
  const out = flags.out;
  if (typeof out !== 'string') throw new Error(`cluster ${command}: --out DIR is required`);
  const seed = flags.seed === undefined ? 1 : Number(flags.seed);
  if (!Number.isSafeInteger(seed)) throw new Error(`cluster ${command}: --seed must be an integer, got ${String(flags.seed)}`);
  const config = resolveConfig<ClusterConfig>(CLUSTER_CONFIG_SCHEMA, {
    file: typeof flags.config === 'string' ? flags.config : undefined,
    overrides: overridesFromFlags(flags, CLUSTER_CONFIG_SCHEMA),
    where: `cluster ${command}`,
  });
  if (command === 'fit') await runClusterFit({ outDir: out, seed, config });
  else await runClusterAssign({ outDir: out, seed, config });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`cluster: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
