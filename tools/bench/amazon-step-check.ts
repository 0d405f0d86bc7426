/**
 * One-step parity check of the amazon-bench models against the reference implementation
 * (MMRec, PyTorch), on a generated `tiny` MMRec-format folder (issue #23).
 *
 *   npx tsx tools/bench/amazon-step-check.ts [--models SLMRec,DualGNN,LATTICE,MGCN] [--out DIR]
 *       [--mmrec /path/to/MMRec] [--python /usr/bin/python3]
 *
 * For each model: builds it (seed 5), writes every trainable variable, one batch of 64 training
 * rows (+ negatives), the batch loss, the gradient of every variable and the scores of users
 * 0..9 over all items to DIR/<model>/ (.npy + meta.json), then the variables after --steps (3)
 * Adam steps on that batch. With --mmrec (a checkout of
 * enoche/MMRec) and a python3 that imports torch, tools/bench/amazon-peer/step_check.py then
 * builds MMRec's own model class on the same folder, loads those weights into it (DualGNN: also
 * the sampled user graph), and prints the loss, the largest gradient and score differences and
 * the largest weight difference after the same Adam steps (torch.optim.Adam, MMRec's weight_decay).
 * torch_geometric / torch_scatter are replaced by the small shims in amazon-peer/shim when
 * they are not installed. Optional: nothing in the tests depends on python.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { Rng, initBackend } from '@courier/runtime';
import { ModelParams, generateSynthetic, syntheticParams, loadMmrecDataset, getModel, sampleNegatives, MmrecAdam, writeNpy } from '@courier/amazon-bench';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  await initBackend({ log: () => {} });
  const models = flag('models', 'SLMRec,DualGNN,LATTICE,MGCN').split(',');
  const outRoot = flag('out', fs.mkdtempSync(path.join(os.tmpdir(), 'amazon-step-check-')));
  const mmrec = flag('mmrec', '');
  const python = flag('python', 'python3');
  const steps = Number(flag('steps', '3'));
  const root = path.join(outRoot, 'data');
  const name = 'tiny';
  if (!fs.existsSync(path.join(root, name, `${name}.inter`))) generateSynthetic(root, name, syntheticParams('tiny'));
  for (const model of models) {
    const entry = getModel(model);
    const ds = loadMmrecDataset({ root, name, modalities: entry.modalities });
    const out = path.join(outRoot, model);
    fs.mkdirSync(out, { recursive: true });
    // A non-zero reg so the regularisers are checked too.
    const params: ModelParams = { ...entry.defaults, reg: model === 'MGCN' ? 1e-4 : 0.01 };
    const m = entry.create(ds, params, new Rng(5));
    m.preEpoch?.(0);
    const B = 64;
    const users = ds.train.users.slice(0, B);
    const pos = ds.train.items.slice(0, B);
    const neg = sampleNegatives(ds, users, new Rng(9));
    writeNpy(path.join(out, 'batch.npy'), [...users, ...pos, ...neg], [3, B]);
    const vars = m.trainable();
    vars.forEach((v, i) => writeNpy(path.join(out, `w${i}.npy`), v.dataSync() as Float32Array, v.shape));
    const { value, grads } = tf.variableGrads(() => m.loss({ users, pos, neg }), vars);
    vars.forEach((v, i) => {
      const g = grads[v.name];
      writeNpy(path.join(out, `g${i}.npy`), g ? (g.dataSync() as Float32Array) : new Float32Array(v.size), v.shape);
    });
    tf.dispose(Object.values(grads));
    const s = m.scorer();
    const scores = await s.score(Int32Array.from({ length: 10 }, (_, i) => i));
    s.dispose();
    writeNpy(path.join(out, 'scores.npy'), scores, [10, ds.nItems]);
    // DualGNN: the epoch's sampled user graph as MMRec's (index [U, k], weight [U, k]).
    const ug = (m as unknown as { userGraph?: { src: Int32Array; dst: Int32Array; weight: Float32Array } }).userGraph;
    if (ug) {
      const k = Number(params.userGraphK);
      const idx = new Float32Array(ds.nUsers * k);
      const w = new Float32Array(ds.nUsers * k);
      const fill = new Int32Array(ds.nUsers);
      for (let e = 0; e < ug.src.length; e++) {
        const u = ug.dst[e];
        idx[u * k + fill[u]] = ug.src[e];
        w[u * k + fill[u]] = ug.weight[e];
        fill[u]++;
      }
      writeNpy(path.join(out, 'ugraph_idx.npy'), idx, [ds.nUsers, k]);
      writeNpy(path.join(out, 'ugraph_w.npy'), w, [ds.nUsers, k]);
    }
    const loss = (await value.data())[0];
    value.dispose();
    // Then `steps` Adam steps on the same batch (the trainer's step: weight decay, zero gradients
    // for unreached variables); LATTICE rebuilds its learned graph on the first of them only.
    if (model === 'LATTICE') m.preEpoch?.(1);
    const optimizer = new MmrecAdam(Number(params.lr), 0.9, 0.999, 1e-8, Number(params.weightDecay ?? 0));
    for (let s = 0; s < steps; s++) optimizer.step(() => m.loss({ users, pos, neg }), vars).dispose();
    optimizer.dispose();
    vars.forEach((v, i) => writeNpy(path.join(out, `s${i}.npy`), v.dataSync() as Float32Array, v.shape));
    fs.writeFileSync(path.join(out, 'meta.json'), JSON.stringify({ model, loss, steps, nVars: vars.length, params, nUsers: ds.nUsers, nItems: ds.nItems }));
    console.log(`${model}: ours loss ${loss.toFixed(6)}, ${vars.length} variables -> ${out}`);
    m.dispose();
  }
  if (!mmrec) {
    console.log('no --mmrec: reference side skipped');
    return;
  }
  const script = path.join(__dirname, 'amazon-peer', 'step_check.py');
  const r = spawnSync(python, [script, '--mmrec', mmrec, '--dump', outRoot, '--models', models.join(',')], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
