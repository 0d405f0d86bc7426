/**
 * pretrain: COURIER image-embedding pre-training.
 *
 *   tsx apps/pretrain/src/main.ts train --samples DIR_OR_FILE --world DIR --out DIR [--config FILE] [--seed N] [--allow-slow-backend] [--<key> VALUE ...]
 *   tsx apps/pretrain/src/main.ts export --from TRAIN_OUT --world DIR --out DIR [--batch-size N]
 *   tsx apps/pretrain/src/main.ts help
 * `train` resumes automatically from <out>/checkpoint.ckpt (unless `--fresh`, or the checkpoint was
 * written for other samples, catalogue or config: then it trains from scratch and says why) and writes <out>/embeddings.arrow and
 * <out>/run.json. Config keys (see `help`) can be given in the file or as --kebab-case flags.
 */
import * as path from 'node:path';
import { initBackend, overridesFromFlags, parseCliArgs, printConfigHelp, resolveConfig, slowBackendDecision } from '@courier/runtime';
import { PRETRAIN_CONFIG_SCHEMA, PretrainConfig, runPretrainExportStage, runPretrainTrainStage } from '@courier/courier';

function pathFlag(flags: Record<string, string | boolean>, name: string, required: boolean): string | undefined {
  const v = flags[name];
  if (v === undefined) {
    if (required) throw new Error(`pretrain: --${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string' || v === '') throw new Error(`pretrain: --${name} needs a path`);
  return path.resolve(v);
}

async function main(argv: string[]): Promise<void> {
  const { positionals, flags } = parseCliArgs(argv);
  const command = positionals[0] ?? 'help';
  if (command === 'help' || flags.help || flags.h) {
    printConfigHelp(PRETRAIN_CONFIG_SCHEMA, { title: 'COURIER pretrain config (pretrain train --samples DIR --world DIR --out DIR --config FILE --<key> VALUE)' });
    return;
  }
  if (command === 'train') {
    const { samples, world, from: _from, fresh, 'allow-slow-backend': allowSlow, ...rest } = flags;
    // Pre-training is the slowest stage on the fallback backends: stop in seconds naming the fix.
    const decision = slowBackendDecision(await initBackend(), { allowFlag: allowSlow === true || allowSlow === 'true', command: 'pretrain train' });
    if (!decision.proceed) {
      process.stderr.write(`${decision.message}\n`);
      process.exit(2);
    }
    if (decision.message) process.stderr.write(`${decision.message}\n`);
    const config = resolveConfig<PretrainConfig>(PRETRAIN_CONFIG_SCHEMA, {
      file: typeof flags.config === 'string' ? flags.config : undefined,
      overrides: overridesFromFlags(rest, PRETRAIN_CONFIG_SCHEMA),
      where: 'pretrain',
    });
    const outDir = pathFlag(flags, 'out', true)!;
    await runPretrainTrainStage({ samples: pathFlag({ samples }, 'samples', true)!, world: pathFlag({ world }, 'world', true)!, outDir, config, fresh: fresh === true || fresh === 'true' });
    process.stdout.write(`${outDir}\n`);
    return;
  }
  if (command === 'export') {
    const outDir = pathFlag(flags, 'out', true)!;
    const from = pathFlag(flags, 'from', false) ?? outDir;
    const batchSize = flags['batch-size'] === undefined ? undefined : Number(flags['batch-size']);
    if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`pretrain: --batch-size must be a positive integer, got ${JSON.stringify(flags['batch-size'])}`);
    await runPretrainExportStage({ from, world: pathFlag(flags, 'world', true)!, outDir, batchSize });
    process.stdout.write(`${outDir}\n`);
    return;
  }
  throw new Error(`pretrain: unknown command "${command}"; expected train, export or help`);
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
