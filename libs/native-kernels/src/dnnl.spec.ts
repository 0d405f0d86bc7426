import * as tf from '@tensorflow/tfjs';

import { nativeKernelsStatus, registerNativeBackend, resolveDnnl, setNativeDnnl } from './index';
import { type CourierBlasAddon, relativeMaxDiff, requireAddon, seededFloats } from './testing';

// oneDNN convolutions (built when libdnnl-dev is present) against the im2col + sgemm path of the
// same addon, and through tfjs (forward, fused bias + activations, both gradients). The other
// specs compare the native backend, oneDNN included, with tfjs-backend-cpu.
const status = nativeKernelsStatus();
const addon: CourierBlasAddon | null = status.available ? requireAddon() : null;
const info = addon?.dnnl?.() ?? null;
if (status.available && !info) console.warn('oneDNN specs skipped: the addon was built without oneDNN (apt-get install libdnnl-dev && npm run build:native)');
const describeDnnl = info ? describe : describe.skip;

const TOL = 2e-5;

describe('oneDNN switch', () => {
  it('resolves from the option, then COURIER_DNNL, default on', () => {
    expect(resolveDnnl(undefined, {})).toBe(true);
    expect(resolveDnnl(undefined, { COURIER_DNNL: '0' })).toBe(false);
    expect(resolveDnnl(true, { COURIER_DNNL: '0' })).toBe(true);
    expect(resolveDnnl(false, {})).toBe(false);
    expect(() => resolveDnnl(undefined, { COURIER_DNNL: 'on' })).toThrow(/COURIER_DNNL: expected 0 or 1, got "on"/);
  });
});

// [batch, inH, inW, inC, outH, outW, outC, filterH, filterW, strideH, strideW, dilationH, dilationW, padTop, padLeft]
type Geom = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
const GEOMS: Geom[] = [
  [8, 32, 32, 3, 16, 16, 16, 3, 3, 2, 2, 1, 1, 0, 0], // the COURIER cnn blocks (stride-2 'same')
  [8, 16, 16, 16, 8, 8, 32, 3, 3, 2, 2, 1, 1, 0, 0],
  [8, 8, 8, 32, 4, 4, 64, 3, 3, 2, 2, 1, 1, 0, 0],
  [2, 9, 7, 5, 9, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1], // stride 1 'same'
  [2, 9, 7, 5, 3, 2, 6, 3, 3, 3, 3, 1, 1, 0, 0], // 'valid' with unused trailing rows
  [2, 10, 10, 4, 6, 6, 3, 3, 3, 1, 1, 2, 2, 0, 0], // dilation 2
  [3, 5, 5, 4, 5, 5, 7, 1, 1, 1, 1, 1, 1, 0, 0], // pointwise
  [1, 10, 10, 4, 4, 5, 3, 5, 5, 2, 2, 1, 1, 1, 2], // asymmetric explicit padding
  [1, 3, 3, 2, 3, 3, 2, 5, 5, 1, 1, 1, 1, 2, 2], // filter larger than the image
];

describeDnnl('oneDNN convolutions match the im2col + sgemm path', () => {
  const a = addon!;
  afterAll(() => {
    a.setDnnl!(true);
  });
  const run = (on: boolean, fn: () => Float32Array): Float32Array => {
    expect(a.setDnnl!(on)).toBe(on);
    return fn();
  };
  it.each(GEOMS.map((g) => [g.join(' '), g] as const))('geometry [%s]: forward (bias + relu, elu, scalar bias, prelu) and both gradients', (_, g) => {
    const [B, H, W, C, OH, OW, OC, FH, FW] = g;
    const x = seededFloats(1, B * H * W * C);
    const w = seededFloats(2, FH * FW * C * OC, 0.3);
    const bias = seededFloats(3, OC);
    const dy = seededFloats(4, B * OH * OW * OC);
    const prelu = seededFloats(5, OC, 0.2);
    const forward = (b: Float32Array | null, act: number, p: Float32Array | null) => () => {
      const out = new Float32Array(B * OH * OW * OC);
      a.conv2d(x, w, out, g, b, act, 0.1, p);
      return out;
    };
    const checks: [string, () => Float32Array][] = [
      ['conv', forward(null, 0, null)],
      ['conv+bias+relu', forward(bias, 1, null)],
      ['conv+bias+elu', forward(bias, 3, null)],
      ['conv+scalar bias+relu6', forward(bias.subarray(0, 1), 2, null)],
      ['conv+bias+prelu', forward(bias, 6, prelu)],
      ['backprop input', () => {
        const dx = new Float32Array(B * H * W * C);
        a.conv2dBackpropInput(dy, w, dx, g);
        return dx;
      }],
      ['backprop filter', () => {
        const dw = new Float32Array(FH * FW * C * OC);
        a.conv2dBackpropFilter(x, dy, dw, g);
        return dw;
      }],
    ];
    for (const [name, fn] of checks) {
      const blas = run(false, fn);
      const dnnl = run(true, fn);
      const diff = relativeMaxDiff({ shape: [blas.length], dtype: 'float32', values: blas }, { shape: [dnnl.length], dtype: 'float32', values: dnnl });
      if (!(diff <= TOL)) throw new Error(`${name}: oneDNN vs sgemm relative diff ${diff}`);
    }
    expect(a.dnnl!()!.lastImpl).not.toBe('');
  });

  it('reports its version and implementation, and the switch is visible in the status', () => {
    expect(info!.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(nativeKernelsStatus().dnnl).toBe(info!.version);
    expect(setNativeDnnl(false)).toBe(false);
    expect(nativeKernelsStatus().dnnl).toBeNull();
    expect(setNativeDnnl(true)).toBe(true);
    expect(a.dnnl!()!.lastImpl).toMatch(/avx|sse|jit|gemm|ref/);
  });

  it('gradients of the COURIER cnn stack through tfjs agree with and without oneDNN', async () => {
    expect(registerNativeBackend({ threads: 1 })).toBe('native');
    await tf.setBackend('native');
    const channels = [3, 16, 32, 64];
    const x = tf.tensor4d(seededFloats(10, 6 * 32 * 32 * 3), [6, 32, 32, 3]);
    const params = channels.slice(1).map((out, i) => [tf.variable(tf.tensor4d(seededFloats(20 + i, 9 * channels[i] * out, 0.3), [3, 3, channels[i], out])), tf.variable(tf.tensor1d(seededFloats(30 + i, out, 0.1)))]);
    const loss = () =>
      tf.tidy(() => {
        let h: tf.Tensor4D = x;
        for (const [w, b] of params) h = tf.fused.conv2d({ x: h, filter: w as tf.Tensor4D, strides: 2, pad: 'same', bias: b, activation: 'relu' });
        return tf.mean(tf.square(h)) as tf.Scalar;
      });
    const grads = (on: boolean) => {
      setNativeDnnl(on);
      const { value, grads: g } = tf.variableGrads(loss);
      const out = [value.dataSync().slice(), ...Object.values(g).map((t) => t.dataSync().slice() as Float32Array)];
      value.dispose();
      Object.values(g).forEach((t) => t.dispose());
      return out;
    };
    const blas = grads(false);
    const dnnl = grads(true);
    expect(dnnl.length).toBe(blas.length);
    blas.forEach((v, i) => {
      const diff = relativeMaxDiff({ shape: [v.length], dtype: 'float32', values: v as Float32Array }, { shape: [v.length], dtype: 'float32', values: dnnl[i] as Float32Array });
      expect(diff).toBeLessThanOrEqual(1e-4);
    });
    params.flat().forEach((t) => t.dispose());
    x.dispose();
  });
});
