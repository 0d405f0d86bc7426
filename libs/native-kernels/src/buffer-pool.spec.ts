import * as tf from '@tensorflow/tfjs';

import { BUFFER_POOL_MIN_ELEMENTS, OutputBufferPool, bucketBytes } from './buffer-pool';
import { nativeBufferPoolStats, nativeKernelsStatus, registerNativeBackend, resolveBufferPool } from './index';
import { seededFloats } from './testing';

// Issue #21: the pool (on by default) that reuses disposed kernel outputs' buffers. A reused buffer that
// something can still read would corrupt results silently, so most of these tests plant a
// reader (a dataSync array, a slice view) and check it still sees its own values.

const N = 4 * BUFFER_POOL_MIN_ELEMENTS;

describe('OutputBufferPool', () => {
  it('reuses a buffer once its last entry is deleted, and not before', () => {
    const pool = new OutputBufferPool(1 << 30);
    const a = pool.take(N);
    pool.stored(a);
    pool.stored(a.subarray(0, N / 2)); // a view in a second entry (tfjs's contiguous slice)
    pool.deleted(a);
    expect(pool.take(N).buffer).not.toBe(a.buffer); // the view's entry still holds it
    pool.deleted(a.subarray(0, N / 2));
    expect(pool.take(N).buffer).toBe(a.buffer);
    expect(pool.stats()).toMatchObject({ hits: 1, misses: 2, recycled: 1 });
  });

  it('never reuses a buffer whose values were read out, nor arrays it did not hand out', () => {
    const pool = new OutputBufferPool(1 << 30);
    const a = pool.take(N);
    pool.stored(a);
    pool.expose(a);
    pool.deleted(a);
    const user = new Float32Array(N);
    pool.stored(user);
    pool.deleted(user);
    const b = pool.take(N);
    expect(b.buffer).not.toBe(a.buffer);
    expect(b.buffer).not.toBe(user.buffer);
    expect(pool.stats()).toMatchObject({ hits: 0, recycled: 0, skippedExposed: 1 });
  });

  it('keeps at most maxFreeBytes on the free list and serves by size class', () => {
    const pool = new OutputBufferPool(N * 4);
    const a = pool.take(N);
    const b = pool.take(N);
    const small = pool.take(8);
    for (const x of [a, b, small]) pool.stored(x);
    for (const x of [a, b, small]) pool.deleted(x);
    expect(pool.stats()).toMatchObject({ recycled: 1, dropped: 1, freeBytes: N * 4 });
    expect(pool.take(2 * N).buffer).not.toBe(a.buffer); // another size class: fresh
    const again = pool.take(N - 5); // same size class: the freed buffer, viewed at the asked length
    expect(again.buffer).toBe(a.buffer);
    expect(again.length).toBe(N - 5);
    expect(() => new OutputBufferPool(-1)).toThrow(/maxFreeBytes/);
  });

  it('rounds sizes up by at most an eighth', () => {
    for (const bytes of [4096, 4100, 5000, 65535, 1 << 20, (1 << 20) + 1, 123456789]) {
      const b = bucketBytes(bytes);
      expect(b).toBeGreaterThanOrEqual(bytes);
      expect(b).toBeLessThanOrEqual(bytes * 1.125);
      expect(b % 4).toBe(0);
    }
    expect(bucketBytes(4096)).toBe(4096);
    expect(bucketBytes(4097)).toBe(4096 + 512);
  });

  it('is on unless switched off (option or COURIER_BUFFER_POOL=0)', () => {
    expect(resolveBufferPool(undefined, {})).toBe(true);
    expect(resolveBufferPool(undefined, { COURIER_BUFFER_POOL: '0' })).toBe(false);
    expect(resolveBufferPool(true, { COURIER_BUFFER_POOL: '0' })).toBe(true);
    expect(resolveBufferPool(false, {})).toBe(false);
    expect(() => resolveBufferPool(undefined, { COURIER_BUFFER_POOL: 'yes' })).toThrow(/COURIER_BUFFER_POOL: expected 0 or 1/);
  });
});

const status = nativeKernelsStatus();
if (!status.available) console.warn(`native-kernels specs skipped: ${status.reason}`);
const describeNative = status.available ? describe : describe.skip;

