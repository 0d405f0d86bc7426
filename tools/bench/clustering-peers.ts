/**
 * Clusterer vs sklearn on identical inputs, in one run (issue #21): our single-pass clusterer
 * (default, and with the quality options) against sklearn's KMeans (Lloyd, k-means++ and random
 * init, `maxIter` iterations, n_init 1) on the same float32 matrix. Not a test; sklearn is
 * optional (Debian `python3-sklearn`): without it only our side runs and the table says so.
 *
 *   npx tsx tools/bench/clustering-peers.ts [--n 100000] [--k 1000] [--d 256] [--components 1000] [--sep 1.5]
 *       [--ours default,greedy,greedy-refine1] [--peers k-means++,random] [--maxIter 20] [--threads 1]
 *       [--python /usr/bin/python3] [--out tools/bench/results/clustering-peers.json]
 *
 * Data: `denseMixture` (the clustering bench's: Gaussian groups with sep 1.5, rows L2-normalised),
 * generated once and written to a raw float32 file that every side reads. Each side runs in its
 * own child process, so its peak RSS (getrusage maxRSS) is its own. BLAS/OpenMP threads are set
 * to `--threads` on both sides (COURIER_THREADS, OPENBLAS_NUM_THREADS, OMP_NUM_THREADS), so the
 * ratio compares the algorithms, not the thread counts. Times are wall and CPU (user + sys) of
 * the fit; on a shared machine CPU seconds are the steadier figure. Inertia = mean squared
 * distance of every row to its nearest final centre, recomputed in float64 on both sides.
 * Speed ratio = sklearn k-means++ fit / (our fit + our labelling pass): sklearn's fit ends with
 * labels, so ours is charged its labelling pass too.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assignClusters, fitClusters, FitClustersOptions } from '@courier/clustering';
import { denseMixture } from '@courier/clustering/testing';
import { currentBackend, initBackend, parseCliArgs } from '@courier/runtime';

const OURS: Record<string, Partial<FitClustersOptions>> = {
  default: {},
  greedy: { initSeeding: 'greedy-kmeans++', initIterations: 0 },
  'greedy-refine1': { initSeeding: 'greedy-kmeans++', initIterations: 0, refinePasses: 1 },
  'greedy-lloyd4-refine1': { initSeeding: 'greedy-kmeans++', refinePasses: 1 },
};

type Row = Record<string, unknown> & { side: string; config: string };

async function childOurs(file: string, n: number, d: number, k: number, config: string): Promise<void> {
  await initBackend({ log: () => undefined });
  const x = new Float32Array(n * d);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, Buffer.from(x.buffer), 0, n * d * 4, 0);
  fs.closeSync(fd);
  const input = { vectors: x, dim: d };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const model = await fitClusters(input, { k, seed: 1, log: () => undefined, ...OURS[config] });
  const fitSeconds = (performance.now() - t0) / 1000;
  const c1 = process.cpuUsage(c0);
  const t1 = performance.now();
  const lab = await assignClusters(input, model);
  const labelSeconds = (performance.now() - t1) / 1000;
  const c2 = process.cpuUsage(c0);
  const sp = model.singlePass!;
  const out = {
    fitSeconds,
    fitCpuSeconds: (c1.user + c1.system) / 1e6,
    labelSeconds,
    fitLabelCpuSeconds: (c2.user + c2.system) / 1e6,
    initSeconds: sp.initSeconds,
    passSeconds: sp.epochStats.filter((e) => !e.refine).reduce((s, e) => s + e.seconds, 0),
    refineSeconds: sp.epochStats.filter((e) => e.refine).reduce((s, e) => s + e.seconds, 0),
    epochs: sp.epochs,
    inertia: lab.inertia,
    initInertia: sp.initInertia,
    emptyClusters: model.emptyClusters,
    kernel: sp.kernel,
    backend: currentBackend()?.name,
    options: OURS[config],
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

function findPython(explicit: string | undefined): string | null {
  const candidates = explicit ? [explicit] : ['/usr/bin/python3', 'python3'];
  for (const py of candidates) {
    try {
      execFileSync(py, ['-c', 'import sklearn, numpy'], { stdio: 'ignore', timeout: 60000 });
      return py;
    } catch {
      /* next */
    }
  }
  return null;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutS: number): Record<string, unknown> | null {
  try {
    const text = execFileSync(cmd, args, { encoding: 'utf8', env, timeout: timeoutS * 1000, maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
    const line = text.split('\n').find((l) => l.startsWith('RESULT ') || l.startsWith('{'));
    return line ? (JSON.parse(line.startsWith('RESULT ') ? line.slice(7) : line) as Record<string, unknown>) : null;
  } catch (err) {
    process.stderr.write(`[peers] ${path.basename(cmd)} ${args.slice(-3).join(' ')} failed: ${(err as Error).message.split('\n')[0]}\n`);
    return null;
  }
}

const f = (v: unknown, digits = 2): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—');

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const n = Number(flags.n ?? 100000);
  const k = Number(flags.k ?? 1000);
  const d = Number(flags.d ?? 256);
  if (flags.child) {
    await childOurs(String(flags.data), n, d, k, String(flags.child));
    return;
  }
  const components = Number(flags.components ?? Math.min(k, 1000));
  const sep = Number(flags.sep ?? 1.5);
  const threads = String(flags.threads ?? 1);
  const maxIter = Number(flags.maxIter ?? 20);
  const ours = String(flags.ours ?? 'default,greedy,greedy-refine1').split(',').filter(Boolean);
  const peers = String(flags.peers ?? 'k-means++,random').split(',').filter(Boolean);
  const outFile = String(flags.out ?? 'tools/bench/results/clustering-peers.json');
  const timeoutS = Number(flags.timeout ?? 3600);
  for (const c of ours) if (!OURS[c]) throw new Error(`unknown --ours config "${c}"; expected one of ${Object.keys(OURS).join(', ')}`);
  const log = (s: string) => process.stderr.write(`[peers] ${s}\n`);
  const env = { ...process.env, COURIER_THREADS: threads, OPENBLAS_NUM_THREADS: threads, OMP_NUM_THREADS: threads, MKL_NUM_THREADS: threads, COURIER_LOG: 'warn' };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clustering-peers-'));
  const file = path.join(dir, 'x.f32');
  const m = await denseMixture({ n, d, components, sep, seed: 1000 + n + k });
  fs.writeFileSync(file, Buffer.from(m.x.buffer, m.x.byteOffset, m.x.byteLength));
  log(`data: ${n} x ${d}, ${components} groups, sep ${sep}, K ${k}, ${threads} thread(s), load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

  const rows: Row[] = [];
  try {
    for (const c of ours) {
      log(`ours ${c} ...`);
      const r = run(process.execPath, [...process.execArgv, __filename, '--child', c, '--data', file, '--n', String(n), '--d', String(d), '--k', String(k)], env, timeoutS);
      rows.push({ side: 'ours', config: c, ...(r ?? { failed: true }) });
      log(JSON.stringify(rows[rows.length - 1]));
    }
    const py = findPython(flags.python ? String(flags.python) : undefined);
    if (!py) log('sklearn not found (optional peer): apt-get install -y python3-sklearn, or pass --python PATH');
    else {
      for (const init of peers) {
        log(`sklearn ${init} (${py}) ...`);
        const r = run(py, [path.join(__dirname, 'peers', 'sklearn_kmeans.py'), file, String(n), String(d), String(k), init, String(maxIter), '0'], env, timeoutS);
        rows.push({ side: 'sklearn', config: `${init} lloyd-${maxIter}`, ...(r ?? { failed: true }) });
        log(JSON.stringify(rows[rows.length - 1]));
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const ref = rows.find((r) => r.side === 'sklearn' && String(r.config).startsWith('k-means++') && typeof r.inertia === 'number');
  const lines = [
    `n ${n}, d ${d}, K ${k}, ${components} groups (sep ${sep}), ${threads} BLAS/OpenMP thread(s), ${os.cpus().length} cores, load at start ${os.loadavg()[0].toFixed(1)}`,
    '',
    '| side | config | fit s (wall) | fit s (CPU) | label s | inertia | inertia / sklearn k-means++ | sklearn k-means++ fit / ours (wall, CPU) | peak RSS MB |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const isOurs = r.side === 'ours';
    const wall = isOurs ? (r.fitSeconds as number) + (r.labelSeconds as number) : (r.fitSeconds as number);
    const cpu = isOurs ? (r.fitLabelCpuSeconds as number) : (r.fitCpuSeconds as number);
    const speed = ref && r !== ref ? `${f((ref.fitSeconds as number) / wall, 1)}x, ${f((ref.fitCpuSeconds as number) / cpu, 1)}x` : ref ? '1x' : '—';
    r.inertiaRatio = ref ? (r.inertia as number) / (ref.inertia as number) : null;
    r.speedRatioWall = ref ? (ref.fitSeconds as number) / wall : null;
    r.speedRatioCpu = ref ? (ref.fitCpuSeconds as number) / cpu : null;
    lines.push(`| ${r.side} | ${r.config} | ${f(r.fitSeconds)} | ${f(r.fitCpuSeconds)} | ${f(r.labelSeconds ?? r.predictSeconds)} | ${f(r.inertia, 4)} | ${ref ? f(r.inertiaRatio, 3) : '—'} | ${speed} | ${r.peakRssMB ?? '—'} |`);
  }
  if (ref) {
    for (const r of rows.filter((x) => x.side === 'ours' && typeof x.inertia === 'number')) {
      const ok = (r.inertiaRatio as number) <= 1.05 && (r.speedRatioCpu as number) >= 5;
      lines.push(`ours ${r.config}: inertia ${((((r.inertiaRatio as number) - 1) * 100)).toFixed(1)}% vs sklearn k-means++, ${f(r.speedRatioCpu, 1)}x its CPU time (${f(r.speedRatioWall, 1)}x wall): target (<= +5%, >= 5x) ${ok ? 'met' : 'not met'}`);
    }
  }
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  const report = { date: new Date().toISOString(), n, d, k, components, sep, threads: Number(threads), maxIter, cpus: os.cpus().length, load: os.loadavg(), rows, table: text };
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${outFile}`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
