/** The pre-training loss per step, for the pipeline's report.html (issue #22). */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const LOSS_CURVE_FILE = 'loss-curve.json';

export interface LossCurve {
  /** Optimiser step of each loss (1-based). */
  steps: number[];
  loss: number[];
  /** Where the losses come from: this run's steps, or only the last steps a checkpoint kept. */
  source: 'steps' | 'checkpoint-history';
}

/** The run's recorded curve, else the last steps a checkpoint kept (when the run recorded no curve of its own). */
export function lossCurveOf(pretrainDir: string, checkpointHistory: () => { step: number; lossHistory: number[] } | null): LossCurve | null {
  const file = path.join(pretrainDir, LOSS_CURVE_FILE);
  if (fs.existsSync(file)) {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as LossCurve;
    } catch {
      // fall through to the checkpoint
    }
  }
  const h = checkpointHistory();
  if (!h || h.lossHistory.length === 0) return null;
  const first = h.step - h.lossHistory.length + 1;
  return { steps: h.lossHistory.map((_, i) => first + i), loss: h.lossHistory, source: 'checkpoint-history' };
}
