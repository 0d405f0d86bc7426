// cluster: cluster ids for item embeddings. Commands, flags and config keys: `cluster help`
// (CLUSTER_STAGE in @courier/clustering; the command-line convention is runStageCli's).
import { runStageCli } from '@courier/runtime';
import { CLUSTER_STAGE } from '@courier/clustering';

void runStageCli(CLUSTER_STAGE, process.argv.slice(2));
