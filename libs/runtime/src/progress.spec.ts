import { Progress, createLogger } from './index';
import { formatCount, formatDuration } from './progress';
import { parseLogLevel } from './log';

/** A fake clock (milliseconds) the test advances by hand. */
function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('Progress in plain-line mode (CI, no TTY)', () => {
  it('writes a line at every 10% of the total, with rate and ETA, then a final line', () => {
    const c = clock();
    const lines: string[] = [];
    const p = new Progress('train', 1000, { tty: false, now: c.now, log: { info: (l) => lines.push(l) } });
    for (let i = 0; i < 1000; i++) {
      c.advance(1); // 1 ms per item -> 1000 items/s
      p.tick(1, { loss: 0.5 });
    }
    p.done();
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('train: 100/1000 10.0% 1000 items/s ETA 1s loss=0.5000');
    expect(lines[4]).toBe('train: 500/1000 50.0% 1000 items/s ETA 1s loss=0.5000');
    expect(lines[10]).toBe('train: done 1000 items in 1s (1000 items/s) loss=0.5000');
  });

  it('writes a line every ~5 s when progress is slow, and without a total shows elapsed time', () => {
    const c = clock();
    const lines: string[] = [];
    const p = new Progress('scan', undefined, { tty: false, now: c.now, log: { info: (l) => lines.push(l) }, unit: 'rows' });
    for (let i = 0; i < 12; i++) {
      c.advance(1000);
      p.tick(10);
    }
    expect(lines).toEqual(['scan: 50 rows 10 rows/s elapsed 5s', 'scan: 100 rows 10 rows/s elapsed 10s']);
    p.done();
    p.done(); // idempotent
    p.tick(5); // ignored after done
    expect(lines).toHaveLength(3);
    expect(p.completed).toBe(120);
  });

  it('is plain when CI is set even if stderr is a TTY', () => {
    const saved = { ci: process.env.CI, tty: process.stderr.isTTY };
    process.env.CI = 'true';
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    try {
      const lines: string[] = [];
      const written: string[] = [];
      const p = new Progress('x', 10, { log: { info: (l) => lines.push(l) }, write: (t) => written.push(t) });
      p.tick(10);
      p.done();
      expect(written).toEqual([]);
      expect(lines.length).toBe(2);
    } finally {
      if (saved.ci === undefined) delete process.env.CI;
      else process.env.CI = saved.ci;
      Object.defineProperty(process.stderr, 'isTTY', { value: saved.tty, configurable: true });
    }
  });
});

describe('Progress on a terminal', () => {
  it('redraws one bar line in place at most every 100 ms', () => {
    const c = clock();
    const out: string[] = [];
    const p = new Progress('embed', 200, { tty: true, now: c.now, write: (t) => out.push(t) });
    for (let i = 0; i < 200; i++) {
      c.advance(5);
      p.tick();
    }
    p.done();
    expect(out.length).toBe(11); // ticks at 5, 105, ..., 905 ms + final line
    expect(out[0].startsWith('\rembed [')).toBe(true);
    expect(out[5]).toContain('] 101/200 50.5% 200 items/s ETA 0s');
    expect(out[10]).toBe('\rembed: done 200 items in 1s (200 items/s)\x1b[K\n');
  });
});

describe('formatting helpers', () => {
  it('formats durations and counts', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(7620)).toBe('2h07m');
    expect(formatDuration(Infinity)).toBe('?');
    expect(formatCount(950)).toBe('950');
    expect(formatCount(12345)).toBe('12.3k');
    expect(formatCount(4.56e6)).toBe('4.56M');
  });
});

describe('createLogger', () => {
  it('writes time, level and scope, filtered by level', () => {
    const lines: string[] = [];
    const log = createLogger('ctr', { level: 'info', write: (l) => lines.push(l), now: () => new Date('2026-01-02T03:04:05.000Z') });
    log.debug('hidden');
    log.info('hello');
    log.child('eval').warn('careful');
    log.error('bad');
    expect(lines).toEqual(['2026-01-02T03:04:05.000Z INFO  [ctr] hello', '2026-01-02T03:04:05.000Z WARN  [ctr/eval] careful', '2026-01-02T03:04:05.000Z ERROR [ctr] bad']);
    const quiet: string[] = [];
    createLogger('q', { level: 'silent', write: (l) => quiet.push(l) }).error('x');
    expect(quiet).toEqual([]);
  });

  it('rejects an unknown COURIER_LOG level', () => {
    expect(parseLogLevel(undefined)).toBe('info');
    expect(parseLogLevel('debug')).toBe('debug');
    expect(() => parseLogLevel('loud')).toThrow(/COURIER_LOG: unknown log level "loud"; expected one of debug, info, warn, error, silent/);
  });
});
