import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { SumsState } from './accumulate';
import { AssignRule } from './kernels';
import { ShardCounts } from './shard';

/**
 * A fixed set of worker threads, one per shard, sharing the data through a SharedArrayBuffer.
 * Workers load the TypeScript entry through tsx's CommonJS hook, so this works under tsx and jest.
 */
export class ShardPool {
  private readonly workers: Worker[];

  constructor(shards: number, x: SharedArrayBuffer, d: number, readCounts: SharedArrayBuffer | null) {
    const tsx = require.resolve('tsx/cjs');
    const entry = path.join(__dirname, 'shard-worker.ts');
    const boot = `require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`;
    this.workers = Array.from({ length: shards }, () => new Worker(boot, { eval: true, workerData: { x, d, readCounts } }));
  }

  /** Runs one epoch: shard s gets rowsPerShard[s]; results come back in shard order. */
  async epoch(centres: Float32Array, k: number, rule: AssignRule, rowsPerShard: Int32Array[]): Promise<{ sums: SumsState; counts: ShardCounts }[]> {
    return Promise.all(
      this.workers.map(
        (w, s) =>
          new Promise<{ sums: SumsState; counts: ShardCounts }>((resolve, reject) => {
            const onMessage = (msg: { ok: boolean; error?: string; hi: Float64Array; lo: Float64Array; counts: Float64Array; stats: ShardCounts }): void => {
              w.off('error', onError);
              if (!msg.ok) reject(new Error(`shard ${s}: ${msg.error}`));
              else resolve({ sums: { k, d: centres.length / k, hi: msg.hi, lo: msg.lo, counts: msg.counts }, counts: msg.stats });
            };
            const onError = (err: Error): void => {
              w.off('message', onMessage);
              reject(new Error(`shard ${s} worker failed: ${err.message}`));
            };
            w.once('message', onMessage);
            w.once('error', onError);
            w.postMessage({ centres, k, rule, rows: rowsPerShard[s] });
          }),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
