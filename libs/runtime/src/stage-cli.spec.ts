import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigSchema, StageCliError, StageDefinition, StageRunArgs, stageCommand } from './index';
import { stageCli } from './stage-cli';

const SCHEMA: ConfigSchema = {
  batchSize: { default: 64, doc: 'samples per step', integer: true, min: 1 },
  seeds: { default: [1, 2, 3], doc: 'training seeds' },
  learningRate: { default: 0.001, doc: 'Adam learning rate', min: 0, exclusiveMin: true },
};
interface Cfg {
  batchSize: number;
  seeds: number[];
  learningRate: number;
}

/** A definition whose commands record what they were called with. */
function makeDefinition() {
  const calls: StageRunArgs<unknown>[] = [];
  let fail: Error | null = null;
  const definition: StageDefinition = {
    name: 'toy',
    description: 'a stage for the tests',
    commands: {
      train: stageCommand<Cfg>({
        summary: 'trains the toy',
        config: SCHEMA,
        inputs: [
          { name: 'samples', doc: 'sample folder', kind: 'dir', required: true },
          { name: 'warm-start', doc: 'earlier run', kind: 'dir' },
          { name: 'embeddings', doc: 'NAME=FILE specs', kind: 'file', repeatable: true, valueName: 'NAME=FILE' },
        ],
        options: [{ name: 'fresh', doc: 'start over', boolean: true }],
        aliases: { seed: 'seeds' },
        out: { doc: 'run folder' },
        outputs: ['model.json', 'run.json'],
        seed: false,
        async run(args) {
          calls.push(args);
          if (fail) throw fail;
          return path.join(args.outDir, 'model.json');
        },
      }),
      make: stageCommand<null>({
        summary: 'makes a thing',
        config: null,
        out: { doc: 'thing folder', default: ({ seed }) => path.join('runs', `thing-seed${seed}`) },
        outputs: ['thing.txt'],
        seed: true,
        check({ inputs }) {
          if (inputs.never) throw new Error('never');
        },
        async run(args) {
          calls.push(args);
        },
      }),
      checked: stageCommand<null>({
        summary: 'refuses in check',
        config: null,
        out: { doc: 'x', default: () => 'x' },
        outputs: [],
        seed: true,
        check() {
          throw new Error('toy: the inputs do not fit together');
        },
        async run(args) {
          calls.push(args);
        },
      }),
    },
  };
  return { definition, calls, failWith: (e: Error) => (fail = e) };
}

async function cli(argv: string[], def = makeDefinition()) {
  let stdout = '';
  let stderr = '';
  const code = await stageCli(def.definition, argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr, calls: def.calls };
}

