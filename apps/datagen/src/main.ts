// datagen: a synthetic world, or one as a bring-your-own-data folder. Commands, flags and config
// keys: `datagen help [--preset P]` (DATAGEN_STAGE in @courier/world; the convention is runStageCli's).
import { runStageCli } from '@courier/runtime';
import { DATAGEN_STAGE } from '@courier/world';

void runStageCli(DATAGEN_STAGE, process.argv.slice(2));
