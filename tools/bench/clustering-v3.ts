/**
 * V3 (spec §9, paper Table 1 replication, benchmark not test): K = 2 centres with s = 1000
 * equal non-zeros (unit norm), σ = 0.002, 10,000 points per centre, d = 20,000. The paper's
 * hierarchical init on ⌈5K ln n⌉ random points must land inside the convergence radius:
 * Δ_1 < Δ_max (paper: 0.097 vs 0.474). Then the single pass with λ_1 = 'auto'.
 *
 *   npx tsx tools/bench/clustering-v3.ts [--perCentre 10000] [--d 20000]
 */
import { fitSinglePass } from '@courier/clustering';
import { matchCentres, sparseMixture } from '@courier/clustering/testing';
import { parseCliArgs } from '@courier/runtime';

async function main(): Promise<void> {
  const { flags } = parseCliArgs(process.argv.slice(2));
  const k = 2;
  const s = 1000;
  const sigma = 0.002;
  const d = Number(flags.d ?? 20000);
  const n = k * Number(flags.perCentre ?? 10000);
  const t0 = performance.now();
  const data = await sparseMixture({ n, d, k, s, sigma, seed: 2014 });
  const genSeconds = (performance.now() - t0) / 1000;
  let rho = 0;
  for (let j = 0; j < d; j++) rho += data.means[j] * data.means[d + j];
  const deltaMax = (1 - rho) / 2 - sigma * Math.sqrt(5 * Math.log(3 * k));
  const t1 = performance.now();
  const r = await fitSinglePass(data.x, n, d, { k, seed: 7, init: 'hierarchical', lambda1: 'auto', keepHistory: true, tMin: 20 });
  const fitSeconds = (performance.now() - t1) / 1000;
  const delta1 = matchCentres(r.initCentres, data.means, k, d).maxError;
  const final = matchCentres(r.centres, data.means, k, d).maxError;
  const perEpoch = r.history!.map((c) => +matchCentres(c, data.means, k, d).maxError.toFixed(4));
  const out = { n, d, k, s, sigma, initRows: r.initRows, rho, deltaMax, delta1, insideRadius: delta1 < deltaMax, lambda1: r.lambda1, epochs: r.epochs, perEpochError: perEpoch, finalError: final, genSeconds, fitSeconds, initSeconds: r.initSeconds };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
