import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@courier/runtime';
import { courierLoss, DEFAULT_LOSS_OPTIONS, CourierLossOptions } from './loss';
import { courierLossReference } from './loss-reference';
import { goldenOptions, loadCourierGolden, toleranceViolations, CourierGoldenCase } from './golden';

const golden = loadCourierGolden();

function runTf(c: CourierGoldenCase, options: CourierLossOptions) {
  const i = c.inputs;
  const ePv = tf.tensor3d(i.E_pv);
  const eClick = tf.tensor3d(i.E_click);
  const labels = tf.tensor2d(i.labels);
  const pvMask = tf.tensor2d(i.pv_mask);
  const clickMask = tf.tensor2d(i.click_mask);
  let result: { lPv: number; lUcs: number; total: number; numPvPositives: number; numUcsTargets: number } | null = null;
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
    const r = courierLoss({ ePv: a as tf.Tensor3D, eClick: b as tf.Tensor3D, labels, pvMask, clickMask }, options);
    result = { lPv: r.lPv.arraySync(), lUcs: r.lUcs.arraySync(), total: r.total.arraySync(), numPvPositives: r.numPvPositives, numUcsTargets: r.numUcsTargets };
    return r.total;
  })([ePv, eClick]);
  const out = { ...result!, gradEPv: grads[0].arraySync() as number[][][], gradEClick: grads[1].arraySync() as number[][][] };
  tf.dispose([ePv, eClick, labels, pvMask, clickMask, ...grads]);
  return out;
}

describe('courierLoss vs golden (float64 PyTorch reference)', () => {
  beforeAll(async () => {
    await initBackend({ log: () => {} });
  });

  it('has cases', () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(10);
  });

  describe.each(golden.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    it('tfjs (float32): losses, gradients, counts; padding gradients exactly 0', () => {
      const o = c.outputs;
      const r = runTf(c, goldenOptions(c));
      const tol = golden.tolerance.float32;
      const bad = [
        ...toleranceViolations('L_pv', r.lPv, o.L_pv, tol),
        ...toleranceViolations('L_ucs', r.lUcs, o.L_ucs, tol),
        ...toleranceViolations('total', r.total, o.total, tol),
        ...toleranceViolations('grad_E_pv', r.gradEPv, o.grad_E_pv, tol),
        ...toleranceViolations('grad_E_click', r.gradEClick, o.grad_E_click, tol),
      ];
      expect(bad).toEqual([]);
      expect(r.numPvPositives).toBe(o.num_pv_positives);
      expect(r.numUcsTargets).toBe(o.num_ucs_targets);
      c.inputs.pv_mask.forEach((row, b) => row.forEach((m, j) => m === 0 && r.gradEPv[b][j].forEach((g) => expect(g).toBe(0))));
      c.inputs.click_mask.forEach((row, b) => row.forEach((m, k) => m === 0 && r.gradEClick[b][k].forEach((g) => expect(g).toBe(0))));
    });

    it('plain-TS float64 reference: losses and gradients at float64 tolerance', () => {
      const i = c.inputs;
      const o = c.outputs;
      const r = courierLossReference({ ePv: i.E_pv, eClick: i.E_click, labels: i.labels, pvMask: i.pv_mask, clickMask: i.click_mask }, goldenOptions(c));
      const tol = golden.tolerance.float64;
      const bad = [
        ...toleranceViolations('L_pv', r.lPv, o.L_pv, tol),
        ...toleranceViolations('L_ucs', r.lUcs, o.L_ucs, tol),
        ...toleranceViolations('total', r.total, o.total, tol),
        ...toleranceViolations('grad_E_pv', r.gradEPv, o.grad_E_pv, tol),
        ...toleranceViolations('grad_E_click', r.gradEClick, o.grad_E_click, tol),
      ];
      expect(bad).toEqual([]);
      expect(r.numPvPositives).toBe(o.num_pv_positives);
      expect(r.numUcsTargets).toBe(o.num_ucs_targets);
    });
  });
});

describe('courierLoss options beyond the golden file', () => {
  beforeAll(async () => {
    await initBackend({ log: () => {} });
  });

  it.each([
    ['cross', 'padding_default'],
    ['self', 'empty_history_sample'],
  ] as const)('multi-head (%s attention, heads = 2) matches the float64 reference', (attention, name) => {
    const c = golden.cases.find((x) => x.name === name)!;
    const options: CourierLossOptions = { ...goldenOptions(c), attention, heads: 2 };
    const r = runTf(c, options);
    const i = c.inputs;
    const ref = courierLossReference({ ePv: i.E_pv, eClick: i.E_click, labels: i.labels, pvMask: i.pv_mask, clickMask: i.click_mask }, options);
    const tol = golden.tolerance.float32;
    expect([
      ...toleranceViolations('total', r.total, ref.total, tol),
      ...toleranceViolations('grad_E_pv', r.gradEPv, ref.gradEPv, tol),
      ...toleranceViolations('grad_E_click', r.gradEClick, ref.gradEClick, tol),
    ]).toEqual([]);
    // Two heads is a different function: the loss must differ from single-head.
    expect(Math.abs(ref.total - c.outputs.total)).toBeGreaterThan(1e-3);
  });

  it('leaks no tensors inside tf.tidy and rejects bad inputs with named errors', () => {
    const c = golden.cases[0];
    const i = c.inputs;
    const inputs = {
      ePv: tf.tensor3d(i.E_pv),
      eClick: tf.tensor3d(i.E_click),
      labels: tf.tensor2d(i.labels),
      pvMask: tf.tensor2d(i.pv_mask),
      clickMask: tf.tensor2d(i.click_mask),
    };
    tf.tidy(() => courierLoss(inputs, DEFAULT_LOSS_OPTIONS).total); // burn-in
    const before = tf.memory().numTensors;
    const value = tf.tidy(() => courierLoss(inputs, DEFAULT_LOSS_OPTIONS).total.arraySync());
    expect(tf.memory().numTensors).toBe(before);
    expect(value).toBeCloseTo(c.outputs.total, 3);
    expect(() => courierLoss({ ...inputs, labels: tf.tensor2d([[2, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]) }, DEFAULT_LOSS_OPTIONS)).toThrow(/`labels`\[0\]\[0\] = 2, expected 0 or 1/);
    expect(() => courierLoss(inputs, { ...DEFAULT_LOSS_OPTIONS, heads: 3 })).toThrow(/heads.*dividing d = 8/);
    expect(() => courierLoss({ ...inputs, pvMask: tf.ones([3, 3]) as tf.Tensor2D }, DEFAULT_LOSS_OPTIONS)).toThrow(/`pvMask` has shape \[3, 3\], expected \[3, 4\]/);
    tf.dispose(Object.values(inputs));
  });
});
