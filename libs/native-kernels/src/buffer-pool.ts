/**
 * A free list for the native kernels' large float32 outputs (issue #21; on by default,
 * COURIER_BUFFER_POOL=0 turns it off).
 *
 * Why: every tfjs op on the CPU backend allocates its output as a fresh ArrayBuffer, and a cnn
 * training step frees ~100 MB of them. V8 counts them as external memory and answers with about
 * one full mark-compact per step (4-5 ms on the JS thread) plus concurrent marking and sweeping
 * on background threads: ~20 ms of CPU per 36 ms step at one BLAS thread, which competes with
 * the BLAS threads at two (native-kernels README, "Where the step's time goes"). Reusing the
 * buffers of disposed outputs removes both the allocation and that garbage.
 *
 * Safety: a buffer is reused only when nothing can still read it.
 * - Only buffers this pool handed out are ever reused (never a user's array given to tf.tensor).
 * - A buffer is reused only after every backend entry whose values use it has been deleted
 *   (counted per ArrayBuffer, so views such as tfjs's contiguous slice, which returns a subarray
 *   of its input, keep the buffer alive).
 * - A buffer whose values were ever read out of the backend (readSync, read, dataSync,
 *   bufferSync) is never reused: the reader may keep the array after the tensor is disposed.
 */

export interface BufferPoolStats {
  /** Outputs served from the free list. */
  hits: number;
  /** Outputs allocated fresh. */
  misses: number;
  /** Buffers put on the free list after their last entry was deleted. */
  recycled: number;
  /** Deleted buffers not reused because their values had been read out. */
  skippedExposed: number;
  /** Deleted buffers dropped because the free list was at its byte cap. */
  dropped: number;
  /** Bytes on the free list now. */
  freeBytes: number;
}

/** Outputs below this many elements are not pooled (small arrays are cheap for V8). */
export const BUFFER_POOL_MIN_ELEMENTS = 1024;

/**
 * The buffer size serving a request: rounded up to one of 8 steps per power of two (at most
 * 12.5% more), so that outputs whose size varies a little from batch to batch (page views
 * with more or fewer items) still find a buffer.
 */
export function bucketBytes(bytes: number): number {
  const step = 2 ** Math.max(2, Math.floor(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}

export class OutputBufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Buffers handed out by take(). */
  private readonly ours = new WeakSet<ArrayBuffer>();
  /** Buffers whose values left the backend: never reused. */
  private readonly exposed = new WeakSet<ArrayBuffer>();
  /** Backend entries whose values use each of our buffers. */
  private readonly entries = new WeakMap<ArrayBuffer, number>();
  private readonly counters: BufferPoolStats = { hits: 0, misses: 0, recycled: 0, skippedExposed: 0, dropped: 0, freeBytes: 0 };

  constructor(readonly maxFreeBytes: number) {
    if (!Number.isFinite(maxFreeBytes) || maxFreeBytes < 0) throw new Error(`OutputBufferPool: maxFreeBytes must be a non-negative number, got ${maxFreeBytes}`);
  }

  /** An output array of `length` floats with unspecified contents (the kernels write all of it). */
  take(length: number): Float32Array {
    if (length < BUFFER_POOL_MIN_ELEMENTS) return new Float32Array(length);
    const bytes = bucketBytes(length * 4);
    const list = this.free.get(bytes);
    const reused = list?.pop();
    if (reused) {
      this.counters.hits++;
      this.counters.freeBytes -= bytes;
      return new Float32Array(reused, 0, length);
    }
    this.counters.misses++;
    // allocUnsafeSlow: an ArrayBuffer of exactly this size, not zero-filled, not Node's shared pool.
    const buf = Buffer.allocUnsafeSlow(bytes);
    this.ours.add(buf.buffer);
    return new Float32Array(buf.buffer, buf.byteOffset, length);
  }

  /** A backend entry now holds `values` (write, move). */
  stored(values: unknown): void {
    const buffer = ourBuffer(this.ours, values);
    if (buffer) this.entries.set(buffer, (this.entries.get(buffer) ?? 0) + 1);
  }

  /** `values` were read out of the backend: their buffer must never be reused. */
  expose(values: unknown): void {
    const buffer = ourBuffer(this.ours, values);
    if (buffer) this.exposed.add(buffer);
  }

  /** A backend entry holding `values` was deleted. */
  deleted(values: unknown): void {
    const buffer = ourBuffer(this.ours, values);
    if (!buffer) return;
    const left = (this.entries.get(buffer) ?? 0) - 1;
    if (left > 0) {
      this.entries.set(buffer, left);
      return;
    }
    this.entries.delete(buffer);
    if (this.exposed.has(buffer)) {
      this.counters.skippedExposed++;
      return;
    }
    if (this.counters.freeBytes + buffer.byteLength > this.maxFreeBytes) {
      this.counters.dropped++;
      return;
    }
    const list = this.free.get(buffer.byteLength);
    if (list) list.push(buffer);
    else this.free.set(buffer.byteLength, [buffer]);
    this.counters.recycled++;
    this.counters.freeBytes += buffer.byteLength;
  }

  stats(): BufferPoolStats {
    return { ...this.counters };
  }
}

function ourBuffer(ours: WeakSet<ArrayBuffer>, values: unknown): ArrayBuffer | null {
  if (!ArrayBuffer.isView(values)) return null;
  const buffer = values.buffer;
  return buffer instanceof ArrayBuffer && ours.has(buffer) ? buffer : null;
}

interface PoolableBackend {
  data: { get(dataId: object): { values?: unknown } | undefined; has(dataId: object): boolean };
  write(values: unknown, shape: number[], dtype: string): object;
  move(dataId: object, values: unknown, shape: number[], dtype: string, refCount: number): void;
  readSync(dataId: object): unknown;
  disposeData(dataId: object, force?: boolean): boolean;
}

/**
 * Wires `pool` into a tfjs CPU backend instance: counts entries on write/move, marks values read
 * out on readSync (read and bufferSync go through it), and hands deleted entries' buffers back.
 */
export function attachBufferPool(backend: PoolableBackend, pool: OutputBufferPool): void {
  const write = backend.write.bind(backend);
  const move = backend.move.bind(backend);
  const readSync = backend.readSync.bind(backend);
  const disposeData = backend.disposeData.bind(backend);
  backend.write = (values, shape, dtype) => {
    const id = write(values, shape, dtype);
    pool.stored(values);
    return id;
  };
  backend.move = (dataId, values, shape, dtype, refCount) => {
    // An entry replaced in place is never counted down: its buffer stays out of the pool.
    move(dataId, values, shape, dtype, refCount);
    pool.stored(values);
  };
  backend.readSync = (dataId) => {
    pool.expose(backend.data.get(dataId)?.values);
    return readSync(dataId);
  };
  backend.disposeData = (dataId, force) => {
    // has() first: tfjs's DataStorage.get of an unknown id tries to move the data from another backend.
    const values = backend.data.has(dataId) ? backend.data.get(dataId)?.values : undefined;
    // true with values: the entry was there and is gone (false: still referenced).
    const deleted = disposeData(dataId, force);
    if (deleted && values !== undefined) pool.deleted(values);
    return deleted;
  };
}

let activePool: OutputBufferPool | null = null;

/** The pool the native kernels take their outputs from (null: plain allocation). */
export function setActiveBufferPool(pool: OutputBufferPool | null): void {
  activePool = pool;
}

export function activeBufferPool(): OutputBufferPool | null {
  return activePool;
}
