/**
 * Clustering benchmark (not a test): single-pass fit + labelling vs ml-kmeans at d = 256,
 * N in {1e5, 1e6}, K in {100, 1000, 10000}. Each measured configuration runs in its own child
 * process so its peak RSS (getrusage maxRSS) is its own. Configurations run cheapest first under a
 * global time budget; the rest are extrapolated from the measured multiply-add rate, and ml-kmeans
 * is skipped where its estimated time for 20 iterations exceeds a per-run cap (both are reported).
 * Also V9 (linearity of the pass in n·K·d) and the kernel comparison (typed arrays vs tf.matMul).
 *
 *   npx tsx tools/bench/clustering.ts [--budget 900] [--mlCap 240] [--out tools/bench/results/clustering.json]
 *       [--v9Only] [--v9n 200000] [--v9k 1000]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Assigner, assignClusters, fitClusters, fitKmeansBaseline, fitSinglePass, kmeansPlusPlus, lloyd, randomRows } from '@courier/clustering';
import { denseMixture } from '@courier/clustering/testing';
import { Rng, currentBackend, initBackend, parseCliArgs } from '@courier/runtime';

const D = 256;
const quiet = () => undefined;
process.env.COURIER_LOG = process.env.COURIER_LOG ?? 'warn';

function data(n: number, k: number, seed: number) {
  return denseMixture({ n, d: D, components: Math.min(k, 1000), sep: 1.5, seed });
}

/** Child: one configuration, JSON on stdout. */
async function child(kind: string, n: number, k: number, extra: number): Promise<void> {
  await initBackend({ log: quiet });
  const m = await data(n, k, 1000 + n + k);
  const input = { vectors: m.x, dim: D };
  const out: Record<string, unknown> = { kind, n, k, d: D, backend: currentBackend()?.name };
  if (kind === 'single-pass') {
    const model = await fitClusters(input, { k, seed: 1, log: quiet });
    const lab = await assignClusters(input, model);
    const sp = model.singlePass!;
    Object.assign(out, { fitSeconds: model.fitSeconds, initSeconds: sp.initSeconds, passSeconds: sp.epochStats.reduce((s, e) => s + e.seconds, 0), epochSeconds: sp.epochStats.map((e) => +e.seconds.toFixed(2)), epochs: sp.epochs, initRows: sp.initRows, assignSeconds: lab.assignSeconds, inertia: lab.inertia, emptyClusters: model.emptyClusters, fitKernel: sp.kernel, assignKernel: lab.kernel, calibration: sp.calibration });
    if (extra > 0) {
      // Lloyd-20 from the same random init with the same fast kernel: the quality reference.
      const t0 = performance.now();
      const sampleN = Math.min(n, 20000);
      const init = kmeansPlusPlus({ data: m.x.subarray(0, sampleN * D), n: sampleN, d: D }, k, new Rng(5));
      const ref = await lloyd({ data: m.x, n, d: D }, init, k, { iterations: 20 });
      Object.assign(out, { lloyd20Seconds: (performance.now() - t0) / 1000, lloyd20Inertia: ref.inertia, lloyd20Iterations: ref.iterations });
    }
  } else if (kind === 'ml-kmeans-probe') {
    // One ml-kmeans iteration on `extra` rows: the per-(row·centre) cost for the estimate.
    const rows = Math.min(n, extra);
    const sub = { data: m.x.subarray(0, rows * D), n: rows, d: D };
    const t0 = performance.now();
    fitKmeansBaseline(sub, { k, seed: 1, maxIterations: 1, initCentres: randomRows(sub, k, new Rng(2)) });
    out.secondsPerRowCentre = (performance.now() - t0) / 1000 / (rows * k);
  } else if (kind === 'ml-kmeans') {
    const t0 = performance.now();
    const model = await fitClusters(input, { method: 'kmeans', k, seed: 1, kmeansMaxIterations: extra });
    const fitSeconds = (performance.now() - t0) / 1000;
    const lab = await assignClusters(input, model);
    Object.assign(out, { fitSeconds, iterations: model.kmeans!.iterations, converged: model.kmeans!.converged, inertia: lab.inertia });
  } else if (kind === 'v9') {
    // Time one estimation pass (assign + accumulate) at (n, k): the linear-cost check. The
    // fastest of three repeats, since other processes on a shared machine only ever add time.
    let best = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      const r = await fitSinglePass(m.x, n, D, { k, seed: 1, epochs: 1, init: { centres: m.x.slice(0, k * D) }, kernel: 'tfjs', log: quiet });
      best = Math.min(best, r.epochStats[0].seconds);
      out.rows = r.epochStats[0].rows;
      out.kernel = r.kernel;
    }
    out.passSeconds = best;
  } else if (kind === 'kernels') {
    const centres = m.x.slice(0, k * D);
    const rows = Math.min(n, 4096);
    const outIds = new Int32Array(rows);
    const rates: Record<string, number> = {};
    for (const kernel of ['js', 'tfjs'] as const) {
      const a = await Assigner.create(centres, k, D, { kernel });
      a.nearest(m.x, null, outIds, 64);
      const t0 = performance.now();
      a.nearest(m.x, null, outIds, rows);
      rates[kernel] = (rows * k * D) / ((performance.now() - t0) / 1000);
      a.dispose();
    }
    out.macPerSecond = rates;
  }
  out.peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

