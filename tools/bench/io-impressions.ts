/**
 * Benchmark of @courier/io Parquet I/O on the RAW_IMPRESSIONS contract: write N rows, read them
 * back, and report rows/s, MB/s (file bytes over wall time) and peak RSS per phase. Each phase
 * runs in its own child process so its peak RSS (process.resourceUsage().maxRSS) is its own.
 *
 *   npx tsx tools/bench/io-impressions.ts [--rows 1000000] [--row-group 8192] [--slow-rows 100000]
 *
 * Phases: write (validated) / write (no validation) / write (no validation, no statistics) /
 * read (validated) / read (no validation),
 * plus parquetjs-lite's own per-row path (`fastShred: false`) on --slow-rows rows for comparison,
 * and a DuckDB check of row count and column sums of the written file.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RAW_IMPRESSIONS } from '@courier/data-contracts';
import { readParquetRows, writeParquetRows } from '@courier/io';
import { parseCliArgs } from '@courier/runtime';

type Row = Record<string, unknown>;

/** Synthetic impressions: 16 items per page view, ~14% clicks, 1000 users, 5000 items. */
function* impressions(n: number): Generator<Row> {
  for (let i = 0; i < n; i++) {
    const session = i >> 4;
    yield { session_id: session, user_id: (session * 7919) % 1000, query: ['dress', 'shoe', 'bag', 'hat'][session & 3], item_id: (i * 2654435761) % 5000, position: i & 15, label: i % 7 === 0 ? 1 : 0, timestamp: session * 30, day: Math.floor((session * 30) / 86400) };
  }
}

interface PhaseResult {
  phase: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  mbPerSecond: number;
  rawMBPerSecond: number;
  fileMB: number;
  peakRssMB: number;
  checksum: number;
}

async function runPhase(phase: string, file: string, rows: number, rowGroupSize: number): Promise<PhaseResult> {
  const t0 = performance.now();
  let checksum = 0;
  if (phase.startsWith('write')) {
    await writeParquetRows(file, RAW_IMPRESSIONS, impressions(rows), { rowGroupSize, validate: !phase.includes('novalidate'), fastShred: !phase.includes('parquetjs'), statistics: !phase.includes('nostats') });
  } else {
    let n = 0;
    for await (const row of readParquetRows(file, RAW_IMPRESSIONS, { validate: !phase.includes('novalidate') })) {
      checksum += (row.item_id as number) + (row.label as number);
      n++;
    }
    if (n !== rows) throw new Error(`${phase}: read ${n} rows, expected ${rows}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const fileMB = fs.statSync(file).size / 1e6;
  // Uncompressed size of the values: 6 int32 + 1 int64 + a length-prefixed query string per row.
  let rawBytes = 0;
  for (let i = 0; i < rows; i++) rawBytes += 6 * 4 + 8 + 4 + [5, 4, 3, 3][(i >> 4) & 3];
  const rawMB = rawBytes / 1e6;
  return { phase, rows, seconds, rowsPerSecond: rows / seconds, mbPerSecond: fileMB / seconds, rawMBPerSecond: rawMB / seconds, fileMB, peakRssMB: process.resourceUsage().maxRSS / 1024, checksum };
}

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const rows = Number(flags.rows ?? 1_000_000);
  const rowGroupSize = Number(flags['row-group'] ?? 8192);
  if (flags.phase) {
    // child: one phase, result as JSON on stdout
    const result = await runPhase(String(flags.phase), String(flags.file), rows, rowGroupSize);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const slowRows = Number(flags['slow-rows'] ?? 100_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-bench-io-'));
  const big = path.join(dir, 'impressions.parquet');
  const small = path.join(dir, 'impressions-small.parquet');
  const plan: [string, string, number][] = [
    ['write', big, rows],
    ['write-novalidate', big, rows],
    ['write-novalidate-nostats', big, rows],
    ['write', big, rows], // the file the reads use has statistics
    ['read', big, rows],
    ['read-novalidate', big, rows],
    ['write-parquetjs-appendRow', small, slowRows],
    ['write', small, slowRows],
  ];
  console.log(`io-impressions: ${rows} rows (slow path: ${slowRows}), row groups of ${rowGroupSize}, node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg()[0].toFixed(1)}`);
  const results: PhaseResult[] = [];
  for (const [phase, file, n] of plan) {
    const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--phase', phase, '--file', file, '--rows', String(n), '--row-group', String(rowGroupSize)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
    const r = JSON.parse(out.trim().split('\n').pop() as string) as PhaseResult;
    results.push(r);
    console.log(`${r.phase.padEnd(26)} ${String(r.rows).padStart(8)} rows ${r.seconds.toFixed(2).padStart(7)} s ${Math.round(r.rowsPerSecond).toString().padStart(8)} rows/s ${r.rawMBPerSecond.toFixed(2).padStart(6)} MB/s raw ${r.mbPerSecond.toFixed(2).padStart(5)} MB/s file (${r.fileMB.toFixed(1)} MB)  peak RSS ${Math.round(r.peakRssMB)} MB`);
  }
  const reads = results.filter((r) => r.phase.startsWith('read'));
  if (new Set(reads.map((r) => r.checksum)).size !== 1) throw new Error('read checksums differ between phases');
  try {
    // An independent reader agrees on the content.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const res = await con.runAndReadAll(`SELECT count(*)::BIGINT AS n, sum(item_id + label)::BIGINT AS s FROM read_parquet('${big}')`);
    const [n, s] = res.getRows()[0].map(Number);
    console.log(`duckdb check: ${n} rows, sum(item_id + label) = ${s} (ours ${reads[0].checksum}) ${n === rows && s === reads[0].checksum ? 'OK' : 'MISMATCH'}`);
    con.closeSync();
    db.closeSync();
  } catch (err) {
    console.log(`duckdb check skipped: ${(err as Error).message}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
