/**
 * The native addon's threaded elementwise/reduction kernels on vs off (issue #21), in ONE process:
 * the COURIER cnn backbone step (3x3 stride-2 convs 3 -> 16 -> 32 -> 64 with bias + ReLU, mean
 * pool, head to 256; the same step as conv-peers.ts) at a given thread count, alternating the two
 * settings round by round so that the host's load drifts affect both alike.
 *
 *   COURIER_THREADS=2 npx tsx tools/bench/parallel-kernels-ab.ts [--batch 361] [--rounds 12] [--steps 6]
 *
 * Prints the median and fastest step time of each setting and their ratio. At COURIER_THREADS=1
 * both settings run the same serial code, so that run measures the host's noise.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, parseCliArgs } from '@courier/runtime';
import { PARALLEL_KERNEL_MIN_ELEMS } from '@courier/native-kernels';
import { requireAddon, seededFloats } from '@courier/native-kernels/testing';

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const batch = Number(flags.batch ?? 361);
  const rounds = Number(flags.rounds ?? 12);
  const steps = Number(flags.steps ?? 6);
  await initBackend({ log: () => undefined });
  if (tf.getBackend() !== 'native') throw new Error(`the native backend is not available (got ${tf.getBackend()}): npm run build:native`);
  const addon = requireAddon();
  if (!addon.setParallelElems) throw new Error('this addon build has no threaded elementwise kernels: npm run build:native');
  const size = 32;
  const x = tf.tensor4d(seededFloats(1, batch * size * size * 3), [batch, size, size, 3]);
  const vars: tf.Variable[] = [];
  let cin = 3;
  const convs = [16, 32, 64].map((c, i) => {
    const w = tf.variable(tf.tensor4d(seededFloats(10 + i, 9 * cin * c, Math.sqrt(2 / (9 * cin))), [3, 3, cin, c]));
    const b = tf.variable(tf.zeros([c]));
    vars.push(w, b);
    cin = c;
    return { w, b };
  });
  const head = tf.variable(tf.tensor2d(seededFloats(20, cin * 256, Math.sqrt(1 / cin)), [cin, 256]));
  vars.push(head);
  const forward = () => {
    let h: tf.Tensor4D = x;
    for (const c of convs) h = tf.relu(tf.add(tf.conv2d(h, c.w as tf.Tensor4D, 2, 'same'), c.b)) as tf.Tensor4D;
    return tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, head);
  };
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(forward())) as tf.Scalar, vars);
    value.dataSync();
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
  };
  const times: Record<'on' | 'off', number[]> = { on: [], off: [] };
  for (let r = 0; r < rounds; r++) {
    for (const setting of r % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      addon.setParallelElems(PARALLEL_KERNEL_MIN_ELEMS[setting]);
      step(); // warm-up after the switch
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) step();
      times[setting].push((performance.now() - t0) / steps);
    }
  }
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
  const row = (s: 'on' | 'off') => `${s}: median ${median(times[s]).toFixed(1)} ms, fastest ${Math.min(...times[s]).toFixed(1)} ms`;
  console.log(`cnn backbone step, batch ${batch}, ${addon.getThreads()} thread(s), ${rounds} alternating rounds of ${steps} steps`);
  console.log(row('on'));
  console.log(row('off'));
  console.log(`off / on (median step time): ${(median(times.off) / median(times.on)).toFixed(3)} (below 1: the threaded kernels cost time)`);
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
