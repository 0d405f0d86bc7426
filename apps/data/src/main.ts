// data: pre-training and CTR samples from raw logs. Commands, flags and config keys: `data help`
// (DATA_STAGE in @courier/data-builder; the command-line convention is runStageCli's).
import { runStageCli } from '@courier/runtime';
import { DATA_STAGE } from '@courier/data-builder';

void runStageCli(DATA_STAGE, process.argv.slice(2));
