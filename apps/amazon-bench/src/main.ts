// amazon-bench: the Amazon-format benchmark with and without COURIER features. Commands, flags and
// config keys: `amazon-bench help` (amazonBenchStage in @courier/amazon-bench, given COURIER's loss).
import { amazonBenchStage } from '@courier/amazon-bench';
import { DEFAULT_LOSS_OPTIONS, courierLoss } from '@courier/courier';
import { runStageCli } from '@courier/runtime';

void runStageCli(amazonBenchStage({ defaultOptions: DEFAULT_LOSS_OPTIONS, loss: courierLoss }), process.argv.slice(2));
