import * as tf from '@tensorflow/tfjs';
import { currentBackend, initBackend } from './index';
import { BACKEND_ORDER, parseBackendName } from './backend';
import { resetBackendChoiceForTests } from './testing';

const isInstalled = (name: string): boolean => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
};

describe('initBackend', () => {
  const saved = { backend: process.env.COURIER_BACKEND, threads: process.env.COURIER_THREADS };
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);

  beforeEach(() => {
    // Tests also run under COURIER_BACKEND=cpu; each case sets what it needs.
    delete process.env.COURIER_BACKEND;
    delete process.env.COURIER_THREADS;
    resetBackendChoiceForTests();
    lines.length = 0;
  });
  afterAll(() => {
    for (const [k, v] of [['COURIER_BACKEND', saved.backend], ['COURIER_THREADS', saved.threads]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetBackendChoiceForTests();
  });

  it('rejects unknown backend names, naming the source and the valid names', async () => {
    expect(() => parseBackendName('gpu', '--backend')).toThrow('--backend: unknown backend "gpu"; expected one of auto, tensorflow-gpu, tensorflow, native, wasm, cpu');
    expect(parseBackendName('wasm', 'x')).toBe('wasm');
    process.env.COURIER_BACKEND = 'cuda';
    await expect(initBackend({ log })).rejects.toThrow('COURIER_BACKEND: unknown backend "cuda"');
    delete process.env.COURIER_BACKEND;
    await expect(initBackend({ backend: 'webgl' as never, log })).rejects.toThrow('initBackend({ backend }): unknown backend "webgl"');
    expect(currentBackend()).toBeNull();
  });

  it('uses a backend forced by option, logs it, and refuses to switch later', async () => {
    const info = await initBackend({ backend: 'cpu', log });
    expect(info).toEqual({ name: 'cpu', tfjsBackend: 'cpu', steppedDown: [], requested: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(lines).toEqual(['[runtime] tfjs backend: cpu']);
    expect(currentBackend()).toBe(info);
    expect(await initBackend({ log })).toBe(info); // auto keeps the first choice
    expect(await initBackend({ backend: 'cpu', log })).toBe(info);
    await expect(initBackend({ backend: 'wasm', log })).rejects.toThrow('backend already initialised as "cpu"; cannot switch to "wasm" in the same process');
  });

  it('uses a backend forced by COURIER_BACKEND, and shares one choice between concurrent calls', async () => {
    process.env.COURIER_BACKEND = 'cpu';
    const [a, b] = await Promise.all([initBackend({ log }), initBackend({ log })]);
    expect(a).toBe(b);
    expect(a).toMatchObject({ name: 'cpu', requested: 'cpu' });
    expect(lines).toHaveLength(1);
  });

  it('fails clearly when a forced backend cannot load (no stepping down)', async () => {
    if (isInstalled('@tensorflow/tfjs-node')) return; // only meaningful where the package is absent
    await expect(initBackend({ backend: 'tensorflow', log })).rejects.toThrow(
      /no tfjs backend could be initialised \(forced by the backend option; unset it to let the runtime step down\): tensorflow: @tensorflow\/tfjs-node is not installed/,
    );
    expect(currentBackend()).toBeNull();
  });

  it('steps down in order and records why each faster backend was skipped', async () => {
    const info = await initBackend({ log });
    expect(info.requested).toBe('auto');
    const index = BACKEND_ORDER.indexOf(info.name);
    expect(info.steppedDown.map((s) => s.backend)).toEqual(BACKEND_ORDER.slice(0, index));
    for (const s of info.steppedDown) expect(s.reason.length).toBeGreaterThan(0);
    if (!isInstalled('@tensorflow/tfjs-node-gpu')) {
      expect(info.steppedDown[0]).toEqual({ backend: 'tensorflow-gpu', reason: expect.stringMatching(/^@tensorflow\/tfjs-node-gpu is not installed \(optional; `npm install @tensorflow\/tfjs-node-gpu@4\.22\.0` adds it\)$/) });
      expect(lines[0]).toMatch(/^\[runtime\] tfjs backend: \S+ \(stepped down: tensorflow-gpu: @tensorflow\/tfjs-node-gpu is not installed/);
    }
    expect(tf.getBackend()).toBe(info.tfjsBackend);
    // whatever was chosen computes correctly
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync());
    expect(Array.from(y)).toEqual([17, 39]);
  });

  it('rejects a bad thread count', async () => {
    process.env.COURIER_THREADS = 'many';
    await expect(initBackend({ backend: 'cpu', log })).rejects.toThrow('COURIER_THREADS: expected a positive integer, got "many"');
    delete process.env.COURIER_THREADS;
    await expect(initBackend({ backend: 'cpu', threads: 0, log })).rejects.toThrow('initBackend({ threads }): expected a positive integer, got 0');
  });
});
