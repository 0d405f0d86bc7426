/**
 * Plain-TypeScript float64 references of the baseline losses (the definitions written out loop by
 * loop, no tfjs), for tests. Matrices are arrays of rows.
 */
export type Matrix = number[][];

function normalizeRow(v: readonly number[]): number[] {
  const norm = Math.max(Math.sqrt(v.reduce((s, x) => s + x * x, 0)), 1e-12);
  return v.map((x) => x / norm);
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function cosine(a: readonly number[], b: readonly number[]): number {
  return dot(normalizeRow(a), normalizeRow(b));
}

/** log(sum(exp(xs))) computed stably. */
function logSumExp(xs: readonly number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

/** NT-Xent: rows of [z1; z2]; row i's positive is its other view; the softmax skips j = i. */
export function ntXentReference(z1: Matrix, z2: Matrix, tau: number): number {
  const n = z1.length;
  const z = [...z1, ...z2].map(normalizeRow);
  let total = 0;
  for (let i = 0; i < 2 * n; i++) {
    const pos = (i + n) % (2 * n);
    const logits: number[] = [];
    for (let j = 0; j < 2 * n; j++) if (j !== i) logits.push(dot(z[i], z[j]) / tau);
    total += -(dot(z[i], z[pos]) / tau - logSumExp(logits));
  }
  return total / (2 * n);
}

/** SimSiam: (D(p1, z2) + D(p2, z1)) / 2 with D = -mean cosine (z treated as a constant). */
export function simsiamReference(p1: Matrix, p2: Matrix, z1: Matrix, z2: Matrix): number {
  const n = p1.length;
  let d1 = 0;
  let d2 = 0;
  for (let i = 0; i < n; i++) {
    d1 -= cosine(p1[i], z2[i]) / n;
    d2 -= cosine(p2[i], z1[i]) / n;
  }
  return (d1 + d2) / 2;
}

/** Symmetric InfoNCE: mean of the image->text and text->image cross-entropies, diagonal targets. */
export function clipReference(image: Matrix, text: Matrix, tau: number): number {
  const n = image.length;
  const logits = image.map((a) => text.map((b) => cosine(a, b) / tau));
  let rows = 0;
  let cols = 0;
  for (let i = 0; i < n; i++) {
    rows += -(logits[i][i] - logSumExp(logits[i])) / n;
    cols += -(logits[i][i] - logSumExp(logits.map((r) => r[i]))) / n;
  }
  return (rows + cols) / 2;
}

/** Central finite-difference gradient of `f` with respect to every entry of `x` (float64). */
export function numericGradient(f: (x: Matrix) => number, x: Matrix, h = 1e-6): Matrix {
  return x.map((row, i) =>
    row.map((_, j) => {
      const plus = x.map((r) => r.slice());
      const minus = x.map((r) => r.slice());
      plus[i][j] += h;
      minus[i][j] -= h;
      return (f(plus) - f(minus)) / (2 * h);
    }),
  );
}
