/**
 * Loader for the COURIER golden vectors (courier_losses.json, computed by an independent float64
 * PyTorch reference; format in /work/shared/golden/README.md) and a tolerance checker.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CourierLossOptions } from './loss';

export interface GoldenTolerance {
  rtol: number;
  atol: number;
}

export interface CourierGoldenCase {
  name: string;
  seed: number;
  shape: { B: number; l_pv: number; l_click: number; d: number };
  inputs: {
    E_pv: number[][][];
    E_click: number[][][];
    labels: number[][];
    pv_mask: number[][];
    click_mask: number[][];
    tau: number;
    flags: { scale_by_sqrt_d: boolean; use_ucs: boolean; contrastive: boolean; attention: 'cross' | 'self'; use_neg_pv: boolean };
  };
  outputs: {
    L_pv: number;
    L_ucs: number;
    total: number;
    num_pv_positives: number;
    num_ucs_targets: number;
    grad_E_pv: number[][][];
    grad_E_click: number[][][];
  };
}

export interface CourierGolden {
  tolerance: { float64: GoldenTolerance; float32: GoldenTolerance };
  cases: CourierGoldenCase[];
}

/**
 * The golden folder: $COURIER_GOLDEN_DIR when set, else `../shared/golden` relative to the repo
 * root (this file lives in <root>/libs/courier/src).
 */
export function goldenDir(): string {
  const fromEnv = process.env.COURIER_GOLDEN_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  const repoRoot = path.resolve(__dirname, '..', '..', '..');
  return path.resolve(repoRoot, '..', 'shared', 'golden');
}

export function loadCourierGolden(dir = goldenDir()): CourierGolden {
  const file = path.join(dir, 'courier_losses.json');
  if (!fs.existsSync(file)) throw new Error(`courier golden: ${file} not found (set COURIER_GOLDEN_DIR to the golden folder)`);
  const golden = JSON.parse(fs.readFileSync(file, 'utf8')) as CourierGolden;
  if (!Array.isArray(golden.cases) || !golden.tolerance?.float32) throw new Error(`courier golden: ${file} has no "cases" array or no "tolerance.float32"`);
  return golden;
}

/** Loss options equivalent to a golden case's flags. */
export function goldenOptions(c: CourierGoldenCase): CourierLossOptions {
  const f = c.inputs.flags;
  return {
    tau: c.inputs.tau,
    scaleBySqrtD: f.scale_by_sqrt_d,
    useUcs: f.use_ucs,
    contrastive: f.contrastive,
    attention: f.attention,
    useNegPv: f.use_neg_pv,
    heads: 1,
  };
}

/**
 * Every element where |x - ref| > rtol |ref| + atol, as readable lines (empty = pass). Nested
 * arrays are compared elementwise, shapes must match.
 */
export function toleranceViolations(label: string, actual: unknown, expected: unknown, tol: GoldenTolerance, limit = 10): string[] {
  const out: string[] = [];
  const walk = (a: unknown, e: unknown, where: string): void => {
    if (out.length >= limit) return;
    if (Array.isArray(e)) {
      if (!Array.isArray(a) || a.length !== e.length) {
        out.push(`${where}: length ${Array.isArray(a) ? a.length : typeof a}, expected ${e.length}`);
        return;
      }
      e.forEach((x, i) => walk(a[i], x, `${where}[${i}]`));
      return;
    }
    const x = a as number;
    const r = e as number;
    if (typeof x !== 'number' || !(Math.abs(x - r) <= tol.rtol * Math.abs(r) + tol.atol)) out.push(`${where}: ${x}, expected ${r}`);
  };
  walk(actual, expected, label);
  return out;
}
