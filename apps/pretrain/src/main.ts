// pretrain: COURIER image-embedding pre-training. Commands, flags and config keys: `pretrain help`
// (PRETRAIN_STAGE in @courier/courier; the command-line convention is runStageCli's).
import { runStageCli } from '@courier/runtime';
import { PRETRAIN_STAGE } from '@courier/courier';

void runStageCli(PRETRAIN_STAGE, process.argv.slice(2));
