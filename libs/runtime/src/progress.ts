import { Logger, createLogger } from './log';

/**
 * Progress of a long loop, with rate and ETA.
 *
 * On a terminal (stderr is a TTY and $CI is not set) it redraws one bar line in place, at most
 * every 100 ms. Elsewhere (CI, logs piped to a file) it writes a plain log line when ~5 s have
 * passed or another 10% of `total` is done, whichever comes first, and a final line on `done()`.
 */
export interface ProgressOptions {
  /** Force terminal or plain mode (default: detect). */
  tty?: boolean;
  /** Plain mode: seconds between lines (default 5). */
  intervalSeconds?: number;
  /** Plain mode: also write a line at each such fraction of total (default 0.1). */
  stepFraction?: number;
  /** Plain mode sink (default: a logger scoped by the label). */
  log?: Pick<Logger, 'info'>;
  /** Terminal mode sink (default: process.stderr.write). */
  write?: (text: string) => void;
  /** Milliseconds clock, for tests (default performance.now). */
  now?: () => number;
  /** Unit shown after counts and rates (default "items"). */
  unit?: string;
}

/** Human duration: 42s, 3m05s, 2h07m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Compact count/rate: 950, 12.3k, 4.56M. */
export function formatCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function formatInfo(info: Record<string, string | number> | undefined): string {
  if (!info) return '';
  const parts = Object.entries(info).map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(4) : v}`);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

export class Progress {
  private n = 0;
  private readonly startMs: number;
  private lastPlainMs: number;
  private lastPlainCount = 0;
  private lastDrawMs = -Infinity;
  private info: Record<string, string | number> | undefined;
  private finished = false;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly log: Pick<Logger, 'info'>;
  private readonly write: (text: string) => void;
  private readonly unit: string;

  constructor(
    readonly label: string,
    readonly total?: number,
    private readonly options: ProgressOptions = {},
  ) {
    this.tty = options.tty ?? (Boolean(process.stderr.isTTY) && !process.env.CI);
    this.now = options.now ?? (() => performance.now());
    this.log = options.log ?? createLogger(label);
    this.write = options.write ?? ((text: string) => process.stderr.write(text));
    this.unit = options.unit ?? 'items';
    this.startMs = this.now();
    this.lastPlainMs = this.startMs;
  }

  /** Items done so far. */
  get completed(): number {
    return this.n;
  }

  /** Records `n` more items done, with optional key=value details (e.g. loss) shown on the line. */
  tick(n = 1, info?: Record<string, string | number>): void {
    if (this.finished) return;
    this.n += n;
    if (info) this.info = info;
    const t = this.now();
    if (this.tty) {
      if (t - this.lastDrawMs >= 100) {
        this.lastDrawMs = t;
        this.write(`\r${this.line(t, true)}\x1b[K`);
      }
      return;
    }
    const interval = (this.options.intervalSeconds ?? 5) * 1000;
    const step = this.total ? this.total * (this.options.stepFraction ?? 0.1) : Infinity;
    if (t - this.lastPlainMs >= interval || this.n - this.lastPlainCount >= step) {
      this.lastPlainMs = t;
      this.lastPlainCount = this.n;
      this.log.info(this.line(t, false));
    }
  }

  /** Final line: count, elapsed time and mean rate. Idempotent. */
  done(info?: Record<string, string | number>): void {
    if (this.finished) return;
    this.finished = true;
    if (info) this.info = info;
    const t = this.now();
    const seconds = (t - this.startMs) / 1000;
    const rate = seconds > 0 ? this.n / seconds : 0;
    const text = `${this.label}: done ${formatCount(this.n)} ${this.unit} in ${formatDuration(seconds)} (${formatCount(rate)} ${this.unit}/s)${formatInfo(this.info)}`;
    if (this.tty) this.write(`\r${text}\x1b[K\n`);
    else this.log.info(text);
  }

  /** Seconds since construction. */
  elapsedSeconds(): number {
    return (this.now() - this.startMs) / 1000;
  }

  private line(t: number, bar: boolean): string {
    const seconds = (t - this.startMs) / 1000;
    const rate = seconds > 0 ? this.n / seconds : 0;
    const rateText = `${formatCount(rate)} ${this.unit}/s`;
    if (this.total && this.total > 0) {
      const frac = Math.min(1, this.n / this.total);
      const eta = rate > 0 ? (this.total - this.n) / rate : Infinity;
      const pct = `${(frac * 100).toFixed(1)}%`;
      const head = bar ? `${this.label} [${'#'.repeat(Math.round(frac * 24)).padEnd(24, '.')}] ` : `${this.label}: `;
      return `${head}${formatCount(this.n)}/${formatCount(this.total)} ${pct} ${rateText} ETA ${formatDuration(eta)}${formatInfo(this.info)}`;
    }
    return `${this.label}: ${formatCount(this.n)} ${this.unit} ${rateText} elapsed ${formatDuration(seconds)}${formatInfo(this.info)}`;
  }
}
