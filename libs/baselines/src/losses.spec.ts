import * as tf from '@tensorflow/tfjs';
import { Rng, initBackend } from '@courier/runtime';
import { clipLoss, cosineDistillLoss, maskedSigmoidCrossEntropy, ntXentLoss, simsiamLoss, stopGradient } from './losses';
import { Matrix, clipReference, ntXentReference, numericGradient, simsiamReference } from './loss-reference';

const randomMatrix = (rng: Rng, n: number, k: number): Matrix => Array.from({ length: n }, () => Array.from({ length: k }, () => rng.normal()));
const t2 = (m: Matrix) => tf.tensor2d(m);
const value = (s: tf.Scalar) => s.dataSync()[0];

function gradsOf(f: (...xs: tf.Tensor2D[]) => tf.Scalar, inputs: Matrix[]): Matrix[] {
  return tf.tidy(() => {
    const xs = inputs.map(t2);
    const g = tf.grads((...args: tf.Tensor[]) => f(...(args as tf.Tensor2D[])))(xs);
    return g.map((t) => t.arraySync() as Matrix);
  });
}

function expectClose(actual: Matrix, expected: Matrix, tol: number): void {
  let worst = 0;
  actual.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - expected[i][j])))));
  expect(worst).toBeLessThan(tol);
}

const maxAbs = (m: Matrix) => Math.max(...m.flat().map(Math.abs));

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe('baseline losses: hand-computed values', () => {
  it('NT-Xent of two identical orthonormal views at tau 1 is log(1 + 2/e)', () => {
    const z = [
      [1, 0],
      [0, 1],
    ];
    const expected = Math.log(1 + 2 / Math.E); // each row: positive cos 1, two competitors at cos 0
    expect(ntXentReference(z, z, 1)).toBeCloseTo(expected, 12);
    expect(value(ntXentLoss(t2(z), t2(z), 1))).toBeCloseTo(expected, 5);
  });

  it('symmetric InfoNCE of matched orthonormal pairs at tau 1 is log(1 + 1/e)', () => {
    const a = [
      [2, 0],
      [0, 3],
    ];
    const expected = Math.log(1 + 1 / Math.E);
    expect(clipReference(a, a, 1)).toBeCloseTo(expected, 12);
    expect(value(clipLoss(t2(a), t2(a), 1))).toBeCloseTo(expected, 5);
  });

  it('SimSiam loss: cos(p1, z2) = 0 and cos(p2, z1) = 1/sqrt(2) give -1/(2 sqrt(2))', () => {
    const p1 = [[1, 0]];
    const z2 = [[0, 1]];
    const p2 = [[1, 1]];
    const z1 = [[1, 0]];
    const expected = -1 / (2 * Math.SQRT2);
    expect(simsiamReference(p1, p2, z1, z2)).toBeCloseTo(expected, 12);
    expect(value(simsiamLoss(t2(p1), t2(p2), t2(z1), t2(z2)))).toBeCloseTo(expected, 6);
  });

  it('MaskCLIP distillation: rows at cos 1, 0 and -1 give 1 - 0 = 1; no gradient reaches the target', () => {
    const pred = [
      [2, 0],
      [0, 1],
      [-1, 0],
    ];
    const target = [
      [1, 0],
      [1, 0],
      [3, 0],
    ];
    expect(value(cosineDistillLoss(t2(pred), t2(target)))).toBeCloseTo(1 - (1 + 0 - 1) / 3, 6);
    const [gPred, gTarget] = gradsOf((p, t) => cosineDistillLoss(p, t), [pred, target]);
    expect(maxAbs(gTarget)).toBe(0);
    // Row 1 (cos 0, |p| = 1): d(-cos)/dp = -(t/|t| - cos p/|p|)/|p| / 3 = [-1/3, 0].
    expect(gPred[1][0]).toBeCloseTo(-1 / 3, 5);
    expect(gPred[1][1]).toBeCloseTo(0, 6);
  });
});

