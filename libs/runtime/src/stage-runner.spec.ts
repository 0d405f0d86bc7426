import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FINGERPRINT_FILE, contentHash, sourceHash, stageFingerprint } from '@courier/io';
import { createLogger } from './log';
import { runStage } from './stage';
import type { StageDefinition, StageRunArgs } from './stage-cli';
import { StageRunner, StageTask, StageTaskContext } from './stage-runner';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'courier-stage-runner-'));

/** A chain a -> b -> c: each stage writes out.txt (its config and its upstream's text) and run.json. */
function chain(root: string, configs: { a: number; b: number; c: number }, calls: string[]) {
  const body = (name: string, read: string | null, value: number) => async (ctx: StageTaskContext) => {
    calls.push(name);
    await runStage({ stage: name, outDir: ctx.outDir, seed: 1, config: { value }, log: createLogger(name, { level: 'silent' }) }, async () => {
      const up = read ? fs.readFileSync(path.join(root, read, 'out.txt'), 'utf8') : '';
      fs.writeFileSync(path.join(ctx.outDir, 'out.txt'), `${up}${name}=${value};`);
      return {};
    });
  };
  const task = (name: 'a' | 'b' | 'c', read: 'a' | 'b' | null, upstream: StageTask['upstream']): StageTask => ({
    stage: name,
    out: path.join(root, name),
    config: { value: configs[name] },
    seed: 1,
    upstream,
    code: { hash: 'code' },
    inputs: read ? [path.join(root, read, 'out.txt')] : [],
    outputs: ['out.txt'],
    run: body(name, read, configs[name]),
  });
  return async (runner: StageRunner) => {
    const a = await runner.run(task('a', null, []));
    const b = await runner.run(task('b', 'a', [a.fingerprint]));
    const c = await runner.run(task('c', 'b', [b.fingerprint]));
    return [a, b, c];
  };
}

const silent = createLogger('test', { level: 'silent' });

