/**
 * ctr-proxy: what a logistic regression reaches on a world's CTR samples with hand-made features
 * of the hidden look, as a reference for the CTR model's headroom shares (issue #16).
 *
 *   npx tsx tools/bench/ctr-proxy.ts --run runs/demo-seed1 [--history 50]
 *
 * Exports the run's ctr-samples, click-truth and oracle-clusters to CSV with DuckDB, then runs
 * tools/bench/peers/ctr_lr_proxy.py (Debian's python3-sklearn and python3-pandas; optional, like
 * every peer) which fits scikit-learn's LogisticRegression on the training days and prints AUC /
 * GAUC on the evaluation day for: position, price, category and the shares of the user's earlier
 * clicks with the target's category and style (no look), plus the share with the target's exact
 * hue-region x pattern group (what the oracle cluster id's match features give), plus the shares
 * with its hue region and its pattern (what a model that learned the groups' structure could use).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback?: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const run = flag('run');
  if (!run) throw new Error('ctr-proxy: --run DIR is required (a pipeline run folder with world/ and samples/)');
  const history = flag('history', '50') as string;
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const probe = spawnSync(python, ['-c', 'import sklearn, pandas'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    process.stdout.write('ctr-proxy: scikit-learn / pandas not found; install python3-sklearn python3-pandas (Debian) to run this peer\n');
    return;
  }
  const files = { samples: 'samples/ctr-samples.parquet', truth: 'world/click-truth.parquet', oracle: 'world/oracle-clusters.parquet', gt: 'world/ground-truth.json' };
  for (const f of Object.values(files)) if (!fs.existsSync(path.join(run, f))) throw new Error(`ctr-proxy: ${path.join(run, f)} is missing (needs a generated world's run folder)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ctr-proxy-'));
  try {
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    for (const [name, f] of Object.entries({ 'ctr-samples': files.samples, 'click-truth': files.truth, 'oracle-clusters': files.oracle })) {
      const src = path.join(run, f).replace(/'/g, "''");
      await con.run(`COPY (SELECT * FROM read_parquet('${src}')) TO '${path.join(tmp, `${name}.csv`)}' (HEADER)`);
    }
    const script = path.join(__dirname, 'peers', 'ctr_lr_proxy.py');
    const r = spawnSync(python, [script, path.join(run, files.gt), tmp, history], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`ctr-proxy: ${script} exited with ${r.status}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
