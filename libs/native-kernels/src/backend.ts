import * as os from 'node:os';

import * as tf from '@tensorflow/tfjs';

import { type AddonLoad, type CourierBlasAddon, DEFAULT_ADDON_PATH, loadAddon } from './addon';
import { registerConvBlockGradient } from './conv-block';
import { type BufferPoolStats, OutputBufferPool, activeBufferPool, attachBufferPool, setActiveBufferPool } from './buffer-pool';
import { nativeKernelConfigs } from './kernels';

/** The tfjs backend name registered by registerNativeBackend. */
export const NATIVE_BACKEND_NAME = 'native';

export interface NativeBackendOptions {
  /**
   * BLAS threads (openblas_set_num_threads). Default: $COURIER_THREADS, else all cores
   * (os.availableParallelism()).
   */
  threads?: number;
  /**
   * Keep freed kernel outputs below 32 MiB in the process heap instead of returning them to the
   * OS (glibc mallopt), so the next output of that size costs no page faults: tf.matMul at 1024
   * went from ~130 to ~160 GFLOP/s. Up to 256 MiB of freed memory may stay mapped. Default:
   * on, unless $COURIER_MALLOC_TUNE is "0".
   */
  tuneMalloc?: boolean;
  /**
   * Run Conv2D, FusedConv2D and the two convolution gradients on oneDNN when the addon was built
   * with it (Debian libdnnl-dev at build time); else, or when false, im2col + OpenBLAS sgemm.
   * Default: on, unless $COURIER_DNNL is "0".
   */
  dnnl?: boolean;
  /**
   * Split large elementwise, broadcast-binary and reduction kernels (>= 2^16 elements) across
   * the threads (same bits at every thread count). Default: off, unless
   * $COURIER_PARALLEL_KERNELS is "1". Off because on the 2-vCPU development host they made the
   * cnn training step 5-8% slower at 2 threads (tools/bench/parallel-kernels-ab.ts, net of its
   * 1-thread control; README "Replaced kernels"); turn them on where a host's cores are real
   * and idle.
   */
  parallelKernels?: boolean;
  /**
   * Reuse the buffers of disposed kernel outputs for new outputs of the same size instead of
   * allocating (buffer-pool.ts: only buffers nothing can still read). Removes most of the
   * garbage a training step leaves for V8: the cnn backbone step ran 1.85x faster at one thread,
   * and the demo pipeline gave the same bits (README "Output buffer pool"). Default: on, unless
   * $COURIER_BUFFER_POOL is "0". Read when the backend instance is created (the first
   * tf.setBackend('native')).
   */
  bufferPool?: boolean;
}

/** Whether the native kernels reuse disposed outputs' buffers: the option, else $COURIER_BUFFER_POOL ("0"/"1"), else on. */
export function resolveBufferPool(option: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return resolveSwitch(option, env, 'COURIER_BUFFER_POOL', true);
}

/** Most bytes of disposed outputs the buffer pool keeps for reuse (more are left to the GC). */
export const BUFFER_POOL_MAX_FREE_BYTES = 256 * 1024 * 1024;

let bufferPoolWanted = false;

/** Counters of the native backend's buffer pool; null when it is off. */
export function nativeBufferPoolStats(): BufferPoolStats | null {
  return activeBufferPool()?.stats() ?? null;
}

/** Whether to use oneDNN for convolutions: the option, else $COURIER_DNNL ("0" = off), else on. */
export function resolveDnnl(option: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return resolveSwitch(option, env, 'COURIER_DNNL', true);
}

/** Whether large elementwise/reduction kernels use the threads: the option, else $COURIER_PARALLEL_KERNELS ("0"/"1"), else off. */
export function resolveParallelKernels(option: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return resolveSwitch(option, env, 'COURIER_PARALLEL_KERNELS', false);
}

/** Size threshold of the parallel kernels when on (elements touched by one call), and the value that switches them off. */
export const PARALLEL_KERNEL_MIN_ELEMS = { on: 2 ** 16, off: 2 ** 50 } as const;

/** The glibc thresholds set when tuneMalloc is on (32 MiB is glibc's largest mmap threshold). */
export const MALLOC_TUNING = { mmapThresholdBytes: 32 * 1024 * 1024, trimThresholdBytes: 256 * 1024 * 1024 } as const;

/** Whether to tune malloc: the option, else $COURIER_MALLOC_TUNE ("0" = off, "1" = on), else on. */
export function resolveMallocTuning(option: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return resolveSwitch(option, env, 'COURIER_MALLOC_TUNE', true);
}

/** An on/off setting: the option when given, else the environment variable ("0" or "1"), else the default. */
function resolveSwitch(option: boolean | undefined, env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  if (option !== undefined) return option;
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (value === '0' || value === '1') return value === '1';
  throw new Error(`${name}: expected 0 or 1, got "${value}"`);
}

/**
 * $COURIER_PARALLEL_SPIN_US: how long (µs) the addon's idle helper threads poll for the next
 * large elementwise/reduction kernel before they sleep (default 1000; only with threads > 1).
 * For A/B runs on a given host; undefined when unset.
 */
export function resolveParallelSpin(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env.COURIER_PARALLEL_SPIN_US;
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 1_000_000) {
    throw new Error(`COURIER_PARALLEL_SPIN_US: expected microseconds from 0 to 1000000, got "${value}"`);
  }
  return Number(value);
}

export interface NativeKernelsStatus {
  available: boolean;
  /** Why the addon cannot be used (missing build, load error), with the fix. */
  reason?: string;
  /** OpenBLAS build string when available. */
  blas?: string;
  /** Current BLAS thread count when available. */
  threads?: number;
  /** oneDNN version when convolutions run on it; null when the addon was built without it or it is switched off. */
  dnnl?: string | null;
}

