// Test helpers of @courier/runtime (import from '@courier/runtime/testing', never from app code).
import { backendState } from './backend-state';
import { stageCli, type StageDefinition } from './stage-cli';

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
export { stageCli };

/** A command line run in-process with its output captured: what an app's CLI spec asserts on. */
export async function runCliForTest(definition: StageDefinition, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await stageCli(definition, argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}
