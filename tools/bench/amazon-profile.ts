// Where a training step of an amazon-bench model spends its time (issue #23): kernel times by
// name (tf.profile over the trainer's step: forward, backward and MmrecAdam), plus an
// unprofiled wall-time split per step: batch building + negative sampling, forward+backward
// (tf.variableGrads alone), whole step (MmrecAdam.step: gradients + update).
//   npx tsx tools/bench/amazon-profile.ts [--preset small] [--models BPR,BM3,MMGCN] [--steps 6]
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { Batch, MmrecAdam, generateSynthetic, getModel, loadMmrecDataset, sampleNegatives, syntheticParams, SyntheticPreset } from '@courier/amazon-bench';
import { Rng, initBackend, parseCliArgs } from '@courier/runtime';

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const preset = String(flags.preset ?? 'small') as SyntheticPreset;
  const models = String(flags.models ?? 'BPR,BM3,MMGCN').split(',');
  const steps = Number(flags.steps ?? 6);
  const root = String(flags.data ?? path.join(os.tmpdir(), 'amazon-bench-data'));
  const name = `synthetic-${preset}-courier`;
  await initBackend({ log: () => {} });
  if (!fs.existsSync(path.join(root, name, `${name}.inter`))) generateSynthetic(root, name, syntheticParams(preset, { seed: 0, split: 'courier' }));
  for (const model of models) {
    const entry = getModel(model);
    const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
    const rng = new Rng(999);
    const m = entry.create(ds, entry.defaults, rng.fork('model'));
    const opt = new MmrecAdam(Number(entry.defaults.lr), 0.9, 0.999, 1e-8, Number(entry.defaults.weightDecay ?? 0));
    const vars = m.trainable();
    const n = Math.min(2048, ds.train.users.length);
    const makeBatch = (): Batch => {
      const idx = Array.from({ length: n }, () => rng.int(ds.train.users.length));
      const users = Int32Array.from(idx, (r) => ds.train.users[r]);
      const pos = Int32Array.from(idx, (r) => ds.train.items[r]);
      return { users, pos, neg: m.needsNegatives ? sampleNegatives(ds, users, rng) : undefined };
    };
    opt.step(() => m.loss(makeBatch()), vars).dispose(); // warm-up
    const w = { batch: 0, grads: 0, step: 0 };
    for (let s = 0; s < steps; s++) {
      const t0 = performance.now();
      const batch = makeBatch();
      const t1 = performance.now();
      const { value, grads } = tf.variableGrads(() => m.loss(batch), vars);
      await value.data();
      tf.dispose([value, ...Object.values(grads)]);
      const t2 = performance.now();
      const loss = opt.step(() => m.loss(batch), vars);
      await loss.data();
      loss.dispose();
      const t3 = performance.now();
      w.batch += t1 - t0;
      w.grads += t2 - t1;
      w.step += t3 - t2;
    }
    const per = (x: number) => (x / steps).toFixed(1);
    console.log(`${model}: unprofiled ms per step: batch+negatives ${per(w.batch)}, forward+backward ${per(w.grads)}, whole step (incl. Adam) ${per(w.step)}`);
    const kernels = new Map<string, { ms: number; calls: number }>();
    for (let s = 0; s < steps; s++) {
      const batch = makeBatch();
      const prof = await tf.profile(() => {
        opt.step(() => m.loss(batch), vars).dispose();
        return [];
      });
      for (const k of prof.kernels) {
        const e = kernels.get(k.name) ?? { ms: 0, calls: 0 };
        e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        e.calls++;
        kernels.set(k.name, e);
      }
    }
    const top = [...kernels.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(flags.top ?? 15));
    for (const [k, e] of top) console.log(`  ${k.padEnd(28)} ${(e.ms / steps).toFixed(2).padStart(8)} ms/step  ${(e.calls / steps).toFixed(0).padStart(5)} calls/step`);
    const totalCalls = [...kernels.values()].reduce((a, e) => a + e.calls, 0) / steps;
    const totalMs = [...kernels.values()].reduce((a, e) => a + e.ms, 0) / steps;
    console.log(`  total kernel time ${totalMs.toFixed(1)} ms/step (profiled), ${totalCalls.toFixed(0)} kernels/step ("forward" = a custom-gradient op's forward)`);
    opt.dispose();
    m.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
