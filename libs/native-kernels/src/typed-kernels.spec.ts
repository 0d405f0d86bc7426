import * as tf from '@tensorflow/tfjs';

import { adamStep, addLeakyReluInto, matmulInto, registerNativeBackend, colSumsInto, cosineGradInto, cosineRows, csrFromEdges, dropoutRowsInto, gatherRowsInto, leakyReluGradInto, scatterAddRowsInto, setTypedKernelsNative, spmmCsr, typedKernelsNative } from './index';
import { requireAddon, seededFloats } from './testing';

// The typed-array kernels (issue #23) must give the JS loops' float32 values bit for bit, so a
// run never depends on whether the addon is built. Every case runs the native path and the JS
// fallback and compares them exactly, and both against an independent reference.
const native = typedKernelsNative();
const describeNative = native ? describe : describe.skip;
if (!native) console.warn('typed-kernels.spec: addon without the typed kernels; only the JS path is checked');

function both<T>(f: () => T): { nat: T; js: T } {
  const nat = f();
  const was = setTypedKernelsNative(false);
  try {
    return { nat, js: f() };
  } finally {
    setTypedKernelsNative(was);
  }
}

function seededInts(seed: number, length: number, n: number): Int32Array {
  // seededFloats draws normals: fold them onto [0, n).
  return Int32Array.from(seededFloats(seed, length), (z) => Math.floor(Math.abs(z) * 7919) % n);
}

/** The edge loop the CSR product replaces: out[dst] += w x[src] on a Float32Array, in edge order. */
function edgeLoop(x: Float32Array, src: Int32Array, dst: Int32Array, w: Float32Array, nOut: number, d: number): Float32Array {
  const out = new Float32Array(nOut * d);
  for (let e = 0; e < src.length; e++) {
    if (w[e] === 0) continue;
    for (let k = 0; k < d; k++) out[dst[e] * d + k] += w[e] * x[src[e] * d + k];
  }
  return out;
}

function expectSameBits(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  const ai = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bi = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let first = -1;
  for (let i = 0; i < ai.length && first < 0; i++) if (ai[i] !== bi[i]) first = i;
  expect({ first, a: first >= 0 ? a[first] : 0, b: first >= 0 ? b[first] : 0 }).toEqual({ first: -1, a: 0, b: 0 });
}

describe('spmmCsr', () => {
  // Rectangular, duplicate edges, zero weights, rows without edges, and values over 16 orders of
  // magnitude (so a different summation order or a float32 multiply-add changes the result).
  const nIn = 37;
  const nOut = 23;
  const E = 400;
  const src = seededInts(1, E, nIn);
  const dst = seededInts(2, E, nOut - 3); // the last three rows get no edges
  const w = seededFloats(3, E);
  for (let e = 0; e < E; e += 7) w[e] = 0;
  for (let e = 3; e < E; e += 11) w[e] *= 1e8;
  for (const d of [1, 5, 64]) {
    it(`equals the edge loop bit for bit, forward and transposed (d = ${d})`, () => {
      const x = seededFloats(4 + d, nIn * d);
      const y = seededFloats(5 + d, nOut * d);
      const A = csrFromEdges(src, dst, w, nOut, nIn);
      const At = csrFromEdges(dst, src, w, nIn, nOut);
      const fwd = both(() => spmmCsr(A, x, d));
      const bwd = both(() => spmmCsr(At, y, d, new Float32Array(nIn * d).fill(7)));
      expectSameBits(fwd.nat, edgeLoop(x, src, dst, w, nOut, d));
      expectSameBits(fwd.js, fwd.nat);
      expectSameBits(bwd.nat, edgeLoop(y, dst, src, w, nIn, d));
      expectSameBits(bwd.js, bwd.nat);
      expect(Array.from(fwd.nat.subarray((nOut - 3) * d))).toEqual(new Array(3 * d).fill(0));
      // And the operator is the dense one, to float32 accuracy (y.(A x) = (A^T y).x).
      let lhs = 0;
      let rhs = 0;
      let scale = 0;
      for (let i = 0; i < nOut * d; i++) lhs += y[i] * fwd.nat[i];
      for (let i = 0; i < nIn * d; i++) rhs += bwd.nat[i] * x[i];
      for (let e = 0; e < E; e++) scale += Math.abs(w[e]);
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-5 * scale * d);
    });
  }

  it('rejects wrong lengths and bad edges', () => {
    const A = csrFromEdges(src, dst, w, nOut, nIn);
    expect(() => spmmCsr(A, new Float32Array(nIn * 2 + 1), 2)).toThrow(/x has/);
    expect(() => spmmCsr(A, new Float32Array(nIn * 2), 2, new Float32Array(3))).toThrow(/out has/);
    expect(() => csrFromEdges(Int32Array.of(0, nIn), Int32Array.of(0, 0), Float32Array.of(1, 1), nOut, nIn)).toThrow(/src/);
    expect(() => csrFromEdges(Int32Array.of(0), Int32Array.of(-1), Float32Array.of(1), nOut, nIn)).toThrow(/dst/);
  });

  describeNative('native argument checks', () => {
    it('throws instead of reading out of bounds', () => {
      const addon = requireAddon();
      const x = new Float32Array(4);
      const out = new Float32Array(4);
      expect(() => addon.spmmCsr!(Int32Array.of(0, 1, 2), Int32Array.of(0, 5), Float32Array.of(1, 1), x, out, 2, 2, 2)).toThrow(/col\[1\] = 5 outside/);
      expect(() => addon.spmmCsr!(Int32Array.of(0, 2, 1), Int32Array.of(0, 1), Float32Array.of(1, 1), x, out, 2, 2, 2)).toThrow(/rowPtr/);
      expect(() => addon.spmmCsr!(Int32Array.of(0, 1, 2), Int32Array.of(0, 1), Float32Array.of(1, 1), x, x, 2, 2, 2)).toThrow(/overlaps/);
    });
  });
});

