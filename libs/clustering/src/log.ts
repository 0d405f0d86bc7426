import { createLogger } from '@courier/runtime';

export { Rng } from '@courier/runtime';

/** A line logger for library code (honours $COURIER_LOG through the runtime logger). */
export function createLoggerSafe(scope: string): (line: string) => void {
  const logger = createLogger(scope);
  return (line) => logger.info(line);
}