/** A fresh `native` backend instance with the pool on or off. */
async function freshNative(bufferPool: boolean): Promise<void> {
  if (tf.findBackend('native')) tf.removeBackend('native');
  registerNativeBackend({ threads: 1, bufferPool });
  if (!(await tf.setBackend('native'))) throw new Error('native backend did not initialise');
}

/** A small conv net's loss and gradients after `steps` plain SGD steps (every op on native kernels where it has one). */
function train(steps: number): Float32Array[] {
  const x = tf.tensor4d(seededFloats(1, 24 * 16 * 16 * 3), [24, 16, 16, 3]);
  const w1 = tf.variable(tf.tensor4d(seededFloats(2, 3 * 3 * 3 * 16, 0.3), [3, 3, 3, 16]));
  const b1 = tf.variable(tf.zeros([16]));
  const w2 = tf.variable(tf.tensor4d(seededFloats(3, 3 * 3 * 16 * 32, 0.1), [3, 3, 16, 32]));
  const head = tf.variable(tf.tensor2d(seededFloats(4, 32 * 64, 0.2), [32, 64]));
  const vars = [w1, b1, w2, head];
  const out: Float32Array[] = [];
  for (let s = 0; s < steps; s++) {
    const { value, grads } = tf.variableGrads(() => {
      const h1 = tf.relu(tf.add(tf.conv2d(x, w1, 2, 'same'), b1));
      const h2 = tf.relu(tf.conv2d(h1 as tf.Tensor4D, w2, 2, 'same'));
      const e = tf.matMul(tf.mean(h2, [1, 2]) as tf.Tensor2D, head);
      return tf.mean(tf.square(e)) as tf.Scalar;
    }, vars);
    tf.tidy(() => vars.forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name], 0.05)))));
    out.push(new Float32Array(value.dataSync()));
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
  }
  out.push(...vars.map((v) => new Float32Array(v.dataSync())));
  tf.dispose([x, ...vars]);
  return out;
}

describeNative('the buffer pool on the native backend', () => {
  afterAll(async () => {
    await freshNative(false);
  });

  it('gives the same bits as plain allocation over several training steps, and is used', async () => {
    await freshNative(false);
    const plain = train(4);
    expect(nativeBufferPoolStats()).toBeNull();
    await freshNative(true);
    const pooled = train(4);
    const stats = nativeBufferPoolStats();
    expect(stats?.hits).toBeGreaterThan(20); // steps 2-4 run on recycled buffers
    expect(pooled).toHaveLength(plain.length);
    pooled.forEach((p, i) => expect(Buffer.from(p.buffer, p.byteOffset, p.byteLength).equals(Buffer.from(plain[i].buffer, plain[i].byteOffset, plain[i].byteLength))).toBe(true));
  });

  it('an array read with dataSync keeps its values after its tensor is disposed and the size is reused', async () => {
    await freshNative(true);
    const a = tf.tensor2d(seededFloats(5, N), [N / 64, 64]);
    const t = tf.add(a, 1);
    const seen = t.dataSync() as Float32Array;
    const copy = new Float32Array(seen);
    t.dispose();
    for (let i = 0; i < 5; i++) tf.tidy(() => tf.mul(tf.add(a, 7), 3).dataSync());
    expect(Buffer.from(seen.buffer, seen.byteOffset, seen.byteLength).equals(Buffer.from(copy.buffer))).toBe(true);
    a.dispose();
  });

  it('a slice (a view of its input) stays right after its input is disposed and the size is reused', async () => {
    await freshNative(true);
    const a = tf.tensor2d(seededFloats(6, N), [N / 64, 64]);
    const full = tf.mul(a, 2);
    const head = tf.slice(full, [0, 0], [N / 128, 64]);
    const expected = new Float32Array(seededFloats(6, N).subarray(0, N / 2).map((v) => Math.fround(v * 2)));
    full.dispose();
    const hitsBefore = nativeBufferPoolStats()?.hits ?? 0;
    for (let i = 0; i < 5; i++) tf.tidy(() => tf.neg(tf.mul(a, 5)));
    expect(nativeBufferPoolStats()?.hits).toBeGreaterThan(hitsBefore); // the size was reused meanwhile
    const got = head.dataSync() as Float32Array;
    expect(Array.from(got)).toEqual(Array.from(expected));
    tf.dispose([a, head]);
  });
});