describe('adamStep', () => {
  const n = 1000;
  const lr = 1e-3;
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  for (const { name, wd, withGrad, inPlace } of [
    { name: 'plain', wd: 0, withGrad: true, inPlace: false },
    { name: 'weight decay', wd: 1e-2, withGrad: true, inPlace: false },
    { name: 'no gradient', wd: 1e-2, withGrad: false, inPlace: false },
    { name: 'in place', wd: 1e-4, withGrad: true, inPlace: true },
  ]) {
    it(`${name}: native = JS bit for bit over 3 steps, and torch's formula in double`, () => {
      const run = (): Float32Array[] => {
        let w = seededFloats(10, n);
        const m = new Float32Array(n);
        const v = new Float32Array(n);
        for (let t = 1; t <= 3; t++) {
          const g = withGrad || t === 1 ? seededFloats(20 + t, n, 0.1) : null;
          const c2 = Math.sqrt(1 - b2 ** t);
          const out = inPlace ? w : new Float32Array(n);
          adamStep(w, g, m, v, out, (lr / (1 - b1 ** t)) * c2, eps * c2, b1, b2, wd);
          w = out;
        }
        return [w, m, v];
      };
      const { nat, js } = both(run);
      nat.forEach((a, i) => expectSameBits(a, js[i]));
      // torch.optim.Adam (1.13): m_hat / (sqrt(v_hat) + eps), all in double.
      const w = Float64Array.from(seededFloats(10, n));
      const m = new Float64Array(n);
      const v = new Float64Array(n);
      for (let t = 1; t <= 3; t++) {
        const g = withGrad || t === 1 ? seededFloats(20 + t, n, 0.1) : new Float32Array(n);
        const decay = withGrad || t === 1 ? wd : 0;
        for (let i = 0; i < n; i++) {
          const gi = g[i] + decay * w[i];
          m[i] = b1 * m[i] + (1 - b1) * gi;
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          w[i] -= (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
        }
      }
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(nat[0][i] - w[i]));
      expect(worst).toBeLessThan(1e-6);
    });
  }

  it('rejects wrong lengths', () => {
    expect(() => adamStep(new Float32Array(3), null, new Float32Array(3), new Float32Array(2), new Float32Array(3), 1, 1, 0.9, 0.999, 0)).toThrow(/lengths/);
  });
});