describe('stageCli: help', () => {
  it.each([[[]], [['help']], [['train', '--help']], [['-h']]])('%j prints the usage and every config key, exit 0, runs nothing', async (...argv) => {
    const r = await cli(argv[0]);
    expect(r.code).toBe(0);
    expect(r.calls).toHaveLength(0);
    expect(r.stdout).toMatch(/^toy: a stage for the tests/);
    expect(r.stdout).toContain('--samples DIR');
    expect(r.stdout).toContain('--embeddings NAME=FILE');
    expect(r.stdout).toContain('# (number; integer; >= 1) samples per step');
    expect(r.stdout).toContain('batchSize: 64');
    expect(r.stderr).toBe('');
  });

  it('help <command> shows that command only; help of an unknown command is exit 2', async () => {
    const r = await cli(['help', 'make']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('toy make: makes a thing');
    expect(r.stdout).not.toContain('toy train: trains the toy');
    expect(r.stdout).not.toContain('batchSize');
    const bad = await cli(['help', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^toy: unknown command "nope"; commands: train, make, checked, help/);
  });
});

describe('stageCli: usage errors exit 2 and run nothing', () => {
  it('an unknown command names the known ones', async () => {
    const r = await cli(['trian', '--samples', 'x', '--out', 'o']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe('toy: unknown command "trian"; commands: train, make, checked, help\n');
    expect(r.calls).toHaveLength(0);
  });

  it('a missing required input names the flag', async () => {
    const r = await cli(['train', '--out', 'o']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^toy train: --samples DIR is required \(sample folder\)/);
    expect(r.calls).toHaveLength(0);
  });

  it('--out is required when the command gives no default', async () => {
    const r = await cli(['train', '--samples', 's']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('toy train: --out DIR is required (run folder)\n');
  });

  it('an unknown flag names the nearest known one (inputs, options and config keys alike)', async () => {
    expect((await cli(['train', '--samples', 's', '--out', 'o', '--batch-sise', '8'])).stderr).toMatch(/unknown flag --batch-sise; did you mean --batch-size\?/);
    expect((await cli(['train', '--samples', 's', '--out', 'o', '--frsh'])).stderr).toMatch(/did you mean --fresh\?/);
    // A command without a schema takes no --config and no config keys.
    const r = await cli(['make', '--config', 'c.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown flag --config/);
    // A repeatable flag of another command is unknown here.
    expect((await cli(['make', '--embeddings', 'a=b'])).stderr).toMatch(/make: unknown flag --embeddings/);
  });

  it('--seed must be a safe integer', async () => {
    for (const bad of ['1.5', 'abc', '9007199254740993']) {
      const r = await cli(['make', '--seed', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`toy: --seed must be an integer, got "${bad}"`);
    }
    expect((await cli(['make', '--seed'])).code).toBe(2);
  });

  it('a config error (bad value or unreadable file) is exit 2 and names the key or file', async () => {
    const r = await cli(['train', '--samples', 's', '--out', 'o', '--batch-size', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^toy train: override --batch-size: key "batchSize" must be an integer >= 1, got 0/);
    const f = await cli(['train', '--samples', 's', '--out', 'o', '--config', '/no/such/file.yaml']);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/config file \/no\/such\/file\.yaml does not exist/);
  });

  it('a failing check is exit 2 (not prefixed twice) and run is not called', async () => {
    const r = await cli(['checked']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('toy: the inputs do not fit together\n');
    expect(r.calls).toHaveLength(0);
  });

  it('a stray positional argument is an error', async () => {
    const r = await cli(['make', 'extra']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unexpected argument "extra"/);
  });

  it('a path flag without a value is an error', async () => {
    const r = await cli(['train', '--out', 'o', '--samples']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--samples needs a path/);
  });
});

describe('stageCli: what run gets', () => {
  it('defaults: seed 1, config defaults, inputs resolved, options absent; the returned line goes to stdout', async () => {
    const r = await cli(['train', '--samples', 'rel/s', '--out', 'rel/o']);
    expect(r.code).toBe(0);
    expect(r.calls).toHaveLength(1);
    const a = r.calls[0];
    expect(a).toMatchObject({ app: 'toy', command: 'train', seed: 1, config: { batchSize: 64, seeds: [1, 2, 3], learningRate: 0.001 }, flags: {} });
    expect(a.inputs.samples).toBe(path.resolve('rel/s'));
    expect(a.inputs['warm-start']).toBeUndefined();
    expect(a.lists.embeddings).toEqual([]);
    expect(a.outDir).toBe(path.resolve('rel/o'));
    expect(r.stdout).toBe(`${path.join(path.resolve('rel/o'), 'model.json')}\n`);
  });

  it('config layers: file, then --kebab-key flags; an alias sets its key; switches parse', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-cli-'));
    const file = path.join(dir, 'c.yaml');
    fs.writeFileSync(file, 'batchSize: 16\nlearningRate: 0.5\n');
    const r = await cli(['train', '--samples', 's', '--out', 'o', '--config', file, '--learning-rate', '0.25', '--seed', '7', '--fresh', 'false']);
    expect(r.code).toBe(0);
    expect(r.calls[0].config).toEqual({ batchSize: 16, seeds: [7], learningRate: 0.25 });
    expect(r.calls[0].flags).toEqual({ fresh: false });
    expect((await cli(['train', '--samples', 's', '--out', 'o', '--fresh'])).calls[0].flags).toEqual({ fresh: true });
  });

  it('repeatable inputs keep every occurrence and comma lists, as written', async () => {
    const r = await cli(['train', '--embeddings', 'a=x.arrow', '--samples', 's', '--embeddings=b=y.arrow:vector,c=z.arrow', '--out', 'o']);
    expect(r.code).toBe(0);
    expect(r.calls[0].lists.embeddings).toEqual(['a=x.arrow', 'b=y.arrow:vector', 'c=z.arrow']);
  });

  it('--seed N reaches run; the default out is computed from it and resolved', async () => {
    const r = await cli(['make', '--seed', '42']);
    expect(r.code).toBe(0);
    expect(r.calls[0].seed).toBe(42);
    expect(r.calls[0].outDir).toBe(path.resolve('runs/thing-seed42'));
    expect(r.stdout).toBe('');
    expect((await cli(['make', '--out', 'elsewhere'])).calls[0].outDir).toBe(path.resolve('elsewhere'));
  });
});

describe('stageCli: a schema with its own seed key', () => {
  const definition: StageDefinition = {
    name: 'seeded',
    description: 'seed in the schema',
    commands: {
      go: stageCommand<{ seed: number; lr: number }>({
        summary: 'goes',
        config: { seed: { default: 0, integer: true, min: 0, doc: 'seed' }, lr: { default: 0.1, doc: 'rate' } },
        out: { doc: 'o', default: () => 'o' },
        outputs: [],
        seed: true,
        async run({ config, seed }) {
          return `${config.seed} ${seed}`;
        },
      }),
    },
  };
  const run = async (argv: string[]) => {
    let stdout = '';
    const code = await stageCli(definition, argv, { stdout: (t) => (stdout += t), stderr: () => undefined });
    return { code, stdout };
  };

  it('defaults to 1 (not the schema default 0); a config file sets it; --seed wins over the file', async () => {
    expect(await run(['go'])).toEqual({ code: 0, stdout: '1 1\n' });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stage-cli-')), 'c.json');
    fs.writeFileSync(file, '{"seed": 5}');
    expect(await run(['go', '--config', file])).toEqual({ code: 0, stdout: '5 5\n' });
    expect(await run(['go', '--config', file, '--seed', '9'])).toEqual({ code: 0, stdout: '9 9\n' });
  });
});

describe('stageCli: failures of the stage itself', () => {
  it('exit 1 with "<app>: message" on stderr, not prefixed twice', async () => {
    const def = makeDefinition();
    def.failWith(new Error('disk full'));
    const r = await cli(['train', '--samples', 's', '--out', 'o'], def);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: 'toy: disk full\n' });
    def.failWith(new Error('toy: already named'));
    expect((await cli(['train', '--samples', 's', '--out', 'o'], def)).stderr).toBe('toy: already named\n');
  });

  it('a StageCliError from run keeps its exit status (e.g. 2 for a refused slow backend)', async () => {
    const def = makeDefinition();
    def.failWith(new StageCliError('toy train: stopped before a slow run', 2));
    const r = await cli(['train', '--samples', 's', '--out', 'o'], def);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('toy train: stopped before a slow run\n');
  });
});

describe('stageCli: commands without an output folder, and an input given as the argument after the command', () => {
  const calls: StageRunArgs<unknown>[] = [];
  const definition: StageDefinition = {
    name: 'tool',
    description: 'a listing and a re-render',
    commands: {
      list: stageCommand<null>({ summary: 'lists things', config: null, out: null, outputs: [], seed: false, async run(args) {
        calls.push(args);
        return 'a\nb';
      } }),
      render: stageCommand<null>({
        summary: 're-renders a folder in place',
        config: null,
        inputs: [{ name: 'dir', doc: 'the folder holding results.json', kind: 'dir', required: true, positional: true }],
        out: null,
        outputs: [],
        seed: false,
        async run(args) {
          calls.push(args);
        },
      }),
    },
  };
  const run = async (argv: string[]) => {
    let stdout = '';
    let stderr = '';
    calls.length = 0;
    const code = await stageCli(definition, argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr, calls: [...calls] };
  };

  it('out: null takes no --out (an unknown flag), run gets outDir "", and the usage lists no --out', async () => {
    const r = await run(['list']);
    expect(r).toMatchObject({ code: 0, stdout: 'a\nb\n', stderr: '' });
    expect(r.calls[0].outDir).toBe('');
    const bad = await run(['list', '--out', 'o']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^tool list: unknown flag --out/);
    expect((await run(['help', 'list'])).stdout).not.toContain('--out');
    expect((await run(['help', 'render'])).stdout).toContain('--dir DIR');
  });

  it('a positional input: `render DIR` equals `render --dir DIR`; both at once, a second argument or neither are usage errors', async () => {
    expect((await run(['render', 'rel/r'])).calls[0].inputs.dir).toBe(path.resolve('rel/r'));
    expect((await run(['render', '--dir', 'rel/r'])).calls[0].inputs.dir).toBe(path.resolve('rel/r'));
    const twice = await run(['render', 'a', '--dir', 'b']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/--dir is given twice/);
    const extra = await run(['render', 'a', 'b']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/unexpected argument "b"/);
    const none = await run(['render']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^tool render: --dir DIR is required/);
  });
});
