// pretrain: COURIER image-embedding pre-training, and the pre-training baselines as `pretrain
// baseline`. Commands, flags and config keys: `pretrain help` (PRETRAIN_STAGE in @courier/courier,
// BASELINE_STAGE in @courier/baselines; the command-line convention is runStageCli's).
import { runStageCli } from '@courier/runtime';
import { PRETRAIN_STAGE } from '@courier/courier';
import { BASELINE_STAGE } from '@courier/baselines';

void runStageCli(
  { ...PRETRAIN_STAGE, description: `${PRETRAIN_STAGE.description} (and the pre-training baselines)`, commands: { ...PRETRAIN_STAGE.commands, baseline: BASELINE_STAGE.commands.train } },
  process.argv.slice(2),
);