describe('baseline losses against the float64 references (values and gradients)', () => {
  const rng = new Rng(11);
  const n = 5;
  const k = 4;

  it('NT-Xent: value and gradient w.r.t. both views', () => {
    const z1 = randomMatrix(rng, n, k);
    const z2 = randomMatrix(rng, n, k);
    for (const tau of [0.2, 0.5]) {
      expect(value(ntXentLoss(t2(z1), t2(z2), tau))).toBeCloseTo(ntXentReference(z1, z2, tau), 4);
      const [g1, g2] = gradsOf((a, b) => ntXentLoss(a, b, tau), [z1, z2]);
      expectClose(g1, numericGradient((x) => ntXentReference(x, z2, tau), z1), 2e-4);
      expectClose(g2, numericGradient((x) => ntXentReference(z1, x, tau), z2), 2e-4);
    }
  });

  it('symmetric InfoNCE: value and gradient w.r.t. image and text', () => {
    const a = randomMatrix(rng, n, k);
    const b = randomMatrix(rng, n, k);
    const tau = 0.1;
    expect(value(clipLoss(t2(a), t2(b), tau))).toBeCloseTo(clipReference(a, b, tau), 4);
    const [ga, gb] = gradsOf((x, y) => clipLoss(x, y, tau), [a, b]);
    expectClose(ga, numericGradient((x) => clipReference(x, b, tau), a), 5e-4);
    expectClose(gb, numericGradient((x) => clipReference(a, x, tau), b), 5e-4);
    // Both directions count: the image->text cross-entropy alone is a different number.
    const rowsOnly = tf.tidy(() => {
      const logits = tf.div(tf.matMul(tf.div(t2(a), tf.norm(t2(a), 2, 1, true)), tf.div(t2(b), tf.norm(t2(b), 2, 1, true)), false, true), tau);
      return -tf.sum(tf.mul(tf.logSoftmax(logits, 1), tf.eye(n))).dataSync()[0] / n;
    });
    expect(Math.abs(rowsOnly - clipReference(a, b, tau))).toBeGreaterThan(1e-3);
  });

  it('SimSiam: value; gradient reaches p like the reference with z held constant; none reaches z (stop-gradient)', () => {
    const [p1, p2, z1, z2] = [0, 1, 2, 3].map(() => randomMatrix(rng, n, k));
    expect(value(simsiamLoss(t2(p1), t2(p2), t2(z1), t2(z2)))).toBeCloseTo(simsiamReference(p1, p2, z1, z2), 5);
    const [gp1, gp2, gz1, gz2] = gradsOf((a, b, c, d) => simsiamLoss(a, b, c, d), [p1, p2, z1, z2]);
    expectClose(gp1, numericGradient((x) => simsiamReference(x, p2, z1, z2), p1), 1e-5);
    expectClose(gp2, numericGradient((x) => simsiamReference(p1, x, z1, z2), p2), 1e-5);
    expect(maxAbs(gp1)).toBeGreaterThan(1e-3);
    expect(maxAbs(gz1)).toBe(0);
    expect(maxAbs(gz2)).toBe(0);
    // Without the stop-gradient the loss does depend on z: the zero above is the stop, not a flat loss.
    expect(maxAbs(numericGradient((x) => simsiamReference(p1, p2, x, z2), z1))).toBeGreaterThan(1e-3);
  });

  it('stopGradient is the identity forward and blocks the gradient (also through a shared input)', () => {
    const x = tf.tensor1d([1, -2, 3]);
    expect(Array.from(stopGradient(x).dataSync())).toEqual([1, -2, 3]);
    // f(x) = sum(x * stop(x)): gradient is stop(x) = x, not 2x.
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, stopGradient(v))))(x);
    expect(Array.from(g.dataSync())).toEqual([1, -2, 3]);
  });

  it('masked sigmoid cross-entropy matches the float64 formula and ignores masked entries', () => {
    const logits = [2.5, -1, 0.3, 40, -7];
    const labels = [1, 0, 0, 1, 1];
    const mask = [1, 1, 1, 0, 1];
    let ref = 0;
    let count = 0;
    logits.forEach((l, i) => {
      if (!mask[i]) return;
      const p = 1 / (1 + Math.exp(-l));
      ref += -(labels[i] * Math.log(p) + (1 - labels[i]) * Math.log(1 - p));
      count++;
    });
    expect(value(maskedSigmoidCrossEntropy(tf.tensor1d(logits), tf.tensor1d(labels), tf.tensor1d(mask)))).toBeCloseTo(ref / count, 5);
  });

  it('rejects mismatched shapes and non-positive temperatures', () => {
    expect(() => ntXentLoss(tf.zeros([2, 3]), tf.zeros([3, 3]), 0.2)).toThrow(/same shape/);
    expect(() => clipLoss(tf.zeros([2, 3]), tf.zeros([2, 3]), 0)).toThrow(/tau/);
  });
});
