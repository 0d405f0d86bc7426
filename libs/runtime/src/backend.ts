import * as tf from '@tensorflow/tfjs';
import { backendState } from './backend-state';

/**
 * Compute backends, fastest first. `tensorflow-gpu` and `tensorflow` are the native TensorFlow
 * bindings (optional packages a user installs); `native` is tfjs's CPU backend with our
 * BLAS-backed kernels (@courier/native-kernels); then WebAssembly, then plain JS CPU.
 */
export const BACKEND_ORDER = ['tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export interface BackendInfo {
  /** The backend the run got. */
  name: BackendName;
  /** tf.getBackend() after initialisation. */
  tfjsBackend: string;
  /** Why each faster backend was skipped (empty when the first choice loaded). */
  steppedDown: { backend: BackendName; reason: string }[];
  /** 'auto' when chosen by preference order, else the flag or COURIER_BACKEND value. */
  requested: BackendName | 'auto';
}

export interface BackendOptions {
  /** Force one backend ('auto' = try in BACKEND_ORDER). Default: $COURIER_BACKEND or 'auto'. */
  backend?: BackendName | 'auto';
  /** Threads for the native kernels (default: all cores or $COURIER_THREADS). */
  threads?: number;
  /** Where to log the choice; default console.error. Pass () => {} to silence. */
  log?: (line: string) => void;
}

// The process-wide choice lives in backend-state.ts so that tests can reset it (testing.ts).
const state = backendState as { current: BackendInfo | null; pending: Promise<BackendInfo> | null };

/** Parses a backend name from a flag or the environment; throws naming the valid ones. */
export function parseBackendName(value: string, source: string): BackendName | 'auto' {
  if (value === 'auto' || (BACKEND_ORDER as readonly string[]).includes(value)) return value as BackendName | 'auto';
  throw new Error(`${source}: unknown backend "${value}"; expected one of auto, ${BACKEND_ORDER.join(', ')}`);
}

// Loading a backend package registers its backend with tfjs-core as a side effect.
function requireOptional(name: string): void {
  try {
    require.resolve(name);
  } catch {
    throw new Error(`${name} is not installed (optional; \`npm install ${name}@${tf.version_core}\` adds it)`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(name);
}

async function tryBackend(name: BackendName, threads: number | undefined): Promise<string> {
  switch (name) {
    case 'tensorflow-gpu':
      requireOptional('@tensorflow/tfjs-node-gpu');
      if (!(await tf.setBackend('tensorflow'))) throw new Error('@tensorflow/tfjs-node-gpu loaded but its backend did not initialise');
      return 'tensorflow';
    case 'tensorflow':
      requireOptional('@tensorflow/tfjs-node');
      if (!(await tf.setBackend('tensorflow'))) throw new Error('@tensorflow/tfjs-node loaded but its backend did not initialise');
      return 'tensorflow';
    case 'native': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const native = require('@courier/native-kernels') as { registerNativeBackend?: (o: { threads?: number }) => string };
      if (typeof native.registerNativeBackend !== 'function') throw new Error('@courier/native-kernels exposes no registerNativeBackend()');
      const backendName = native.registerNativeBackend({ threads });
      if (!(await tf.setBackend(backendName))) throw new Error(`the native backend "${backendName}" did not initialise`);
      return backendName;
    }
    case 'wasm':
      requireOptional('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) throw new Error('the WebAssembly backend did not initialise');
      return 'wasm';
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('the CPU backend did not initialise');
      return 'cpu';
  }
}

function firstLine(err: unknown): string {
  // Not `instanceof Error`: errors from other realms (jest's module registry, addons) fail that test.
  const message = typeof (err as { message?: unknown })?.message === 'string' ? (err as Error).message : String(err);
  return message.split('\n')[0];
}

/**
 * Picks the tfjs backend once per process and logs which one it got and why it stepped down.
 * Later calls return the first result (a different forced backend is an error).
 */
export async function initBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  const envValue = process.env.COURIER_BACKEND;
  const requested = options.backend !== undefined ? parseBackendName(options.backend, 'initBackend({ backend })') : envValue ? parseBackendName(envValue, 'COURIER_BACKEND') : 'auto';
  if (!state.current && state.pending) await state.pending.catch(() => undefined);
  const current = state.current;
  if (current) {
    if (requested !== 'auto' && requested !== current.name) {
      throw new Error(`backend already initialised as "${current.name}"; cannot switch to "${requested}" in the same process`);
    }
    return current;
  }
  state.pending = chooseBackend(requested, options);
  try {
    return await state.pending;
  } finally {
    state.pending = null;
  }
}

function parseThreads(options: BackendOptions): number | undefined {
  if (options.threads !== undefined) {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new Error(`initBackend({ threads }): expected a positive integer, got ${options.threads}`);
    return options.threads;
  }
  const env = process.env.COURIER_THREADS;
  if (env === undefined || env === '') return undefined;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`COURIER_THREADS: expected a positive integer, got "${env}"`);
  return n;
}

async function chooseBackend(requested: BackendName | 'auto', options: BackendOptions): Promise<BackendInfo> {
  const log = options.log ?? ((line: string) => console.error(line));
  const threads = parseThreads(options);
  const candidates: readonly BackendName[] = requested === 'auto' ? BACKEND_ORDER : [requested];
  const steppedDown: BackendInfo['steppedDown'] = [];
  for (const name of candidates) {
    try {
      const tfjsBackend = await tryBackend(name, threads);
      await tf.ready();
      const info: BackendInfo = { name, tfjsBackend, steppedDown, requested };
      state.current = info;
      const why = steppedDown.length ? ` (stepped down: ${steppedDown.map((s) => `${s.backend}: ${s.reason}`).join('; ')})` : '';
      log(`[runtime] tfjs backend: ${name}${why}`);
      return info;
    } catch (err) {
      steppedDown.push({ backend: name, reason: firstLine(err) });
    }
  }
  const hint = requested === 'auto' ? '' : ` (forced by ${options.backend !== undefined ? 'the backend option' : 'COURIER_BACKEND'}; unset it to let the runtime step down)`;
  throw new Error(`no tfjs backend could be initialised${hint}: ${steppedDown.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}

/** The backend chosen by initBackend, or null before it ran. */
export function currentBackend(): BackendInfo | null {
  return state.current;
}
