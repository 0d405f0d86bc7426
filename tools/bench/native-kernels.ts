// Benchmark of the BLAS-backed native tfjs kernels against the cpu and wasm backends.
//
//   npx tsx tools/bench/native-kernels.ts                 # full table (cpu, wasm, native)
//   npx tsx tools/bench/native-kernels.ts --backends native,wasm --quick
//   npx tsx tools/bench/native-kernels.ts --profile       # per-kernel time of training steps
//
// Prints GFLOP/s for tf.matMul and tf.conv2d, and samples/s for small training steps (MLP,
// CNN, attention block) run through tf.train.adam. The pure-JS cpu backend is slow enough
// that its large cases get one timed repetition.
import * as os from 'node:os';

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import { nativeKernelsStatus, registerNativeBackend } from '@courier/native-kernels';

type Backend = 'cpu' | 'wasm' | 'native';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('quick');
const backends = (option('backends') ?? 'cpu,wasm,native').split(',') as Backend[];
for (const b of backends) {
  if (!['cpu', 'wasm', 'native'].includes(b)) throw new Error(`--backends: unknown backend "${b}" (cpu, wasm, native)`);
}

/** Seconds per call: one warm-up (skipped when a call is slow), then repeat until ~minSeconds. */
function timeIt(fn: () => void, minSeconds = quick ? 0.3 : 1): number {
  let t0 = performance.now();
  fn();
  let first = (performance.now() - t0) / 1000;
  if (first > minSeconds) return first;
  let reps = 0;
  t0 = performance.now();
  do {
    fn();
    reps++;
  } while ((performance.now() - t0) / 1000 < minSeconds);
  return (performance.now() - t0) / 1000 / reps;
}

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

// --- models --------------------------------------------------------------------------------

interface StepBench {
  name: string;
  batch: number;
  /** Builds variables + data on the current backend; returns one training step. */
  setup(): { step: () => void; dispose: () => void };
}

function denseInit(inDim: number, outDim: number, seed: number) {
  return {
    w: tf.variable(tf.randomNormal([inDim, outDim], 0, Math.sqrt(2 / inDim), 'float32', seed)),
    b: tf.variable(tf.zeros([outDim])),
  };
}

function convInit(fh: number, fw: number, inC: number, outC: number, seed: number) {
  return {
    w: tf.variable(tf.randomNormal([fh, fw, inC, outC], 0, Math.sqrt(2 / (fh * fw * inC)), 'float32', seed)),
    b: tf.variable(tf.zeros([outC])),
  };
}

function trainer(vars: tf.Variable[], loss: () => tf.Scalar) {
  const optimizer = tf.train.adam(1e-3);
  return {
    step: () => {
      const cost = optimizer.minimize(loss, true, vars);
      cost?.dataSync();
      cost?.dispose();
    },
    dispose: () => {
      optimizer.dispose();
      vars.forEach((v) => v.dispose());
    },
  };
}

const MLP: StepBench = {
  name: 'MLP 784-512-256-10, batch 128',
  batch: 128,
  setup() {
    const l1 = denseInit(784, 512, 1);
    const l2 = denseInit(512, 256, 2);
    const l3 = denseInit(256, 10, 3);
    const x = seeded([128, 784], 4);
    const y = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32', 5), 10);
    const t = trainer([l1.w, l1.b, l2.w, l2.b, l3.w, l3.b], () => {
      const h1 = tf.relu(tf.matMul(x, l1.w).add(l1.b));
      const h2 = tf.relu(tf.matMul(h1, l2.w).add(l2.b));
      const logits = tf.matMul(h2, l3.w).add(l3.b);
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    });
    return { step: t.step, dispose: () => (t.dispose(), x.dispose(), y.dispose()) };
  },
};

const CNN: StepBench = {
  name: 'CNN 32x32x3 conv16-conv32/2-conv64/2-dense10, batch 32',
  batch: 32,
  setup() {
    const c1 = convInit(3, 3, 3, 16, 11);
    const c2 = convInit(3, 3, 16, 32, 12);
    const c3 = convInit(3, 3, 32, 64, 13);
    const d = denseInit(8 * 8 * 64, 10, 14);
    const x = seeded([32, 32, 32, 3], 15);
    const y = tf.oneHot(tf.randomUniform([32], 0, 10, 'int32', 16), 10);
    const t = trainer([c1.w, c1.b, c2.w, c2.b, c3.w, c3.b, d.w, d.b], () => {
      const h1 = tf.relu(tf.conv2d(x as tf.Tensor4D, c1.w as tf.Tensor4D, 1, 'same').add(c1.b));
      const h2 = tf.relu(tf.conv2d(h1 as tf.Tensor4D, c2.w as tf.Tensor4D, 2, 'same').add(c2.b));
      const h3 = tf.relu(tf.conv2d(h2 as tf.Tensor4D, c3.w as tf.Tensor4D, 2, 'same').add(c3.b));
      const logits = tf.matMul(h3.reshape([32, -1]), d.w).add(d.b);
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    });
    return { step: t.step, dispose: () => (t.dispose(), x.dispose(), y.dispose()) };
  },
};

