/**
 * Regression suite CLI.
 *   npx nx run regression:bench [--out DIR] [--strict-speed]   run, compare, write regression.json
 *   npx nx run regression:update-baseline                       run and overwrite baseline.json
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '@courier/io';
import { parseCliArgs } from '@courier/runtime';
import { BASELINE_FILE, REPO_ROOT, compareWithBaseline, readBaseline, runRegression } from './suite';

/** A speed ratio below this counts as a slowdown; two slow runs in a row fail with --strict-speed. */
const SLOW_RATIO = 0.4;

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const outDir = path.resolve(typeof flags.out === 'string' ? flags.out : path.join(REPO_ROOT, 'runs', 'regression'));
  const result = await runRegression({ outDir });
  if (flags['update-baseline']) {
    writeJsonAtomic(BASELINE_FILE, { ...result, runDir: null, recordedAt: new Date().toISOString() });
    process.stdout.write(`baseline written: ${BASELINE_FILE}\n${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const cmp = compareWithBaseline(result, readBaseline());
  writeJsonAtomic(path.join(outDir, 'regression.json'), { ...result, comparison: cmp });
  process.stdout.write(`${cmp.lines.join('\n')}\n`);
  // Speed: a slowdown fails only when the previous run was slow too.
  const historyFile = path.join(REPO_ROOT, '.bench', 'speed-history.json');
  const slow = Object.entries(cmp.speedRatios).filter(([, r]) => r < SLOW_RATIO).map(([k]) => k);
  const previous: string[] = fs.existsSync(historyFile) ? (JSON.parse(fs.readFileSync(historyFile, 'utf8')) as { slow: string[] }).slow : [];
  writeJsonAtomic(historyFile, { slow, at: new Date().toISOString() });
  const repeated = slow.filter((k) => previous.includes(k));
  if (slow.length) process.stdout.write(`slower than ${SLOW_RATIO}x baseline: ${slow.join(', ')}${repeated.length ? ` (repeated: ${repeated.join(', ')})` : ' (first time; rerun to confirm)'}\n`);
  if (cmp.failures.length) throw new Error(`quality regressions:\n${cmp.failures.join('\n')}`);
  if (flags['strict-speed'] && repeated.length) throw new Error(`speed regressions in two consecutive runs: ${repeated.join(', ')}`);
  process.stdout.write('regression suite: quality within tolerance\n');
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
