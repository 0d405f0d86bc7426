// Worker-thread entry for one shard of the estimation pass (loaded through tsx, see pool.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { AssignRule, nearestBlockJs, ruleBias } from './kernels';
import { accumulateRows } from './shard';

interface Init {
  x: SharedArrayBuffer;
  d: number;
  readCounts: SharedArrayBuffer | null;
}
interface EpochJob {
  centres: Float32Array;
  k: number;
  rule: AssignRule;
  rows: Int32Array;
}

const init = workerData as Init;
const x = new Float32Array(init.x);
const readCounts = init.readCounts ? new Int32Array(init.readCounts) : null;

parentPort!.on('message', (job: EpochJob) => {
  try {
    const bias = ruleBias(job.centres, job.k, init.d, job.rule);
    const nearest = (xs: Float32Array, rows: Int32Array, out: Int32Array, count: number): void =>
      nearestBlockJs(xs, rows, 0, count, job.centres, job.k, init.d, bias, out);
    const { sums, counts } = accumulateRows(x, init.d, job.rows, nearest, job.k, readCounts);
    parentPort!.postMessage({ ok: true, hi: sums.hi, lo: sums.lo, counts: sums.counts, stats: counts }, [sums.hi.buffer as ArrayBuffer, sums.lo.buffer as ArrayBuffer, sums.counts.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
  }
});