const ATTENTION: StepBench = {
  name: 'attention block T=32 D=64 (4 heads) + MLP, batch 32',
  batch: 32,
  setup() {
    const B = 32, T = 32, D = 64, H = 4;
    const q = denseInit(D, D, 21), k = denseInit(D, D, 22), v = denseInit(D, D, 23), o = denseInit(D, D, 24);
    const f1 = denseInit(D, 4 * D, 25), f2 = denseInit(4 * D, D, 26), head = denseInit(D, 10, 27);
    const x = seeded([B, T, D], 28);
    const y = tf.oneHot(tf.randomUniform([B], 0, 10, 'int32', 29), 10);
    const split = (t: tf.Tensor) => t.reshape([B, T, H, D / H]).transpose([0, 2, 1, 3]);
    const vars = [q, k, v, o, f1, f2, head].flatMap((l) => [l.w, l.b]);
    const t = trainer(vars, () => {
      const flat = x.reshape([B * T, D]);
      const qh = split(tf.matMul(flat, q.w).add(q.b));
      const kh = split(tf.matMul(flat, k.w).add(k.b));
      const vh = split(tf.matMul(flat, v.w).add(v.b));
      const att = tf.softmax(tf.matMul(qh, kh, false, true).mul(1 / Math.sqrt(D / H)));
      const ctx = tf.matMul(att, vh).transpose([0, 2, 1, 3]).reshape([B * T, D]);
      const h = flat.add(tf.matMul(ctx, o.w).add(o.b));
      const ff = h.add(tf.matMul(tf.relu(tf.matMul(h, f1.w).add(f1.b)), f2.w).add(f2.b));
      const pooled = ff.reshape([B, T, D]).mean(1);
      const logits = tf.matMul(pooled, head.w).add(head.b);
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    });
    return { step: t.step, dispose: () => (t.dispose(), x.dispose(), y.dispose()) };
  },
};

const STEPS = [MLP, CNN, ATTENTION];

// --- benches -------------------------------------------------------------------------------

const MATMUL_SIZES = quick ? [256, 512] : [256, 512, 1024];
const CONVS: { name: string; x: [number, number, number, number]; f: [number, number, number, number]; stride: number }[] = [
  { name: 'conv 32x32x16 -> 32, 3x3, batch 32', x: [32, 32, 32, 16], f: [3, 3, 16, 32], stride: 1 },
  { name: 'conv 16x16x64 -> 64, 3x3, batch 16', x: [16, 16, 16, 64], f: [3, 3, 64, 64], stride: 1 },
  { name: 'conv 64x64x3 -> 32, 5x5/2, batch 8', x: [8, 64, 64, 3], f: [5, 5, 3, 32], stride: 2 },
];

type Row = { label: string; unit: string; values: Partial<Record<Backend, number | string>> };
const notes: string[] = [];

/** Runs one measurement; a backend that cannot run it (missing kernel) gets 'n/a' and a note. */
function measure(label: string, unit: string, backend: Backend, fn: () => number): void {
  try {
    row(label, unit).values[backend] = fn();
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    row(label, unit).values[backend] = 'n/a';
    notes.push(`${backend}, ${label}: ${message}`);
    tf.disposeVariables();
  }
}
const rows: Row[] = [];
const row = (label: string, unit: string) => {
  let r = rows.find((x) => x.label === label);
  if (!r) rows.push((r = { label, unit, values: {} }));
  return r;
};