/** Availability of the addon at `file` (internal: tests point it at a bogus path). */
export function statusFrom(load: AddonLoad): NativeKernelsStatus {
  if (!load.addon) return { available: false, reason: load.reason };
  const dnnl = load.addon.dnnl?.() ?? null;
  return { available: true, blas: load.addon.config(), threads: load.addon.getThreads(), dnnl: dnnl && dnnl.enabled ? dnnl.version : null };
}

/** Whether the BLAS kernels are built and load, and why not. Never throws. */
export function nativeKernelsStatus(): NativeKernelsStatus {
  return statusFrom(loadAddon(DEFAULT_ADDON_PATH));
}

/** Resolves the thread count: option, then $COURIER_THREADS, then all cores. */
export function resolveThreads(threads: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  let value = threads;
  let source = 'threads option';
  if (value === undefined && env.COURIER_THREADS !== undefined && env.COURIER_THREADS !== '') {
    value = Number(env.COURIER_THREADS);
    source = 'COURIER_THREADS';
  }
  if (value === undefined) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  if (!Number.isInteger(value) || value < 1 || value > 1024) {
    throw new Error(`${source}: expected a whole number of threads between 1 and 1024, got ${String(value)}`);
  }
  return value;
}

/** Sets the BLAS thread count of the loaded addon (throws if it is not built). */
export function setNativeThreads(threads: number): void {
  requireLoaded(loadAddon(DEFAULT_ADDON_PATH)).setThreads(resolveThreads(threads));
}

/**
 * Switches the loaded addon's convolutions between oneDNN (true) and im2col + sgemm (false);
 * returns whether oneDNN is now in use (always false for a build without it). Throws if the
 * addon is not built.
 */
export function setNativeDnnl(on: boolean): boolean {
  const addon = requireLoaded(loadAddon(DEFAULT_ADDON_PATH));
  return addon.setDnnl ? addon.setDnnl(on) : false;
}

function requireLoaded(load: AddonLoad): CourierBlasAddon {
  if (!load.addon) throw new Error(load.reason);
  return load.addon;
}

/**
 * Registers the tfjs backend `native` with the given addon load (internal; registerNativeBackend
 * passes the default build). The backend is a fresh MathBackendCPU (the CPU backend's factory)
 * carrying all of tfjs-backend-cpu's kernels, with the BLAS-backed ones replacing BatchMatMul,
 * _FusedMatMul, Conv2D, FusedConv2D, Conv2DBackpropInput, Conv2DBackpropFilter and Softmax.
 */
export function registerNativeBackendWith(load: AddonLoad, options: NativeBackendOptions = {}): string {
  const addon = requireLoaded(load);
  addon.setThreads(resolveThreads(options.threads));
  if (resolveMallocTuning(options.tuneMalloc)) addon.tuneMalloc(MALLOC_TUNING.mmapThresholdBytes, MALLOC_TUNING.trimThresholdBytes);
  addon.setDnnl?.(resolveDnnl(options.dnnl));
  addon.setParallelElems?.(resolveParallelKernels(options.parallelKernels) ? PARALLEL_KERNEL_MIN_ELEMS.on : PARALLEL_KERNEL_MIN_ELEMS.off);
  const spin = resolveParallelSpin();
  if (spin !== undefined) addon.setParallelSpin?.(spin);
  const name = NATIVE_BACKEND_NAME;
  bufferPoolWanted = resolveBufferPool(options.bufferPool);
  if (!tf.findBackendFactory(name)) {
    const cpuFactory = tf.findBackendFactory('cpu');
    if (!cpuFactory) throw new Error('native-kernels: the tfjs cpu backend is not registered (import @tensorflow/tfjs first)');
    tf.registerBackend(
      name,
      () => {
        const backend = cpuFactory() as tf.KernelBackend & { firstUse?: boolean };
        // MathBackendCPU prints "looks like you are running TensorFlow.js in Node.js ... install
        // the node backend" on first use; this backend is the answer to that, so skip it.
        if (typeof backend.firstUse === 'boolean') backend.firstUse = false;
        const pool = bufferPoolWanted ? new OutputBufferPool(BUFFER_POOL_MAX_FREE_BYTES) : null;
        if (pool) attachBufferPool(backend as unknown as Parameters<typeof attachBufferPool>[0], pool);
        setActiveBufferPool(pool);
        return backend;
      },
      1,
    );
  }
  const overrides = nativeKernelConfigs(name, addon);
  const overridden = new Set(overrides.map((k) => k.kernelName));
  for (const config of tf.getKernelsForBackend('cpu')) {
    if (overridden.has(config.kernelName)) continue;
    if (tf.getKernel(config.kernelName, name)) continue;
    tf.registerKernel({ ...config, backendName: name });
  }
  for (const config of overrides) {
    if (tf.getKernel(config.kernelName, name)) tf.unregisterKernel(config.kernelName, name);
    tf.registerKernel(config);
  }
  registerConvBlockGradient(addon);
  return name;
}

/**
 * Registers the `native` tfjs backend (tfjs's CPU backend with BLAS-backed matmul, conv and
 * softmax kernels) and returns its name for tf.setBackend. Idempotent; a later call only
 * changes the thread count. Throws "native kernels not built: ..." when the addon is missing.
 */
export function registerNativeBackend(options: NativeBackendOptions = {}): string {
  return registerNativeBackendWith(loadAddon(DEFAULT_ADDON_PATH), options);
}
