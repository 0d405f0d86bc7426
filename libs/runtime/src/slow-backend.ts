import type { BackendInfo, BackendName } from './backend';

/**
 * The fast-path guard of long runs (issue #22): on the WebAssembly or plain CPU backend a
 * pre-training that takes minutes natively takes half an hour or more, so the commands that train
 * stop in seconds with the one command that gets the native backend, unless the user asked for
 * the fallback (`--allow-slow-backend`, COURIER_ALLOW_SLOW_BACKEND=1, or a forced COURIER_BACKEND).
 */
export const FAST_BACKENDS: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'native'];

/** The one command that gives the native (OpenBLAS) backend on Debian/Ubuntu. */
export const NATIVE_FIX_COMMAND = 'sudo apt-get install -y libopenblas-dev && npm run build:native';

/** The environment variable that allows a slow backend (1, true or yes). */
export const ALLOW_SLOW_ENV = 'COURIER_ALLOW_SLOW_BACKEND';

/** Measured pre-training slowdowns against the native backend (tools/bench/courier-train.ts). */
export const SLOWDOWN: Partial<Record<BackendName, string>> = {
  wasm: 'about 12-17x slower (demo pre-training: about 30 minutes instead of 2-3)',
  cpu: 'about 200x slower (demo pre-training: hours instead of 2-3 minutes)',
};

export interface SlowBackendDecision {
  /** true when the run may go on. */
  proceed: boolean;
  /** null on a fast backend; else the stop message (proceed false) or a one-line warning. */
  message: string | null;
}

function envAllows(env: NodeJS.ProcessEnv): boolean {
  const v = (env[ALLOW_SLOW_ENV] ?? '').trim().toLowerCase();
  return v === '1' || v === 'true' || v === 'yes';
}

/**
 * Whether a long run may proceed on `info`'s backend. `allowFlag` is the command's
 * `--allow-slow-backend`; a backend forced by COURIER_BACKEND or an option counts as asked for.
 */
export function slowBackendDecision(info: Pick<BackendInfo, 'name' | 'requested' | 'steppedDown'>, options: { allowFlag?: boolean; command?: string; env?: NodeJS.ProcessEnv } = {}): SlowBackendDecision {
  if (FAST_BACKENDS.includes(info.name)) return { proceed: true, message: null };
  const env = options.env ?? process.env;
  const slowdown = SLOWDOWN[info.name] ?? 'much slower';
  const native = info.steppedDown.find((s) => s.backend === 'native');
  const why = native ? `the native BLAS backend is not available (${native.reason})` : `the ${info.name} backend was chosen`;
  const asked = options.allowFlag ? '--allow-slow-backend' : envAllows(env) ? `${ALLOW_SLOW_ENV}=${env[ALLOW_SLOW_ENV]}` : info.requested !== 'auto' ? `COURIER_BACKEND=${info.requested}` : null;
  if (asked) {
    return { proceed: true, message: `running on the slow ${info.name} backend as asked (${asked}): ${slowdown} than native; the fix: ${NATIVE_FIX_COMMAND}` };
  }
  const command = options.command ?? 'this command';
  return {
    proceed: false,
    message: [
      `${command}: stopped before a slow run: ${why}.`,
      `On the ${info.name} backend training is ${slowdown}.`,
      `Fix (Debian/Ubuntu; needs g++):  ${NATIVE_FIX_COMMAND}`,
      `Or run anyway on ${info.name}: add --allow-slow-backend (or set ${ALLOW_SLOW_ENV}=1).`,
    ].join('\n'),
  };
}
