// ctr: the downstream CTR evaluation of image features. Commands, flags and config keys: `ctr help`
// (CTR_STAGE in @courier/ctr; the command-line convention is runStageCli's).
import { runStageCli } from '@courier/runtime';
import { CTR_STAGE } from '@courier/ctr';

void runStageCli(CTR_STAGE, process.argv.slice(2));