function runChild(args: string[], timeoutS: number): Record<string, unknown> | null {
  const t0 = Date.now();
  try {
    const text = execFileSync(process.execPath, [...process.execArgv, __filename, '--child', ...args], { encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
    const line = text.split('\n').find((l) => l.startsWith('RESULT '));
    const res = line ? (JSON.parse(line.slice(7)) as Record<string, unknown>) : null;
    if (res) res.wallSeconds = (Date.now() - t0) / 1000;
    return res;
  } catch (err) {
    process.stderr.write(`child ${args.join(' ')} failed or timed out after ${((Date.now() - t0) / 1000).toFixed(0)} s: ${(err as Error).message.split('\n')[0]}\n`);
    return null;
  }
}

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  if (flags.child) {
    const [kind, n, k, extra] = [String(flags.child), Number(flags.n), Number(flags.k), Number(flags.extra ?? 0)];
    await child(kind, n, k, extra);
    return;
  }
  const budget = Number(flags.budget ?? 900);
  const mlCap = Number(flags.mlCap ?? 150);
  const outFile = String(flags.out ?? 'tools/bench/results/clustering.json');
  const start = Date.now();
  const left = () => budget - (Date.now() - start) / 1000;
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  const report: Record<string, unknown> = { date: new Date().toISOString(), d: D, budgetSeconds: budget, cpus: require('node:os').cpus().length, load: require('node:os').loadavg() };

  const only = typeof flags.grid === 'string' ? flags.grid.split(',').map((p) => p.split(':').map(Number) as [number, number]) : null;
  const noMl = Boolean(flags.noMl);
  const v9Only = Boolean(flags.v9Only);
  if (!flags.noKernels) {
  // Kernel comparison at K = 1000.
  const kernels = runChild(['--n', '4096', '--k', '1000', '--child', 'kernels'], 300);
  report.kernels = kernels;
  log(`kernels: ${JSON.stringify(kernels?.macPerSecond)} (backend ${kernels?.backend})`);

  // V9: pass time at (n, K), (n/2, K), (n, K/2) must scale with n·K within 20%.
  const v9: Record<string, unknown>[] = [];
  const v9n = Number(flags.v9n ?? 200000);
  const v9k = Number(flags.v9k ?? 1000);
  for (const [n, k] of [[v9n, v9k], [v9n / 2, v9k], [v9n, v9k / 2]]) {
    const r = runChild(['--n', String(n), '--k', String(k), '--child', 'v9'], 300);
    if (r) v9.push(r);
  }
  if (v9.length === 3) {
    const [full, halfN, halfK] = v9.map((r) => r.passSeconds as number);
    // Expected ratios from the rows each pass actually read (the estimation pass excludes nothing
    // here, but measure rather than assume) and from K.
    const [rowsFull, rowsHalfN, rowsHalfK] = v9.map((r) => r.rows as number);
    const expectN = rowsHalfN / rowsFull;
    const expectK = (rowsHalfK / rowsFull) * 0.5;
    const linear = Math.abs(halfN / full / expectN - 1) <= 0.2 && Math.abs(halfK / full / expectK - 1) <= 0.2;
    report.v9 = { runs: v9, halfNRatio: halfN / full, halfKRatio: halfK / full, expectedHalfN: expectN, expectedHalfK: expectK, linearWithin20pct: linear };
    log(`V9: halving n -> ${(halfN / full).toFixed(3)}x (expect ${expectN.toFixed(3)}), halving K -> ${(halfK / full).toFixed(3)}x (expect ${expectK.toFixed(3)}); within 20%: ${linear}`);
  }
  }
  if (v9Only) {
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${outFile}`);
    return;
  }

  // The grid, cheapest first.
  const grid: [number, number][] = [];
  grid.push([1e4, 100]); // a size where ml-kmeans runs at all (quality reference)
  for (const n of [1e5, 1e6]) for (const k of [100, 1000, 10000]) grid.push([n, k]);
  grid.sort((a, b) => a[0] * a[1] - b[0] * b[1]);
  if (only) grid.splice(0, grid.length, ...only);
  const rows: Record<string, unknown>[] = [];
  let macRate: number | null = null; // multiply-adds per second of fit+label, from measured runs
  const passesPerRun = (n: number, k: number) => {
    // init: 4 Lloyd iterations on min(32K, n/4) rows; pass: the remaining rows; labelling: n rows
    const init = Math.max(k, Math.min(32 * k, Math.floor(n / 4)));
    return (4 * init + (n - init) + n) * k * D;
  };
  for (const [n, k] of grid) {
    const row: Record<string, unknown> = { n, k };
    const macs = passesPerRun(n, k);
    const est = macRate ? macs / macRate : null;
    const wantLloyd = n * k <= 1e6 ? 1 : 0;
    if (only || est === null || est * (wantLloyd ? 8 : 1.3) < left() - 60) {
      log(`single-pass n=${n} K=${k} (est ${est ? est.toFixed(0) : '?'} s, ${left().toFixed(0)} s left)`);
      const r = runChild(['--n', String(n), '--k', String(k), '--extra', String(wantLloyd), '--child', 'single-pass'], Math.max(60, left() - 30));
      if (r) {
        row.singlePass = r;
        macRate = macs / ((r.fitSeconds as number) + (r.assignSeconds as number));
        if (r.lloyd20Inertia) row.inertiaRatioVsLloyd20 = (r.inertia as number) / (r.lloyd20Inertia as number);
      } else row.singlePass = { skipped: 'timed out' };
    } else {
      row.singlePass = { extrapolated: true, estimatedSecondsFitPlusLabel: est, note: `${(macs / 1e9).toFixed(0)} G multiply-adds at the measured ${(macRate! / 1e9).toFixed(2)} G/s` };
      log(`single-pass n=${n} K=${k}: extrapolated ${est!.toFixed(0)} s`);
    }
    // ml-kmeans: probe one iteration on <= 5000 rows, estimate 20 iterations at n, run if under the cap.
    if (noMl) row.mlKmeans = { skipped: 'not run in this invocation (--noMl)' };
    else if (left() > 60) {
      const probe = runChild(['--n', String(Math.min(n, 5000)), '--k', String(Math.min(k, 1000)), '--extra', '5000', '--child', 'ml-kmeans-probe'], 120);
      const per = probe ? (probe.secondsPerRowCentre as number) : null;
      const est20 = per !== null ? per * n * k * 20 : null;
      row.mlKmeansEstimated20IterSeconds = est20;
      // Run 20 iterations if they fit the cap, else as many as fit (at least 2), else skip.
      const iters = est20 === null ? 0 : Math.min(20, Math.floor((20 * Math.min(mlCap, left() - 60)) / est20));
      if (iters >= 2) {
        row.mlKmeansIterationCap = iters;
        const r = runChild(['--n', String(n), '--k', String(k), '--extra', String(iters), '--child', 'ml-kmeans'], Math.min(left() - 30, mlCap * 3));
        row.mlKmeans = r ?? { skipped: 'timed out' };
        const sp = row.singlePass as Record<string, unknown>;
        if (r && sp.inertia) row.inertiaRatioVsMlKmeans = (sp.inertia as number) / (r.inertia as number);
      } else row.mlKmeans = { skipped: `estimated ${est20 ? est20.toFixed(0) : '?'} s for 20 iterations; not even 2 fit the cap of ${mlCap} s` };
    } else row.mlKmeans = { skipped: 'out of budget' };
    rows.push(row);
    log(JSON.stringify(row));
  }
  report.grid = rows;
  report.totalSeconds = (Date.now() - start) / 1000;
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${outFile} (${report.totalSeconds} s)`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