function benchBackend(backend: Backend): void {
  for (const n of MATMUL_SIZES) {
    measure(`matmul ${n}x${n}x${n}`, 'GFLOP/s', backend, () => {
      const a = seeded([n, n], 1);
      const b = seeded([n, n], 2);
      // tidy must return nothing: it walks a returned typed array element by element.
      const s = timeIt(() => tf.tidy(() => void tf.matMul(a, b).dataSync()));
      a.dispose();
      b.dispose();
      return (2 * n ** 3) / s / 1e9;
    });
  }
  for (const c of CONVS) {
    measure(c.name, 'GFLOP/s', backend, () => {
      const x = seeded(c.x, 3) as tf.Tensor4D;
      const f = seeded(c.f, 4) as tf.Tensor4D;
      const out = tf.tidy(() => tf.conv2d(x, f, c.stride, 'same').shape);
      const flops = 2 * out[0] * out[1] * out[2] * out[3] * c.f[0] * c.f[1] * c.f[2];
      const s = timeIt(() => tf.tidy(() => void tf.conv2d(x, f, c.stride, 'same').dataSync()));
      x.dispose();
      f.dispose();
      return flops / s / 1e9;
    });
  }
  for (const bench of STEPS) {
    measure(`train step: ${bench.name}`, 'samples/s', backend, () => {
      const { step, dispose } = bench.setup();
      try {
        return bench.batch / timeIt(step, quick ? 0.5 : 2);
      } finally {
        dispose();
      }
    });
  }
}

/** Wraps every kernel of `backend` with a timer and reports where training steps spend time. */
async function profile(backend: Backend): Promise<void> {
  const totals = new Map<string, { ms: number; calls: number }>();
  for (const config of tf.getKernelsForBackend(backend)) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const t0 = performance.now();
        const out = inner(args);
        const entry = totals.get(config.kernelName) ?? { ms: 0, calls: 0 };
        entry.ms += performance.now() - t0;
        entry.calls++;
        totals.set(config.kernelName, entry);
        return out;
      },
    });
  }
  await tf.setBackend(backend);
  for (const bench of STEPS) {
    const { step, dispose } = bench.setup();
    step();
    totals.clear();
    const reps = 3;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) step();
    const wall = (performance.now() - t0) / reps;
    dispose();
    const sorted = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
    const inKernels = sorted.reduce((s, [, e]) => s + e.ms, 0) / reps;
    console.log(`\n${backend}: ${bench.name}: ${wall.toFixed(1)} ms/step, ${inKernels.toFixed(1)} ms in kernels`);
    for (const [name, e] of sorted.slice(0, 12)) {
      console.log(`  ${name.padEnd(24)} ${(e.ms / reps).toFixed(2).padStart(8)} ms  ${String(e.calls / reps).padStart(4)} calls  ${((100 * e.ms) / reps / wall).toFixed(1).padStart(5)}%`);
    }
  }
}

function printTable(): void {
  const cols: Backend[] = backends;
  const fmt = (v: number | string | undefined) =>
    v === undefined ? '-' : typeof v === 'string' ? v : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  const width = Math.max(...rows.map((r) => r.label.length)) + 2;
  const header = ['benchmark'.padEnd(width), 'unit'.padEnd(10), ...cols.map((c) => c.padStart(9))];
  if (cols.includes('native') && cols.includes('wasm')) header.push('native/wasm'.padStart(12));
  console.log(header.join(''));
  console.log('-'.repeat(header.join('').length));
  for (const r of rows) {
    const cells = [r.label.padEnd(width), r.unit.padEnd(10), ...cols.map((c) => fmt(r.values[c]).padStart(9))];
    if (cols.includes('native') && cols.includes('wasm')) {
      const num = (v: number | string | undefined) => (typeof v === 'number' ? v : NaN);
      const ratio = num(r.values.native) / num(r.values.wasm);
      cells.push((Number.isFinite(ratio) ? `${ratio.toFixed(1)}x` : '-').padStart(12));
    }
    console.log(cells.join(''));
  }
  for (const note of notes) console.log(`note: ${note}`);
}

async function main(): Promise<void> {
  const status = nativeKernelsStatus();
  if (backends.includes('native')) {
    if (!status.available) throw new Error(status.reason);
    registerNativeBackend({});
  }
  const threads = nativeKernelsStatus().threads;
  console.log(`native kernels: ${status.available ? `${status.blas}, ${threads} BLAS threads` : status.reason}`);
  // Shared hosts: numbers scale with the share of the cores this process gets.
  const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`host: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, load average ${load()}`);
  process.on('exit', () => console.log(`load average at the end: ${load()}`));
  if (flag('profile')) {
    for (const b of backends) await profile(b);
    return;
  }
  for (const b of backends) {
    if (!(await tf.setBackend(b))) throw new Error(`backend ${b} did not initialise`);
    await tf.ready();
    const t0 = performance.now();
    benchBackend(b);
    console.error(`[bench] ${b} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  console.log('');
  printTable();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
