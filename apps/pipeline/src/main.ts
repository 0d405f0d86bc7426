/**
 * pipeline: the whole COURIER pipeline on one world, end to end.
 *
 *   tsx apps/pipeline/src/main.ts run [--preset demo|tiny|bench] [--seed N] [--out DIR] [--config FILE]
 *                                     [--ctr-seeds 1,2] [--force STAGE] [--data DIR] [--allow-slow-backend]
 *                                     [--<key> VALUE ...]
 *   tsx apps/pipeline/src/main.ts help
 *
 * Stages: world -> samples -> pretrain (train + export) -> clusters -> ctr. Each stage writes
 * its folder under runs/<preset>-seed<seed>/ with run.json and a fingerprint; a rerun skips
 * stages whose config, seed, inputs and code did not change, and a killed pretraining resumes
 * from its checkpoint. At the end it prints the CTR table and the paths of the reports.
 *
 * The first line printed is the tfjs backend. Without a fast backend (native BLAS kernels or
 * TensorFlow) the run stops within seconds naming the command that fixes it, unless
 * --allow-slow-backend, COURIER_ALLOW_SLOW_BACKEND=1 or a forced COURIER_BACKEND asks for the fallback.
 * `--data DIR` runs on your own items.parquet, impressions.parquet and images/ instead of a
 * generated world (no ground truth: oracle and ceiling rows are left out).
 */
import * as path from 'node:path';
import { parseCliArgs, printConfigHelp, resolveConfig, overridesFromFlags, createLogger, initBackend, slowBackendDecision } from '@courier/runtime';
import { PIPELINE_CONFIG_SCHEMA, PipelineConfig, runPipeline } from './pipeline';

async function main(argv: string[]): Promise<void> {
  const { positionals, flags } = parseCliArgs(argv);
  const command = positionals[0] ?? 'run';
  if (command === 'help' || flags.help || flags.h) {
    printConfigHelp(PIPELINE_CONFIG_SCHEMA, { title: 'pipeline config (pipeline run --config FILE --<key> VALUE); stage sections take that stage\'s own keys' });
    return;
  }
  if (command !== 'run') throw new Error(`pipeline: unknown command "${command}"; expected run or help`);
  // The backend first: it is the first line printed, and a slow one stops the run in seconds.
  const backend = await initBackend();
  const { force, 'allow-slow-backend': allowSlow, data, ...rest } = flags;
  const decision = slowBackendDecision(backend, { allowFlag: allowSlow === true || allowSlow === 'true', command: 'pipeline run' });
  if (!decision.proceed) {
    process.stderr.write(`${decision.message}\n`);
    process.exit(2);
  }
  const log = createLogger('pipeline');
  if (decision.message) log.warn(decision.message);
  if (data !== undefined && typeof data !== 'string') throw new Error('pipeline: --data needs a folder (items.parquet, impressions.parquet, images/)');
  if (typeof data === 'string') rest['data-dir'] = data;
  const config = resolveConfig<PipelineConfig>(PIPELINE_CONFIG_SCHEMA, {
    file: typeof flags.config === 'string' ? flags.config : undefined,
    overrides: overridesFromFlags(rest, PIPELINE_CONFIG_SCHEMA),
    where: 'pipeline',
  });
  // --out is a run flag (kept out of the config overrides); `out` in a config file works too.
  const outFlag = typeof flags.out === 'string' ? flags.out : null;
  const outDir = path.resolve(outFlag ?? config.out ?? path.join('runs', `${config.preset}-seed${config.seed}`));
  const result = await runPipeline({ config, outDir, force: typeof force === 'string' ? force.split(',') : [], log });
  const notes = result.notes.map((n) => `note: ${n}\n`).join('');
  process.stdout.write(`\n${result.table}\n${notes}\nCTR report:  ${result.reportFile}\nHTML report: ${result.htmlFile}\nStage times: ${Object.entries(result.stageSeconds).map(([s, t]) => `${s} ${t.toFixed(1)}s${result.skipped.includes(s) ? ' (up to date, skipped)' : ''}`).join(', ')}\n`);
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`${err.stack && process.env.COURIER_DEBUG ? err.stack : err.message}\n`);
  process.exit(1);
});
