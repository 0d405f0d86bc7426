import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCliForTest } from '@courier/runtime/testing';
import { EXPERIMENTS_CLI } from './definition';
import { SUITES } from './suites';

/** The experiments command line (EXPERIMENTS_CLI through runStageCli's convention), without running a suite. */
const cli = (argv: string[]) => runCliForTest(EXPERIMENTS_CLI, argv);

describe('experiments command line (issue #20)', () => {
  it.each([[[]], [['help']], [['run', '--help']]])('%j prints the commands, flags and every config key; exit 0', async (argv) => {
    const r = await cli(argv);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^experiments: /);
    expect(r.stdout).toContain('commands: run, list, render, help');
    expect(r.stdout).toContain('suite: null');
    expect(r.stdout).toContain('out: runs/experiments');
  });

  it('list prints every suite, in order, and takes no --out', async () => {
    const r = await cli(['list']);
    expect(r.code).toBe(0);
    const names = r.stdout.split('\n').filter((l) => /^\S/.test(l)).map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(Object.keys(SUITES));
    expect((await cli(['list', '--out', 'x'])).code).toBe(2);
  });

  it('usage errors exit 2 before anything runs: no --suite, an unknown suite, --seed (the list is --seeds), a stray argument', async () => {
    const none = await cli(['run', '--preset', 'tiny']);
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toMatch(/^experiments run: --suite is required; suites: methods, /);
    const unknown = await cli(['run', '--suite', 'methods,metods']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^experiments: unknown suite "metods"/);
    const seed = await cli(['run', '--suite', 'methods', '--seed', '1']);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toMatch(/unknown flag --seed; did you mean --seeds\?/);
    expect((await cli(['run', '--suite', 'methods', '--preset', 'huge'])).code).toBe(2);
    expect((await cli(['list', 'extra'])).stderr).toMatch(/unexpected argument "extra"/);
  });

  it('render DIR (or --dir DIR): the folder is required (exit 2); a folder without results.json fails naming it (exit 1)', async () => {
    const missing = await cli(['render']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^experiments render: --dir DIR is required/);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'experiments-cli-'));
    try {
      for (const argv of [['render', empty], ['render', '--dir', empty]]) {
        const r = await cli(argv);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(path.join(empty, 'results.json'));
      }
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
