import { slowBackendDecision } from './index';
import { NATIVE_FIX_COMMAND } from './slow-backend';

describe('slowBackendDecision', () => {
  const wasm = { name: 'wasm' as const, requested: 'auto' as const, steppedDown: [{ backend: 'native' as const, reason: 'native kernels not built: run npm run build:native' }] };

  it('lets fast backends through silently', () => {
    expect(slowBackendDecision({ name: 'native', requested: 'auto', steppedDown: [] }, { env: {} })).toEqual({ proceed: true, message: null });
  });

  it('stops on wasm with the fix command, the slowdown and how to run anyway', () => {
    const d = slowBackendDecision(wasm, { command: 'pipeline run', env: {} });
    expect(d.proceed).toBe(false);
    expect(d.message).toContain('pipeline run: stopped before a slow run: the native BLAS backend is not available (native kernels not built');
    expect(d.message).toContain(NATIVE_FIX_COMMAND);
    expect(d.message).toContain('12-17x slower');
    expect(d.message).toContain('--allow-slow-backend');
  });

  it('proceeds with a warning when asked by flag, environment or a forced backend', () => {
    expect(slowBackendDecision(wasm, { allowFlag: true, env: {} })).toMatchObject({ proceed: true, message: expect.stringContaining('as asked (--allow-slow-backend)') });
    expect(slowBackendDecision(wasm, { env: { COURIER_ALLOW_SLOW_BACKEND: '1' } })).toMatchObject({ proceed: true, message: expect.stringContaining('COURIER_ALLOW_SLOW_BACKEND=1') });
    expect(slowBackendDecision({ ...wasm, requested: 'wasm' }, { env: {} })).toMatchObject({ proceed: true, message: expect.stringContaining('COURIER_BACKEND=wasm') });
    expect(slowBackendDecision(wasm, { env: { COURIER_ALLOW_SLOW_BACKEND: '0' } }).proceed).toBe(false);
  });
});
