// experiments: the paper's comparisons as suites (run, list, render DIR). Commands, flags and config
// keys: `experiments help` (EXPERIMENTS_CLI in ./definition; the command-line convention is runStageCli's).
import { runStageCli } from '@courier/runtime';
import { EXPERIMENTS_CLI } from './definition';

void runStageCli(EXPERIMENTS_CLI, process.argv.slice(2));