describe('StageRunner', () => {
  it('runs a chain once, skips it unchanged, reruns a changed stage and its downstream only', async () => {
    const root = tmp();
    const calls: string[] = [];
    const run = async (configs: { a: number; b: number; c: number }, force?: string[]) => {
      const runner = new StageRunner({ app: 'test', root, log: silent, force, lock: true });
      try {
        await chain(root, configs, calls)(runner);
        return runner.records.filter((r) => r.skipped).map((r) => r.stage);
      } finally {
        runner.close();
      }
    };
    expect(await run({ a: 1, b: 1, c: 1 })).toEqual([]);
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(fs.readFileSync(path.join(root, 'c', 'out.txt'), 'utf8')).toBe('a=1;b=1;c=1;');
    calls.length = 0;
    expect(await run({ a: 1, b: 1, c: 1 })).toEqual(['a', 'b', 'c']);
    expect(calls).toEqual([]);
    // b's config: b reruns, c reads a changed input (and a changed upstream fingerprint), a is skipped.
    expect(await run({ a: 1, b: 2, c: 1 })).toEqual(['a']);
    expect(calls).toEqual(['b', 'c']);
    expect(fs.readFileSync(path.join(root, 'c', 'out.txt'), 'utf8')).toBe('a=1;b=2;c=1;');
    // Forcing b reruns b and c (they read it), not a.
    calls.length = 0;
    expect(await run({ a: 1, b: 2, c: 1 }, ['b'])).toEqual(['a']);
    expect(calls).toEqual(['b', 'c']);
    // A deleted output reruns its stage; same output, so the stage after it stays up to date.
    calls.length = 0;
    fs.rmSync(path.join(root, 'b', 'out.txt'));
    expect(await run({ a: 1, b: 2, c: 1 })).toEqual(['a', 'c']);
    expect(calls).toEqual(['b']);
    expect(fs.existsSync(path.join(root, '.run.lock'))).toBe(false);
  });

  it('names a fingerprinted folder <label>-<10 hex digits>, empties a forced folder and passes fresh', async () => {
    const root = tmp();
    const seen: { fresh: boolean; files: string[] }[] = [];
    const task = (value: number): StageTask => ({
      stage: 'x',
      out: { parent: path.join(root, 'xs'), label: 'thing' },
      config: { value },
      seed: 3,
      code: { hash: 'c' },
      run: async (ctx) => {
        seen.push({ fresh: ctx.fresh, files: fs.readdirSync(ctx.outDir).sort() });
        fs.writeFileSync(path.join(ctx.outDir, 'checkpoint'), 'x');
        fs.writeFileSync(path.join(ctx.outDir, 'run.json'), '{}');
      },
    });
    const runner = new StageRunner({ app: 'test', root, log: silent });
    const first = await runner.run(task(1));
    expect(path.relative(root, first.dir)).toMatch(new RegExp(`^xs${path.sep === '\\' ? '\\\\' : '/'}thing-${first.fingerprint.hash.slice(0, 10)}$`));
    const other = await runner.run(task(2));
    expect(other.dir).not.toBe(first.dir);
    runner.close();
    const forced = new StageRunner({ app: 'test', root, log: silent, force: true });
    await forced.run(task(1));
    forced.close();
    expect(seen).toEqual([
      { fresh: false, files: [] },
      { fresh: false, files: [] },
      { fresh: true, files: [] },
    ]);
    // An interrupted run (no fingerprint.json) keeps its folder for the stage to resume.
    fs.rmSync(path.join(first.dir, FINGERPRINT_FILE));
    const again = new StageRunner({ app: 'test', root, log: silent });
    await again.run(task(1));
    again.close();
    expect(seen[3]).toEqual({ fresh: false, files: ['checkpoint', 'run.json'] });
    expect(fs.existsSync(path.join(root, '.content-hashes.json'))).toBe(false); // nothing hashed, nothing saved
  });

  it('a failing stage leaves no fingerprint; a write error names the app, the stage and the path', async () => {
    const root = tmp();
    const runner = new StageRunner({ app: 'demo', root, log: silent });
    const task = (run: StageTask['run']): StageTask => ({ stage: 'y', out: path.join(root, 'y'), config: {}, seed: 1, code: { hash: 'c' }, run } as StageTask);
    await expect(runner.run(task(async () => Promise.reject(new Error('boom'))))).rejects.toThrow('boom');
    expect(fs.existsSync(path.join(root, 'y', FINGERPRINT_FILE))).toBe(false);
    const full = Object.assign(new Error('ENOSPC: no space'), { code: 'ENOSPC', path: path.join(root, 'y', 'big.bin') });
    await expect(runner.run(task(async () => Promise.reject(full)))).rejects.toThrow(/^demo: the y stage could not write .*big\.bin: ENOSPC \(no space left on device\)/);
    runner.close();
  });

  it('runs a command of a stage definition with the arguments its CLI would parse', async () => {
    const root = tmp();
    const got: unknown[] = [];
    const definition: StageDefinition = {
      name: 'toy',
      description: 'a toy stage',
      commands: {
        make: {
          summary: 'makes',
          config: null,
          inputs: [{ name: 'from', doc: 'input', kind: 'file' }, { name: 'extra', doc: 'list', kind: 'file', repeatable: true }],
          out: { doc: 'out' },
          outputs: ['made.txt'],
          seed: true,
          check: ({ inputs }) => {
            if (!inputs.from) throw new Error('toy: --from is required');
          },
          async run(args) {
            got.push({ ...args });
            fs.writeFileSync(path.join(args.outDir, 'made.txt'), 'ok');
            fs.writeFileSync(path.join(args.outDir, 'run.json'), '{}');
          },
        },
      },
    };
    const runner = new StageRunner({ app: 'test', root, log: silent });
    const task: StageTask = { stage: 'toy', out: path.join(root, 'toy'), config: { k: 1 }, seed: 7, code: { hash: 'c' }, outputs: ['made.txt'], command: { definition, command: 'make', inputs: { from: '/x' }, config: { k: 1 }, flags: { fast: true } } };
    const r = await runner.run(task);
    const { composed, ...cliArgs } = got[0] as StageRunArgs<unknown>;
    expect(cliArgs).toEqual({ app: 'toy', command: 'make', inputs: { from: '/x' }, lists: { extra: [] }, config: { k: 1 }, seed: 7, flags: { fast: true }, outDir: r.dir });
    // What the composition adds: the fingerprint, a resume key maker over the same seed/code/upstream, fresh, the log, no options.
    expect(composed?.fingerprint).toEqual(r.fingerprint);
    expect(composed?.fresh).toBe(false);
    expect(composed?.log.scope).toBe('test/toy');
    expect(composed?.options).toEqual({});
    expect(composed?.fingerprintOf('toy', { k: 1 })).toEqual(r.fingerprint);
    expect(composed?.fingerprintOf('toy-checkpoint', { k: 1 }).hash).not.toBe(r.fingerprint.hash);
    expect((await runner.run(task)).skipped).toBe(true);
    await expect(runner.run({ ...task, config: { k: 2 }, command: { ...task.command, inputs: {} } } as StageTask)).rejects.toThrow('toy: --from is required');

    // A body around the command passes structured options; a forced run is fresh.
    got.length = 0;
    const forced = new StageRunner({ app: 'test', root, log: silent, force: ['toy'] });
    const onStep = () => undefined;
    const order: string[] = [];
    await forced.run({
      ...task,
      command: { ...task.command, options: { onStep } },
      around: async (ctx, runCommand) => {
        order.push(`before ${path.basename(ctx.outDir)}`);
        await runCommand();
        order.push('after');
      },
    } as StageTask);
    const again = (got[0] as StageRunArgs<unknown>).composed;
    expect(again?.fresh).toBe(true);
    expect(again?.options).toEqual({ onStep });
    expect(order).toEqual(['before toy', 'after']);
    forced.close();
    runner.close();
  });

  it('takes a command task\'s code from its definition and its outputs from the command\'s produces', async () => {
    const root = tmp();
    const lib = path.join(root, 'libs', 'toy');
    fs.mkdirSync(lib, { recursive: true });
    fs.writeFileSync(path.join(lib, 'a.ts'), 'export const a = 1;');
    const definition: StageDefinition = {
      name: 'toy',
      description: 'a toy stage',
      code: ['libs/toy'],
      commands: {
        make: {
          summary: 'makes',
          config: null,
          out: { doc: 'out' },
          outputs: ['made.txt', 'run.json'],
          produces: ['made.txt'],
          seed: false,
          async run({ outDir }) {
            fs.writeFileSync(path.join(outDir, 'made.txt'), 'ok');
            fs.writeFileSync(path.join(outDir, 'run.json'), '{}');
          },
        },
      },
    };
    const runner = new StageRunner({ app: 'test', root, log: silent, workspaceRoot: root });
    const task: StageTask = { stage: 'toy', out: path.join(root, 'toy'), config: {}, seed: 1, command: { definition, command: 'make', config: null } };
    const listed = runner.plan({ ...task, code: ['libs/toy'] });
    const r = await runner.run(task);
    expect(r.fingerprint).toEqual(listed.fingerprint);
    expect(JSON.parse(fs.readFileSync(path.join(r.dir, FINGERPRINT_FILE), 'utf8')).outputs).toEqual(['made.txt']);
    // The declared output gone: the stage reruns; changed code: a new fingerprint.
    fs.rmSync(path.join(r.dir, 'made.txt'));
    expect((await runner.run(task)).skipped).toBe(false);
    fs.writeFileSync(path.join(lib, 'a.ts'), 'export const a = 2;');
    const fresh = new StageRunner({ app: 'test', root, log: silent, workspaceRoot: root });
    expect(fresh.plan(task).fingerprint.hash).not.toBe(r.fingerprint.hash);
    // A definition without code and a task without code: an error naming both.
    expect(() => fresh.plan({ ...task, command: { ...task.command!, definition: { ...definition, code: undefined } } })).toThrow('test: the toy stage names no code (give the task `code`, or its definition "toy" `code`)');
    runner.close();
    fresh.close();
  });

  it('computes the fingerprint the pipeline and experiments computed before it (so old run folders are reused)', () => {
    const root = tmp();
    fs.writeFileSync(path.join(root, 'in.txt'), 'input');
    const runner = new StageRunner({ app: 'test', root, log: silent });
    const upstream = [{ stage: 'world', hash: 'abc' }];
    const code = sourceHash([path.resolve(__dirname, '../../io'), path.resolve(__dirname, '../../world')]);
    // The pipeline's form: content hashes of the inputs, keyed relative to the run folder.
    const withInputs = runner.plan({ stage: 'samples', out: path.join(root, 'samples'), config: { k: 1 }, seed: 2, upstream, code: ['libs/io', 'libs/world'], inputs: [path.join(root, 'in.txt')], run: async () => {} });
    expect(withInputs.fingerprint).toEqual(stageFingerprint('samples', { config: { k: 1 }, seed: 2, upstream, code, inputs: { 'in.txt': contentHash(path.join(root, 'in.txt')) } }));
    // The experiments' form: no inputs; the folder is <label>-<10 hex digits>.
    const plain = runner.plan({ stage: 'samples', out: { parent: root, label: 'samples' }, config: { k: 1 }, seed: 2, upstream, code: ['libs/io', 'libs/world'], run: async () => {} });
    const old = stageFingerprint('samples', { config: { k: 1 }, seed: 2, upstream, code });
    expect(plain.fingerprint).toEqual(old);
    expect(plain.dir).toBe(path.join(root, `samples-${old.hash.slice(0, 10)}`));
    runner.close();
  });

  it('refuses a second runner on a locked root', () => {
    const root = tmp();
    const one = new StageRunner({ app: 'test', root, log: silent, lock: true });
    try {
      expect(() => new StageRunner({ app: 'test', root, log: silent, lock: true })).toThrow(/lock file/);
    } finally {
      one.close();
    }
  });
});
