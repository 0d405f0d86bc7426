import * as path from 'node:path';
import type { StageDefinition } from '@courier/runtime';
import { StageCliError, createLogger, initBackend, slowBackendDecision, stageCommand } from '@courier/runtime';
import { PIPELINE_CONFIG_SCHEMA, PIPELINE_STAGES, PipelineConfig, runPipeline, validatePipelineChoices } from './pipeline';

/**
 * The pipeline app's command line (`runStageCli`'s convention, like every stage app): `run` runs
 * world -> samples -> pretrain (train + export) -> clusters -> ctr on one world through one
 * StageRunner (pipeline.ts). Each stage writes its folder under the run folder with run.json and a
 * fingerprint; a rerun skips stages whose config, seed, inputs and code did not change, and a
 * killed pre-training resumes from its checkpoint. At the end it prints the CTR table and the
 * paths of the reports.
 *
 * The first line printed is the tfjs backend. Without a fast backend (native BLAS kernels or
 * TensorFlow) the run stops within seconds (exit 2) naming the command that fixes it, unless
 * --allow-slow-backend, COURIER_ALLOW_SLOW_BACKEND=1 or a forced COURIER_BACKEND asks for the
 * fallback. `--data DIR` runs on your own items.parquet, impressions.parquet and images/ instead of
 * a generated world (no ground truth: oracle and ceiling rows are left out).
 */
export const PIPELINE_CLI: StageDefinition = {
  name: 'pipeline',
  description: 'the whole COURIER pipeline on one world, end to end (world -> samples -> pretrain -> clusters -> ctr)',
  commands: {
    run: stageCommand<PipelineConfig>({
      summary: 'runs (or resumes) every stage and prints the CTR table; stage sections of the config take that stage\'s own keys',
      config: PIPELINE_CONFIG_SCHEMA,
      inputs: [{ name: 'data', doc: 'your own data instead of a generated world: items.parquet, impressions.parquet, images/ (config key dataDir)', kind: 'dir' }],
      options: [
        { name: 'force', doc: `rerun these stages from scratch, and every stage after them (${PIPELINE_STAGES.join(', ')})`, valueName: 'STAGE[,STAGE]' },
        { name: 'allow-slow-backend', doc: 'run on the WebAssembly/CPU fallback instead of stopping (or COURIER_ALLOW_SLOW_BACKEND=1)', boolean: true },
      ],
      out: { doc: 'the run folder (default: the config key out, else runs/<preset>-seed<seed>)', default: ({ config }) => config.out ?? path.join('runs', `${config.preset}-seed${config.seed}`) },
      outputs: [...PIPELINE_STAGES.map((s) => `${s}/`), 'report.html', 'pipeline.json'],
      seed: true,
      check({ config, flags }) {
        validatePipelineChoices(config);
        for (const stage of forcedStages(flags.force)) {
          if (!(PIPELINE_STAGES as readonly string[]).includes(stage)) throw new StageCliError(`pipeline run: --force ${stage}: unknown stage; stages are ${PIPELINE_STAGES.join(', ')}`);
        }
      },
      async run({ config, inputs, flags, outDir }) {
        // The backend first: it is the first line printed, and a slow one stops the run in seconds.
        const decision = slowBackendDecision(await initBackend(), { allowFlag: flags['allow-slow-backend'] === true, command: 'pipeline run' });
        if (!decision.proceed) throw new StageCliError(decision.message ?? 'pipeline run: stopped before a slow run', 2);
        const log = createLogger('pipeline');
        if (decision.message) log.warn(decision.message);
        const result = await runPipeline({ config: inputs.data ? { ...config, dataDir: inputs.data } : config, outDir, force: forcedStages(flags.force), log });
        const notes = result.notes.map((n) => `note: ${n}\n`).join('');
        const times = Object.entries(result.stageSeconds).map(([s, t]) => `${s} ${t.toFixed(1)}s${result.skipped.includes(s) ? ' (up to date, skipped)' : ''}`);
        return `\n${result.table}\n${notes}\nCTR report:  ${result.reportFile}\nHTML report: ${result.htmlFile}\nStage times: ${times.join(', ')}`;
      },
    }),
  },
};

function forcedStages(value: string | boolean | undefined): string[] {
  return typeof value === 'string' ? value.split(',').filter((s) => s.length > 0) : [];
}
