import { BASELINE_STAGE } from './stage-definition';
import { defaultBaselineConfig } from './config';

/** The arguments the CLI (or a StageRunner) gives `check`: only the ones these checks read vary. */
const args = (flags: Record<string, string>, inputs: Record<string, string>) => ({
  app: 'pretrain',
  command: 'baseline',
  inputs,
  lists: {},
  config: defaultBaselineConfig(),
  seed: 1,
  flags,
});

describe('BASELINE_STAGE (the baselines as a stage definition)', () => {
  const train = BASELINE_STAGE.commands.train;

  it('fingerprints this library, @courier/nn and the native kernels', () => {
    expect(BASELINE_STAGE.code).toEqual(['libs/baselines', 'libs/nn', 'libs/native-kernels']);
    expect(train.produces).toEqual(['embeddings.arrow', 'backbone.ckpt']);
  });

  it('requires a known --method, and --samples for supervised, before anything runs', () => {
    expect(() => train.check!(args({}, { world: '/w' }))).toThrow('baseline: --method is required (one of simclr, simsiam, clip, maskclip, supervised)');
    expect(() => train.check!(args({ method: 'byol' }, { world: '/w' }))).toThrow('baseline: unknown method "byol"');
    expect(() => train.check!(args({ method: 'supervised' }, { world: '/w' }))).toThrow('baseline supervised: --samples DIR is required');
    expect(() => train.check!(args({ method: 'supervised' }, { world: '/w', samples: '/s' }))).not.toThrow();
    expect(() => train.check!(args({ method: 'simclr' }, { world: '/w' }))).not.toThrow();
  });

  it('declares the world as required, the samples as optional, and takes --seed', () => {
    expect(train.inputs?.map((i) => [i.name, i.required === true])).toEqual([
      ['world', true],
      ['samples', false],
    ]);
    expect(train.seed).toBe(true);
  });
});
