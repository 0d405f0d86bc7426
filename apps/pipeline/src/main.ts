// pipeline: the whole COURIER pipeline on one world, end to end. Commands, flags and config keys:
// `pipeline help` (PIPELINE_CLI in ./definition; the command-line convention is runStageCli's).
import { runStageCli } from '@courier/runtime';
import { PIPELINE_CLI } from './definition';

void runStageCli(PIPELINE_CLI, process.argv.slice(2));
