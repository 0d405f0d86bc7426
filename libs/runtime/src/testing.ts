// Test helpers of @courier/runtime (import from '@courier/runtime/testing', never from app code).
import { backendState } from './backend-state';

/**
 * Forgets the backend chosen by initBackend so a test can choose again. The tfjs engine keeps
 * its registered backends; only our record of the choice is cleared.
 */
export function resetBackendChoiceForTests(): void {
  backendState.current = null;
  backendState.pending = null;
}

/**
 * Runs a stage definition's command line in-process and returns its exit status, writing only
 * through `io` (what `runStageCli` does, without process.exit): for an app's CLI specs.
 */
export { stageCli } from './stage-cli';
