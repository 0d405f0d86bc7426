import { configDefaults } from '@courier/runtime';
import { runCliForTest } from '@courier/runtime/testing';
import { SERVE_CLI, SERVE_CONFIG_SCHEMA } from './definition';
import { DEFAULT_LIMITS } from './server';

/** The serve command line (SERVE_CLI through runStageCli's convention), without loading a model. */
const cli = (argv: string[]) => runCliForTest(SERVE_CLI, argv);

describe('serve command line (issue #20)', () => {
  it('no command or help: usage of start and batch with the limits as config keys; exit 0', async () => {
    for (const argv of [[], ['help']]) {
      const r = await cli(argv);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toContain('commands: start, batch, help');
      expect(r.stdout).toContain('--images DIR');
      expect(r.stdout).toContain('port: 8080');
    }
  });

  it('the config defaults are the server\'s limits (16 MiB, 64 images, 2 at once, 32 waiting) on 127.0.0.1:8080', () => {
    const c = configDefaults(SERVE_CONFIG_SCHEMA);
    expect(c).toEqual({ host: '127.0.0.1', port: 8080, maxBodyMib: DEFAULT_LIMITS.maxBodyBytes / 1048576, maxImages: DEFAULT_LIMITS.maxImages, concurrency: DEFAULT_LIMITS.concurrency, queue: DEFAULT_LIMITS.queue });
  });

  it('usage errors exit 2 before the model loads', async () => {
    const cases: [string[], RegExp][] = [
      [['stop'], /^serve: unknown command "stop"; commands: start, batch, help/],
      [['start', '--prot', '1'], /^serve start: unknown flag --prot; did you mean --port\?/],
      [['start', '--port', '-1'], /key "port" must be an integer >= 0, got -1/],
      [['start', '--max-images', '0'], /key "maxImages" must be an integer >= 1, got 0/],
      [['start', '--out', 'x'], /^serve start: unknown flag --out/],
      [['batch', '--run', 'r'], /^serve batch: --images DIR is required/],
      [['batch', '--images', 'i', '--port', '1'], /^serve batch: unknown flag --port/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      expect({ argv, code: r.code, stdout: r.stdout }).toEqual({ argv, code: 2, stdout: '' });
      expect(r.stderr).toMatch(message);
    }
  });
});
