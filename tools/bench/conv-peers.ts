/**
 * Convolutions vs PyTorch CPU on the COURIER cnn backbone (issue #21): forward + backward of the
 * `cnn` backbone's architecture (stride-2 3x3 convolutions 3 -> 16 -> 32 -> 64 with bias + ReLU,
 * global average pool, linear head to d = 256) on a batch of in-memory images, loss = mean of
 * the squared embeddings, no optimiser. Our side runs on the `native` tfjs backend with the
 * convolutions on oneDNN (when the addon was built with it) and on im2col + OpenBLAS, each with
 * the backbone's formulation today (conv2d, add, relu) and with tf.fused.conv2d (bias + ReLU in
 * the convolution), and with `convBiasRelu` (@courier/native-kernels: one native op per block
 * with its own gradient). The peer is PyTorch (Debian `python3-torch`; optional) on the same shapes.
 * Also times each convolution kernel alone (addon calls) to show where our step goes.
 *
 *   npx tsx tools/bench/conv-peers.ts [--batch 361] [--size 32] [--steps 10] [--rounds 3] [--threads 1,2]
 *       [--ompWait PASSIVE|active] [--python /usr/bin/python3] [--out tools/bench/results/conv-peers.json]
 *       [--pairs N]
 *
 * 361 = the image slots of a batch of 64 page views in the demo world (issue #21). Each side and
 * thread count runs in its own process; BLAS/OpenMP threads are set on both sides alike. Each
 * figure is the fastest of `rounds` interleaved rounds of `steps` steps (both sides), since
 * other processes on a shared machine only add time.
 *
 * `--pairs N` (N >= 2) is for a host whose speed drifts between runs (a shared VM): per thread
 * count it alternates N short runs of each side (ours: the backbone as it is, on oneDNN; the
 * order flips every pair), and prints the median, lowest and highest of the N ours / PyTorch
 * ratios of adjacent runs, in wall time (images/s) and in CPU time per step. At one thread
 * the CPU-time ratio is the figure least moved by other processes (they take the core away,
 * which wall time counts and CPU time does not); at two it measures efficiency, not speed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, parseCliArgs } from '@courier/runtime';
import { convBiasRelu, nativeKernelsStatus, setNativeDnnl } from '@courier/native-kernels';
import { requireAddon, seededFloats } from '@courier/native-kernels/testing';
import { median } from './stats';

const CHANNELS = [16, 32, 64];
const FORM_NAMES = {
  unfused: 'conv2d, add, relu (backbone today)',
  fused: 'tf.fused.conv2d (fused forward; tfjs unfuses it under a gradient tape)',
  block: 'convBiasRelu: one native op per block, one-pass ReLU/bias backward',
};
const DIM = 256;

async function childOurs(batch: number, size: number, steps: number, rounds: number, only: 'unfused' | null): Promise<void> {
  const info = await initBackend({ log: () => undefined });
  if (tf.getBackend() !== 'native') throw new Error(`the native backend is not available (got ${tf.getBackend()}): npm run build:native`);
  const x = tf.tensor4d(seededFloats(1, batch * size * size * 3), [batch, size, size, 3]);
  const vars: tf.Variable[] = [];
  let cin = 3;
  const convs = CHANNELS.map((c, i) => {
    const w = tf.variable(tf.tensor4d(seededFloats(10 + i, 9 * cin * c, Math.sqrt(2 / (9 * cin))), [3, 3, cin, c]));
    const b = tf.variable(tf.zeros([c]));
    vars.push(w, b);
    cin = c;
    return { w, b };
  });
  const head = tf.variable(tf.tensor2d(seededFloats(20, cin * DIM, Math.sqrt(1 / cin)), [cin, DIM]));
  vars.push(head);
  type Form = 'unfused' | 'fused' | 'block';
  const forward = (form: Form) => {
    let h: tf.Tensor4D = x;
    for (const c of convs) {
      if (form === 'block') h = convBiasRelu(h, c.w as tf.Tensor4D, c.b as tf.Tensor1D, 2, 'same');
      else if (form === 'fused') h = tf.fused.conv2d({ x: h, filter: c.w as tf.Tensor4D, strides: 2, pad: 'same', bias: c.b, activation: 'relu' });
      else h = tf.relu(tf.add(tf.conv2d(h, c.w as tf.Tensor4D, 2, 'same'), c.b)) as tf.Tensor4D;
    }
    return tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, head);
  };
  const results: Record<string, unknown>[] = [];
  const status = nativeKernelsStatus();
  const hasDnnl = status.dnnl !== undefined && status.dnnl !== null;
  // --pairs runs only the backbone as it is, on the engine the backbone uses.
  const engines = only ? [hasDnnl] : hasDnnl ? [true, false] : [false];
  // Every configuration is timed in each of `rounds` interleaved rounds and keeps its fastest
  // round: on a shared machine other processes only ever add time.
  const forms: Form[] = only ? [only] : ['unfused', 'fused', 'block'];
  const configs = engines.flatMap((dnnl) => forms.map((form) => ({ dnnl, form, step: Infinity, cpu: Infinity, fwd: Infinity })));
  for (let round = 0; round < rounds; round++) {
    for (const c of configs) {
      setNativeDnnl(c.dnnl);
      const step = () => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(forward(c.form))) as tf.Scalar, vars);
        value.dataSync();
        value.dispose();
        Object.values(grads).forEach((g) => g.dispose());
      };
      for (let i = 0; i < 2; i++) step();
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < steps; i++) step();
      c.step = Math.min(c.step, (performance.now() - t0) / 1000 / steps);
      const cpu = process.cpuUsage(cpu0);
      c.cpu = Math.min(c.cpu, (cpu.user + cpu.system) / 1e6 / steps);
      const t1 = performance.now();
      for (let i = 0; i < steps; i++) {
        tf.tidy(() => {
          forward(c.form).dataSync();
        });
      }
      c.fwd = Math.min(c.fwd, (performance.now() - t1) / 1000 / steps);
    }
  }
  for (const dnnl of engines) {
    setNativeDnnl(dnnl);
    for (const c of configs.filter((x) => x.dnnl === dnnl)) {
      results.push({ conv: dnnl ? `oneDNN ${status.dnnl}` : 'im2col+sgemm', formulation: FORM_NAMES[c.form], imagesPerSecond: batch / c.step, stepSeconds: c.step, cpuSecondsPerStep: c.cpu, forwardSeconds: c.fwd });
    }
    if (only) continue;
    // The convolution kernels alone (addon calls, no tfjs): where the step's time goes.
    const addon = requireAddon();
    // Fastest of rounds·steps calls per kernel and layer, summed over the layers.
    const kernels: Record<string, number> = { forward: 0, backpropInput: 0, backpropFilter: 0 };
    let h = size;
    let ci = 3;
    for (const c of CHANNELS) {
      const oh = Math.ceil(h / 2);
      const g = [batch, h, h, ci, oh, oh, c, 3, 3, 2, 2, 1, 1, 0, 0] as Parameters<typeof addon.conv2d>[3];
      const xi = seededFloats(3, batch * h * h * ci);
      const w = seededFloats(4, 9 * ci * c);
      const dy = seededFloats(5, batch * oh * oh * c);
      const out = new Float32Array(batch * oh * oh * c);
      const dx = new Float32Array(batch * h * h * ci);
      const dw = new Float32Array(9 * ci * c);
      const bias = new Float32Array(c);
      const best = { forward: Infinity, backpropInput: Infinity, backpropFilter: Infinity };
      for (let r = 0; r <= steps * rounds; r++) {
        let t = performance.now();
        addon.conv2d(xi, w, out, g, bias, 1, 0, null);
        if (r) best.forward = Math.min(best.forward, performance.now() - t);
        t = performance.now();
        if (ci > 3) addon.conv2dBackpropInput(dy, w, dx, g); // the first layer's input needs no gradient
        if (r) best.backpropInput = Math.min(best.backpropInput, performance.now() - t);
        t = performance.now();
        addon.conv2dBackpropFilter(xi, dy, dw, g);
        if (r) best.backpropFilter = Math.min(best.backpropFilter, performance.now() - t);
      }
      kernels.forward += best.forward;
      kernels.backpropInput += best.backpropInput;
      kernels.backpropFilter += best.backpropFilter;
      h = oh;
      ci = c;
    }
    for (const k of Object.keys(kernels)) kernels[k] /= 1000;
    results.push({ conv: dnnl ? `oneDNN ${status.dnnl}` : 'im2col+sgemm', formulation: 'convolution kernels alone (3 layers)', kernelSeconds: kernels, impl: addon.dnnl?.()?.lastImpl ?? null });
  }
  setNativeDnnl(true);
  process.stdout.write(`RESULT ${JSON.stringify({ backend: info.name, results, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
}

function findPython(explicit: string | undefined): string | null {
  for (const py of explicit ? [explicit] : ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore', timeout: 120000 });
      return py;
    } catch {
      /* next */
    }
  }
  return null;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Record<string, unknown> | null {
  try {
    const text = execFileSync(cmd, args, { encoding: 'utf8', env, timeout: 1800 * 1000, maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
    const line = text.split('\n').find((l) => l.startsWith('RESULT ') || l.startsWith('{'));
    return line ? (JSON.parse(line.startsWith('RESULT ') ? line.slice(7) : line) as Record<string, unknown>) : null;
  } catch (err) {
    process.stderr.write(`[conv-peers] ${path.basename(cmd)} failed: ${(err as Error).message.split('\n')[0]}\n`);
    return null;
  }
}

function sideEnv(threads: number, ompWait: string): NodeJS.ProcessEnv {
  return { ...process.env, COURIER_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OMP_WAIT_POLICY: ompWait, COURIER_LOG: 'warn' };
}

interface RunShape {
  batch: number;
  size: number;
  steps: number;
  rounds: number;
}

/** Our side in its own process (`only`: just the backbone as it is, no kernel timings). */
function runOurs(r: RunShape, env: NodeJS.ProcessEnv, only = false): Record<string, unknown> | null {
  return run(process.execPath, [...process.execArgv, __filename, '--child', '1', ...(only ? ['--only', 'unfused'] : []), '--batch', String(r.batch), '--size', String(r.size), '--steps', String(r.steps), '--rounds', String(r.rounds)], env);
}

/** The PyTorch peer in its own process. */
function runTorch(py: string, r: RunShape, threads: number, env: NodeJS.ProcessEnv): Record<string, unknown> | null {
  return run(py, [path.join(__dirname, 'peers', 'torch_cnn.py'), String(r.batch), String(r.size), CHANNELS.join(','), String(DIM), String(r.steps), String(threads), String(r.rounds)], env);
}


interface PairOptions extends RunShape {
  threadList: number[];
  pairs: number;
  py: string;
  outFile: string;
  ompWait: string;
}

/** `--pairs`: alternate short runs of the two sides so that drift of the host hits both alike. */
async function runPairs(o: PairOptions): Promise<void> {
  const lines = [
    `COURIER cnn backbone as it is (conv2d, add, relu on oneDNN) against PyTorch, batch ${o.batch} images of ${o.size} px, forward + backward; ${os.cpus().length} cores, load at start ${os.loadavg()[0].toFixed(1)}; ${o.pairs} alternating pairs of runs per thread count, each run the fastest of ${o.rounds} rounds of ${o.steps} steps`,
    '',
    '| threads | pairs | ours / PyTorch, images/s: median (lowest-highest) | ours / PyTorch, CPU s per step: median (lowest-highest) | ours images/s, median | PyTorch images/s, median |',
    '|---|---|---|---|---|---|',
  ];
  const report: Record<string, unknown>[] = [];
  for (const threads of o.threadList) {
    const env = sideEnv(threads, o.ompWait);
    const runs: { ours: Record<string, number>; torch: Record<string, number> }[] = [];
    for (let p = 0; p < o.pairs; p++) {
      const oursRun = () => {
        const r = runOurs(o, env, true);
        const row = ((r?.results as Record<string, number>[]) ?? [])[0];
        if (!row) throw new Error(`conv-peers --pairs: our side gave no result (threads ${threads}, pair ${p + 1})`);
        return row;
      };
      const torchRun = () => {
        const r = runTorch(o.py, o, threads, env);
        if (!r) throw new Error(`conv-peers --pairs: the PyTorch side gave no result (threads ${threads}, pair ${p + 1})`);
        return r as Record<string, number>;
      };
      // Flip the order every pair: a run right after another process can start colder or warmer.
      let ours: Record<string, number>;
      let torch: Record<string, number>;
      if (p % 2 === 0) {
        ours = oursRun();
        torch = torchRun();
      } else {
        torch = torchRun();
        ours = oursRun();
      }
      runs.push({ ours, torch });
      process.stderr.write(`[conv-peers] threads ${threads} pair ${p + 1}/${o.pairs}: ours ${f(ours.imagesPerSecond, 0)} images/s, PyTorch ${f(torch.imagesPerSecond, 0)}, ratio ${f(ours.imagesPerSecond / torch.imagesPerSecond, 2)}x (CPU ${f(torch.cpuSecondsPerStep / ours.cpuSecondsPerStep, 2)}x)\n`);
    }
    const wall = runs.map((r) => r.ours.imagesPerSecond / r.torch.imagesPerSecond);
    const cpu = runs.map((r) => r.torch.cpuSecondsPerStep / r.ours.cpuSecondsPerStep);
    const summary = {
      threads,
      pairs: o.pairs,
      wallRatio: { median: median(wall), min: Math.min(...wall), max: Math.max(...wall), all: wall },
      cpuRatio: { median: median(cpu), min: Math.min(...cpu), max: Math.max(...cpu), all: cpu },
      oursImagesPerSecond: median(runs.map((r) => r.ours.imagesPerSecond)),
      torchImagesPerSecond: median(runs.map((r) => r.torch.imagesPerSecond)),
    };
    report.push({ ...summary, runs });
    lines.push(`| ${threads} | ${o.pairs} | ${f(summary.wallRatio.median, 2)}x (${f(summary.wallRatio.min, 2)}-${f(summary.wallRatio.max, 2)}) | ${f(summary.cpuRatio.median, 2)}x (${f(summary.cpuRatio.min, 2)}-${f(summary.cpuRatio.max, 2)}) | ${f(summary.oursImagesPerSecond, 0)} | ${f(summary.torchImagesPerSecond, 0)} |`);
  }
  lines.push('', 'Ratios above 1 mean ours is faster (more images/s; less CPU per step).');
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  fs.mkdirSync(path.dirname(o.outFile), { recursive: true });
  fs.writeFileSync(o.outFile, `${JSON.stringify({ date: new Date().toISOString(), mode: 'pairs', batch: o.batch, size: o.size, steps: o.steps, rounds: o.rounds, cpus: os.cpus().length, load: os.loadavg(), runs: report, table: text }, null, 2)}\n`);
  process.stderr.write(`[conv-peers] wrote ${o.outFile}\n`);
}

const f = (v: unknown, d = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '—');

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const batch = Number(flags.batch ?? 361);
  const size = Number(flags.size ?? 32);
  const steps = Number(flags.steps ?? 10);
  const rounds = Number(flags.rounds ?? 3);
  if (flags.child) {
    await childOurs(batch, size, steps, rounds, flags.only === 'unfused' ? 'unfused' : null);
    return;
  }
  const threadList = String(flags.threads ?? '1,2').split(',').map(Number);
  const outFile = String(flags.out ?? 'tools/bench/results/conv-peers.json');
  const py = findPython(flags.python ? String(flags.python) : undefined);
  if (!py) process.stderr.write('[conv-peers] PyTorch not found (optional peer): apt-get install -y python3-torch\n');
  const pairs = Number(flags.pairs ?? 0);
  if (pairs) {
    if (!py) throw new Error('--pairs needs the PyTorch peer (python3 with torch): apt-get install -y python3-torch');
    if (!Number.isInteger(pairs) || pairs < 2) throw new Error(`--pairs: expected an integer >= 2, got ${String(flags.pairs)}`);
    await runPairs({ batch, size, steps, rounds, threadList, pairs, py, outFile, ompWait: String(flags.ompWait ?? 'PASSIVE') });
    return;
  }
  const lines = [
    `COURIER cnn backbone (3x3 stride-2 convs ${CHANNELS.join('/')}, bias + ReLU, mean pool, head to ${DIM}), batch ${batch} images of ${size} px, forward + backward, no optimiser; ${os.cpus().length} cores, load at start ${os.loadavg()[0].toFixed(1)}; fastest of ${rounds} rounds of ${steps} steps; OMP_WAIT_POLICY ${String(flags.ompWait ?? 'PASSIVE')} on both sides`,
    '',
    '| threads | side | convolutions | formulation | images/s | step ms | forward ms | / PyTorch |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const report: Record<string, unknown>[] = [];
  for (const threads of threadList) {
    // OpenMP waits passively on both sides (our addon's default; PyTorch's is to spin, which on a
    // busy 2-core machine collapses at 2 threads). --ompWait active gives both the spinning default.
    const ompWait = String(flags.ompWait ?? 'PASSIVE');
    const env = sideEnv(threads, ompWait);
    const shape = { batch, size, steps, rounds };
    const ours = runOurs(shape, env);
    const torch = py ? runTorch(py, shape, threads, env) : null;
    report.push({ threads, ours, torch });
    const ref = torch ? (torch.imagesPerSecond as number) : null;
    for (const r of (ours?.results as Record<string, unknown>[]) ?? []) {
      if (r.kernelSeconds) {
        const k = r.kernelSeconds as Record<string, number>;
        lines.push(`| ${threads} | ours | ${r.conv} | kernels alone: forward ${f(k.forward * 1000)} ms, backprop input ${f(k.backpropInput * 1000)} ms, backprop filter ${f(k.backpropFilter * 1000)} ms${r.impl ? ` (${r.impl})` : ''} | | ${f((k.forward + k.backpropInput + k.backpropFilter) * 1000)} | ${f(k.forward * 1000)} | |`);
        continue;
      }
      lines.push(`| ${threads} | ours | ${r.conv} | ${r.formulation} | ${f(r.imagesPerSecond, 0)} | ${f((r.stepSeconds as number) * 1000)} | ${f((r.forwardSeconds as number) * 1000)} | ${ref ? `${f((r.imagesPerSecond as number) / ref, 2)}x` : '—'} |`);
    }
    if (torch) lines.push(`| ${threads} | PyTorch ${torch.torch} (mkldnn ${torch.mkldnn}) | PyTorch's (oneDNN) | nn.Conv2d + ReLU | ${f(torch.imagesPerSecond, 0)} | ${f((torch.stepSeconds as number) * 1000)} | ${f((torch.forwardSeconds as number) * 1000)} | 1x |`);
  }
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify({ date: new Date().toISOString(), batch, size, steps, cpus: os.cpus().length, load: os.loadavg(), runs: report, table: text }, null, 2)}\n`);
  process.stderr.write(`[conv-peers] wrote ${outFile}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
