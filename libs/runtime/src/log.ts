/**
 * Plain-line logging to stderr: `2026-11-23T11:20:00.123Z INFO  [scope] message`.
 * The level comes from $COURIER_LOG (debug | info | warn | error | silent; default info), so a
 * test run can silence or widen it without code changes.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  readonly scope: string;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A logger for a sub-scope, `parent/child`, sharing the sink and level. */
  child(scope: string): Logger;
}

export interface LoggerOptions {
  /** Minimum level; default $COURIER_LOG or 'info'. */
  level?: LogLevel;
  /** Where lines go (without trailing newline); default stderr. */
  write?: (line: string) => void;
  /** Clock, for tests. */
  now?: () => Date;
}

export function parseLogLevel(value: string | undefined, source = 'COURIER_LOG'): LogLevel {
  if (value === undefined || value === '') return 'info';
  if (value in LEVEL_RANK) return value as LogLevel;
  throw new Error(`${source}: unknown log level "${value}"; expected one of ${Object.keys(LEVEL_RANK).join(', ')}`);
}

export function createLogger(scope: string, options: LoggerOptions = {}): Logger {
  const level = options.level ?? parseLogLevel(process.env.COURIER_LOG);
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const min = LEVEL_RANK[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, message: string) => {
    if (LEVEL_RANK[lvl] < min) return;
    write(`${now().toISOString()} ${lvl.toUpperCase().padEnd(5)} [${scope}] ${message}`);
  };
  return {
    scope,
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (sub) => createLogger(`${scope}/${sub}`, { ...options, level }),
  };
}