describe('dropoutRowsInto', () => {
  // An alea state as seeding leaves it: c = 1, s in [0, 1) multiples of 2^-32.
  const state = (): Float64Array => Float64Array.of(1, 530242871 / 2 ** 32, 3287478195 / 2 ** 32, 0.5);
  const n = 300;
  const d = 16;
  const x = seededFloats(30, n * d);
  const idx = seededInts(31, 200, n);
  for (const rate of [0.3, 0.5]) {
    it(`rate ${rate}: native = JS bit for bit, all rows and gathered rows, and the stream advances the same`, () => {
      const keep = Math.fround(1 - rate);
      const all = both(() => {
        const s = state();
        const out = dropoutRowsInto(s, keep, x, n, d, null, new Float32Array(n * d));
        const rows = dropoutRowsInto(s, keep, x, n, d, idx, new Float32Array(idx.length * d));
        return { out, rows, s };
      });
      expectSameBits(all.nat.out, all.js.out);
      expectSameBits(all.nat.rows, all.js.rows);
      expect(Array.from(all.nat.s)).toEqual(Array.from(all.js.s));
      // Each element is dropped (0) or scaled by 1 / keep; about `rate` of them are dropped.
      let dropped = 0;
      for (let i = 0; i < n * d; i++) {
        if (all.nat.out[i] === 0) dropped++;
        else expect(Math.abs(all.nat.out[i] - x[i] / keep)).toBeLessThanOrEqual(1e-6 * Math.abs(x[i] / keep));
      }
      expect(Math.abs(dropped / (n * d) - rate)).toBeLessThan(0.03);
      // The gathered rows come from the second table's mask (the stream moved on).
      const second = both(() => dropoutRowsInto(all.nat.s.slice(), keep, x, n, d, null, new Float32Array(n * d))).nat;
      expect(second).not.toEqual(all.nat.out);
    });
  }

  it('rejects bad indices, lengths and states', () => {
    expect(() => dropoutRowsInto(state(), 0.7, x, n, d, Int32Array.of(n), new Float32Array(d))).toThrow(/idx/);
    expect(() => dropoutRowsInto(Float64Array.of(1, 0.1234567, 0.5, 0.5), 0.7, x, n, d, null, new Float32Array(n * d))).toThrow(/alea state/);
    expect(() => dropoutRowsInto(state(), 0.7, x, n, d, null, new Float32Array(d))).toThrow(/out has/);
  });
});

describe('cosineRows / cosineGradInto', () => {
  const n = 50;
  const d = 33;
  const a = seededFloats(40, n * d);
  const t = seededFloats(41, n * d, 3);
  a.fill(0, 0, d); // |a| = 0: below eps, the gradient is t / eps only
  t.fill(1e-6, d, 2 * d); // tiny target: |a||t| < eps
  a[5 * d + 3] = NaN;
  it('native = JS bit for bit (values, norms, gradients added into a buffer)', () => {
    const r = both(() => {
      const cv = cosineRows(a, t, n, d);
      const g = cosineGradInto(a, t, cv, -0.37, n, d, seededFloats(42, n * d));
      return { cv, g };
    });
    for (const k of ['c', 'na', 'nb'] as const) expect(Array.from(r.nat.cv[k])).toEqual(Array.from(r.js.cv[k]));
    expectSameBits(r.nat.g, r.js.g);
    expect(r.nat.cv.c[0]).toBe(0);
    expect(Number.isNaN(r.nat.cv.c[5])).toBe(true);
  });

  it('is the cosine and its gradient (finite differences in double)', () => {
    const { c } = cosineRows(a, t, n, d);
    for (const r of [2, 17, 49]) {
      let dot = 0;
      let sa = 0;
      let sb = 0;
      for (let k = 0; k < d; k++) {
        dot += a[r * d + k] * t[r * d + k];
        sa += a[r * d + k] ** 2;
        sb += t[r * d + k] ** 2;
      }
      expect(c[r]).toBeCloseTo(dot / Math.sqrt(sa * sb), 12);
    }
    // d c_r / d a_rk against a central difference of the double formula.
    const cos = (x: Float64Array, y: Float32Array): number => {
      let dot = 0;
      let sa = 0;
      let sb = 0;
      for (let k = 0; k < d; k++) {
        dot += x[k] * y[k];
        sa += x[k] * x[k];
        sb += y[k] * y[k];
      }
      return dot / Math.sqrt(sa * sb);
    };
    const r = 7;
    const g = cosineGradInto(a, t, cosineRows(a, t, n, d), 1, n, d, new Float32Array(n * d));
    const ar = Float64Array.from(a.subarray(r * d, r * d + d));
    const tr = t.subarray(r * d, r * d + d);
    for (const k of [0, 11, 32]) {
      const h = 1e-6;
      const up = ar.slice();
      const dn = ar.slice();
      up[k] += h;
      dn[k] -= h;
      expect(g[r * d + k]).toBeCloseTo((cos(up, tr) - cos(dn, tr)) / (2 * h), 5);
    }
  });
});

