// Process-wide backend choice of initBackend (see backend.ts). Kept apart so that tests can reset
// it through @courier/runtime/testing; application code never touches it.
export const backendState: { current: unknown; pending: Promise<unknown> | null } = { current: null, pending: null };
