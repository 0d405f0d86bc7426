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
