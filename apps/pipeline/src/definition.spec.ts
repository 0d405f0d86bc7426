import * as path from 'node:path';
import { configDefaults } from '@courier/runtime';
import { runCliForTest } from '@courier/runtime/testing';
import { PIPELINE_CLI } from './definition';
import { PIPELINE_CONFIG_SCHEMA, PipelineConfig } from './pipeline';

/** The pipeline command line (PIPELINE_CLI through runStageCli's convention), without running a stage. */
const cli = (argv: string[]) => runCliForTest(PIPELINE_CLI, argv);

describe('pipeline command line (issue #20)', () => {
  it.each([[[]], [['help']], [['run', '-h']]])('%j prints the flags and every config key; exit 0', async (argv) => {
    const r = await cli(argv);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    for (const flag of ['--data DIR', '--out DIR', '--seed N', '--force STAGE[,STAGE]', '--allow-slow-backend', '--config FILE']) expect(r.stdout).toContain(flag);
    expect(r.stdout).toContain('preset: demo');
    expect(r.stdout).toContain('seed: 1');
  });

  it('the run folder defaults to the config key out, else runs/<preset>-seed<seed>', () => {
    const out = PIPELINE_CLI.commands.run.out!.default!;
    const config = { ...configDefaults(PIPELINE_CONFIG_SCHEMA), preset: 'tiny', seed: 3 } as PipelineConfig;
    const args = { app: 'pipeline', command: 'run', inputs: {}, lists: {}, seed: 3, flags: {} };
    expect(out({ ...args, config })).toBe(path.join('runs', 'tiny-seed3'));
    expect(out({ ...args, config: { ...config, out: 'elsewhere' } })).toBe('elsewhere');
  });

  it('usage errors exit 2 before the backend starts: unknown command, a near-miss flag, a bad seed, an unknown --force stage or mode, --force without a stage', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /^pipeline: unknown command "frobnicate"; commands: run, help/],
      [['run', '--ctr-seed', '1'], /^pipeline run: unknown flag --ctr-seed; did you mean --ctr-seeds\?/],
      [['run', '--seed', '1.5'], /--seed must be an integer, got "1.5"/],
      [['run', '--preset', 'huge'], /key "preset" must be one of "tiny", "demo", "bench", "premise-bench"/],
      [['run', '--force', 'pretrian'], /^pipeline run: --force pretrian: unknown stage; stages are world, samples, pretrain, clusters, ctr/],
      [['run', '--force'], /--force needs a value/],
      [['run', '--modes', 'vector,pixels'], /modes: "pixels" is not a mode/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      expect({ argv, code: r.code, stdout: r.stdout }).toEqual({ argv, code: 2, stdout: '' });
      expect(r.stderr).toMatch(message);
    }
  });
});