describe('row gather / scatter-add / column sums, leakyReLU pieces', () => {
  const n = 40;
  const d = 9;
  const x = seededFloats(50, n * d);
  const idx = seededInts(51, 120, n); // duplicates: scatter sums them in order
  it('native = JS bit for bit', () => {
    const r = both(() => {
      const rows = gatherRowsInto(x, idx, d);
      const table = scatterAddRowsInto(rows, idx, d, seededFloats(52, n * d));
      const acc = colSumsInto(table, n, d, Float64Array.from({ length: d }, (_, k) => k / 3));
      const lin = spmmCsr(csrFromEdges(idx.subarray(0, 60), idx.subarray(60), seededFloats(53, 60), n, n), x, d, undefined, 0.01);
      const act = addLeakyReluInto(x, table, new Float32Array(n * d), 0.01);
      const grad = leakyReluGradInto(act, rows.subarray(0, n * d), new Float32Array(n * d), 0.01);
      return { rows, table, acc, lin, act, grad };
    });
    expectSameBits(r.nat.rows, r.js.rows);
    expectSameBits(r.nat.table, r.js.table);
    expect(Array.from(r.nat.acc)).toEqual(Array.from(r.js.acc));
    expectSameBits(r.nat.lin, r.js.lin);
    expectSameBits(r.nat.act, r.js.act);
    expectSameBits(r.nat.grad, r.js.grad);
    expect(r.nat.rows.subarray(3 * d, 4 * d)).toEqual(x.subarray(idx[3] * d, idx[3] * d + d));
    expect(r.nat.act.some((v) => v < 0) && r.nat.lin.some((v) => v < 0)).toBe(true);
  });

  it('rejects indices outside the table', () => {
    expect(() => gatherRowsInto(x, Int32Array.of(0, n), d)).toThrow(/outside/);
    expect(() => scatterAddRowsInto(new Float32Array(d), Int32Array.of(-1), d, new Float32Array(n * d))).toThrow(/outside/);
  });
});

describeNative('matmulInto', () => {
  it('is the native backend\'s tf.matMul / tf.fused.matMul bit for bit (all transposes, bias), and the product', async () => {
    const was = tf.getBackend();
    await tf.setBackend(registerNativeBackend({ threads: 1 }));
    try {
      const [m, n, k] = [37, 11, 23];
      const bias = seededFloats(63, n);
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const a = seededFloats(61, m * k);
        const b = seededFloats(62, k * n);
        for (const bb of [null, bias]) {
          const r = both(() => matmulInto(a, b, new Float32Array(m * n), m, n, k, ta, tb, bb));
          expectSameBits(r.nat, r.js);
          // With the leakyReLU epilogue: the same as the product followed by the activation.
          const lk = both(() => matmulInto(a, b, new Float32Array(m * n), m, n, k, ta, tb, bb, 0.01));
          expectSameBits(lk.nat, lk.js);
          expectSameBits(lk.nat, Float32Array.from(r.nat, (v) => (v < 0 ? Math.fround(0.01) * v : v)));
          // Against the product in double.
          let worst = 0;
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let acc = bb ? bb[j] : 0;
              for (let q = 0; q < k; q++) acc += (ta ? a[q * m + i] : a[i * k + q]) * (tb ? b[j * k + q] : b[q * n + j]);
              worst = Math.max(worst, Math.abs(acc - r.nat[i * n + j]));
            }
          }
          expect(worst).toBeLessThan(1e-4);
        }
      }
      expect(() => matmulInto(new Float32Array(5), new Float32Array(6), new Float32Array(4), 2, 2, 3)).toThrow(/lengths/);
    } finally {
      if (was) await tf.setBackend(was);
    }
  });
});
