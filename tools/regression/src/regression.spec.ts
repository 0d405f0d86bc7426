import * as os from 'node:os';
import * as path from 'node:path';
import { QUALITY_RULES, compareWithBaseline, readBaseline, runRegression } from './suite';

describe('regression comparison rules', () => {
  const baseline = readBaseline();

  it('the committed baseline has every quality metric', () => {
    for (const key of Object.keys(QUALITY_RULES)) expect(typeof baseline.quality[key]).toBe('number');
    expect(baseline.quality.goldenViolations).toBe(0);
  });

  it('passes the baseline itself and fails the planted regressions', () => {
    expect(compareWithBaseline(baseline, baseline).failures).toEqual([]);
    // A broken loss (e.g. the UCS sign flipped) shows up as golden violations.
    expect(compareWithBaseline({ ...baseline, quality: { ...baseline.quality, goldenViolations: 3 } }, baseline).failures.join()).toMatch(/goldenViolations/);
    // Collapsed embeddings (e.g. tau x 100 leaves nothing to contrast) lose spread and neighbour agreement.
    const collapsed = { ...baseline.quality, embeddingSpread: baseline.quality.embeddingSpread * 0.1, hueAgreementLift: 0 };
    expect(compareWithBaseline({ ...baseline, quality: collapsed }, baseline).failures.join()).toMatch(/embeddingSpread[\s\S]*hueAgreementLift|hueAgreementLift[\s\S]*embeddingSpread/);
    const worseCtr = { ...baseline.quality, courierDeltaAuc: baseline.quality.courierDeltaAuc - 0.05 };
    expect(compareWithBaseline({ ...baseline, quality: worseCtr }, baseline).failures.join()).toMatch(/courierDeltaAuc/);
  });

  it('reports speed as ratios against the baseline without failing', () => {
    const slower = { ...baseline, speed: { ...baseline.speed, trainSamplesPerSecond: baseline.speed.trainSamplesPerSecond / 2, clusterFitSeconds: baseline.speed.clusterFitSeconds * 2 } };
    const cmp = compareWithBaseline(slower, baseline);
    expect(cmp.failures).toEqual([]);
    expect(cmp.speedRatios.trainSamplesPerSecond).toBeCloseTo(0.5, 6);
    expect(cmp.speedRatios.clusterFitSeconds).toBeCloseTo(0.5, 6);
  });
});

// The quality part of the regression suite: the whole pipeline on the fixed world, in CI too.
describe('regression suite (quality)', () => {
  it('stays within the tolerances of the committed baseline', async () => {
    const result = await runRegression({ outDir: path.join(os.tmpdir(), `courier-regression-${process.pid}`), log: () => undefined });
    const cmp = compareWithBaseline(result, readBaseline());
    process.stdout.write(`${cmp.lines.join('\n')}\n`);
    expect(cmp.failures).toEqual([]);
  });
});
