import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import * as tf from '@tensorflow/tfjs';

import { CONV_BIAS_RELU, MALLOC_TUNING, nativeKernelsStatus, registerNativeBackend, resolveMallocTuning, resolveThreads } from './index';
import { type CourierBlasAddon, loadAddon, registerNativeBackendWith, requireAddon, statusFrom } from './testing';

describe('addon loading and status', () => {
  it('reports a missing build with the fix', () => {
    const bogus = path.join(os.tmpdir(), 'courier-no-such-dir', 'courier_blas.node');
    const load = loadAddon(bogus);
    expect(load.addon).toBeNull();
    const status = statusFrom(load);
    expect(status.available).toBe(false);
    expect(status.reason).toMatch(/^native kernels not built: run npm run build:native; needs g\+\+ and libopenblas-dev/);
    expect(status.reason).toContain(bogus);
    expect(() => registerNativeBackendWith(load)).toThrow(/native kernels not built: run npm run build:native/);
    expect(() => requireAddon(bogus)).toThrow(/npm run build:native/);
  });

  it('reports a file that is not a loadable addon', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-blas-'));
    const junk = path.join(dir, 'courier_blas.node');
    fs.writeFileSync(junk, 'not a shared object');
    const status = statusFrom(loadAddon(junk));
    expect(status.available).toBe(false);
    expect(status.reason).toMatch(/not loadable: run npm run build:native; needs g\+\+ and libopenblas-dev/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('resolves the thread count from the option, then COURIER_THREADS, then the cores', () => {
    expect(resolveThreads(3, {})).toBe(3);
    expect(resolveThreads(undefined, { COURIER_THREADS: '5' })).toBe(5);
    expect(resolveThreads(2, { COURIER_THREADS: '5' })).toBe(2);
    expect(resolveThreads(undefined, {})).toBe(Math.max(1, os.availableParallelism()));
    expect(() => resolveThreads(undefined, { COURIER_THREADS: 'many' })).toThrow(/COURIER_THREADS: expected a whole number/);
    expect(() => resolveThreads(0, {})).toThrow(/threads option: expected a whole number/);
    expect(() => resolveThreads(1.5, {})).toThrow(/threads option/);
  });

  it('resolves malloc tuning from the option, then COURIER_MALLOC_TUNE, default on', () => {
    expect(resolveMallocTuning(undefined, {})).toBe(true);
    expect(resolveMallocTuning(undefined, { COURIER_MALLOC_TUNE: '0' })).toBe(false);
    expect(resolveMallocTuning(undefined, { COURIER_MALLOC_TUNE: '1' })).toBe(true);
    expect(resolveMallocTuning(true, { COURIER_MALLOC_TUNE: '0' })).toBe(true);
    expect(resolveMallocTuning(false, {})).toBe(false);
    expect(() => resolveMallocTuning(undefined, { COURIER_MALLOC_TUNE: 'yes' })).toThrow(/COURIER_MALLOC_TUNE: expected 0 or 1, got "yes"/);
  });
});

const status = nativeKernelsStatus();
const describeNative = status.available ? describe : describe.skip;

describeNative('built addon', () => {
  let addon: CourierBlasAddon;
  beforeAll(() => {
    addon = requireAddon();
  });

  it('is available, reports OpenBLAS, and registration is idempotent and sets threads', async () => {
    expect(status.available).toBe(true);
    expect(status.blas).toMatch(/OpenBLAS/);
    expect(registerNativeBackend({ threads: 1 })).toBe('native');
    expect(addon.getThreads()).toBe(1);
    expect(registerNativeBackend({ threads: 2 })).toBe('native');
    expect(addon.getThreads()).toBe(2);
    expect(await tf.setBackend('native')).toBe(true);
    // Every CPU kernel is present on the native backend, plus the fused conv block of its own.
    const cpuKernels = tf.getKernelsForBackend('cpu').map((k) => k.kernelName).sort();
    const nativeKernels = tf.getKernelsForBackend('native').map((k) => k.kernelName).sort();
    expect(nativeKernels.filter((k) => k !== CONV_BIAS_RELU)).toEqual(cpuKernels);
    expect(nativeKernels).toContain(CONV_BIAS_RELU);
    const out = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync());
    expect(Array.from(out)).toEqual([17, 39]);
  });

  const f = (n: number) => new Float32Array(n);
  const mm = (a: Float32Array, b: Float32Array, out: Float32Array, ...rest: unknown[]) =>
    (addon.matmul as (...args: unknown[]) => void)(a, b, out, ...rest);

  it('tunes glibc malloc and rejects bad thresholds', () => {
    // glibc accepts both thresholds (32 MiB is its largest mmap threshold on 64-bit hosts).
    if (process.platform === 'linux') expect(addon.tuneMalloc(MALLOC_TUNING.mmapThresholdBytes, MALLOC_TUNING.trimThresholdBytes)).toBe(true);
    expect(() => addon.tuneMalloc(-1, 0)).toThrow(/tuneMalloc: thresholds must be byte counts/);
    expect(() => (addon.tuneMalloc as (...a: unknown[]) => boolean)('big', 0)).toThrow(/tuneMalloc: expected \(mmapThresholdBytes, trimThresholdBytes\)/);
  });

  it('computes a small product exactly', () => {
    const out = f(4);
    addon.matmul(new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), out, 1, 1, 1, 2, 2, 2, false, false, null, null, new Float32Array([1, -100]), 1, 0, null);
    // [[19, 22], [43, 50]] + bias [1, -100], relu
    expect(Array.from(out)).toEqual([20, 0, 44, 0]);
  });

  it('throws (never crashes) on wrong buffer lengths and arguments', () => {
    const args = (over: Partial<Record<number, unknown>>) => {
      const base: unknown[] = [f(6), f(12), f(8), 1, 1, 1, 2, 4, 3, false, false, null, null, null, 0, 0, null];
      for (const [k, v] of Object.entries(over)) base[Number(k)] = v;
      return base;
    };
    const call = (over: Partial<Record<number, unknown>>) => () => mm(...(args(over) as [Float32Array, Float32Array, Float32Array]));
    expect(call({})).not.toThrow();
    expect(call({ 0: f(5) })).toThrow(/matmul: a has length 5, expected 6/);
    expect(call({ 1: f(13) })).toThrow(/b has length 13, expected 12/);
    expect(call({ 2: f(7) })).toThrow(/out has length 7, expected 8/);
    expect(call({ 0: new Float64Array(6) })).toThrow(/must be a Float32Array/);
    expect(call({ 1: [1, 2, 3] })).toThrow(/must be a Float32Array/);
    expect(call({ 6: -1 })).toThrow(/M must be an integer/);
    expect(call({ 7: 2.5 })).toThrow(/N must be an integer/);
    expect(call({ 8: 'x' })).toThrow(/must be a number/);
    expect(call({ 14: 9 })).toThrow(/activation must be an integer in \[0, 6\]/);
    expect(call({ 14: 6 })).toThrow(/prelu activation needs weights/);
    expect(call({ 13: f(3) })).toThrow(/bias has length 3, expected 4 or 1/);
    // batch 2 over batchA 1 / batchB 2 with a bad index map
    const batched = (aIndex: unknown) => () =>
      mm(f(6), f(24), f(16), 2, 1, 2, 2, 4, 3, false, false, aIndex, new Int32Array([0, 2]), null, 0, 0, null);
    expect(batched(null)).toThrow(/bIndex entry 2 outside \[0, 2\)/);
    expect(() => mm(f(6), f(24), f(16), 2, 1, 2, 2, 4, 3, false, false, new Int32Array([0]), null, null, 0, 0, null)).toThrow(
      /aIndex has length 1, expected batch = 2/,
    );
    expect(() => mm(f(18), f(12), f(24), 3, 3, 1, 2, 4, 3, false, false, null, null, null, 0, 0, null)).not.toThrow();
    expect(() => mm(f(12), f(12), f(24), 3, 2, 1, 2, 4, 3, false, false, null, null, null, 0, 0, null)).toThrow(/needs an index map/);
    expect(() => (addon.matmul as unknown as () => void)()).toThrow(/must be a Float32Array/);
  });

  it('refuses an output that aliases an input', () => {
    const buf = new Float32Array(16);
    const a = buf.subarray(0, 4);
    const out = buf.subarray(2, 6);
    expect(() => addon.matmul(a, new Float32Array(4), out, 1, 1, 1, 2, 2, 2, false, false, null, null, null, 0, 0, null)).toThrow(
      /overlaps an input/,
    );
  });

  it('checks convolution geometry and buffer lengths', () => {
    // x [1, 4, 4, 2], filter [3, 3, 2, 5], 'valid' -> out [1, 2, 2, 5]
    const geom = [1, 4, 4, 2, 2, 2, 5, 3, 3, 1, 1, 1, 1, 0, 0] as Parameters<CourierBlasAddon['conv2d']>[3];
    expect(() => addon.conv2d(f(32), f(90), f(20), geom, null, 0, 0, null)).not.toThrow();
    expect(() => addon.conv2d(f(31), f(90), f(20), geom, null, 0, 0, null)).toThrow(/conv2d: x has length 31, expected 32/);
    expect(() => addon.conv2d(f(32), f(89), f(20), geom, null, 0, 0, null)).toThrow(/filter has length 89, expected 90/);
    expect(() => addon.conv2d(f(32), f(90), f(21), geom, null, 0, 0, null)).toThrow(/out has length 21, expected 20/);
    const bad = [...geom] as typeof geom;
    bad[9] = 0;
    expect(() => addon.conv2d(f(32), f(90), f(20), bad, null, 0, 0, null)).toThrow(/geometry.strideH = 0.* out of range/);
    expect(() => addon.conv2d(f(32), f(90), f(20), geom.slice(0, 14) as typeof geom, null, 0, 0, null)).toThrow(/15 entries/);
    expect(() => addon.conv2dBackpropInput(f(20), f(90), f(31), geom)).toThrow(/dx has length 31, expected 32/);
    expect(() => addon.conv2dBackpropFilter(f(32), f(19), f(90), geom)).toThrow(/dy has length 19, expected 20/);
    expect(() => addon.softmax(f(6), f(5), 2, 3)).toThrow(/softmax: out has length 5, expected 6/);
    expect(() => addon.setThreads(0)).toThrow(/threads must be an integer in \[1, 1024\]/);
  });
});
