/**
 * Procedural item images: the category's silhouette filled with the item's colour and pattern,
 * on a light background, with a small random shift and scale and per-pixel noise, so two items
 * with the same attributes never give the same picture.
 */
import { Rng } from '@courier/runtime';
import { CATEGORIES, HiddenItem, PATTERNS } from './model';

type Shape = (u: number, v: number, variant: number) => boolean;

const rect = (u: number, v: number, x0: number, y0: number, x1: number, y1: number) => u >= x0 && u <= x1 && v >= y0 && v <= y1;
const ellipse = (u: number, v: number, cx: number, cy: number, rx: number, ry: number) => ((u - cx) / rx) ** 2 + ((v - cy) / ry) ** 2 <= 1;
/** Symmetric trapezoid around u = 0.5: half width wTop at y0, wBottom at y1. */
const trap = (u: number, v: number, y0: number, y1: number, wTop: number, wBottom: number) => {
  if (v < y0 || v > y1) return false;
  const w = wTop + ((v - y0) / (y1 - y0)) * (wBottom - wTop);
  return Math.abs(u - 0.5) <= w;
};
const ring = (u: number, v: number, cx: number, cy: number, r0: number, r1: number) => {
  const d = Math.hypot(u - cx, v - cy);
  return d >= r0 && d <= r1;
};

/** One silhouette per category; `variant` (0-2) changes length or width a little. */
export const SILHOUETTES: Record<string, Shape> = {
  dress: (u, v, k) => trap(u, v, 0.12, 0.45, 0.13, 0.11) || trap(u, v, 0.45, 0.8 + 0.05 * k, 0.11, 0.26 + 0.04 * k) || rect(u, v, 0.37, 0.05, 0.4, 0.12) || rect(u, v, 0.6, 0.05, 0.63, 0.12),
  skirt: (u, v, k) => trap(u, v, 0.25, 0.68 + 0.08 * k, 0.15, 0.3 + 0.03 * k) && !(v > 0.6 + 0.08 * k && Math.abs(u - 0.5) < 0.01),
  blouse: (u, v, k) =>
    (rect(u, v, 0.3, 0.2, 0.7, 0.78) || (v >= 0.2 && v <= 0.5 + 0.05 * k && Math.abs(u - 0.5) <= 0.2 + (v - 0.2) * 0.55 + 0.07)) &&
    !(v < 0.32 && Math.abs(u - 0.5) < 0.32 - v),
  coat: (u, v, k) => (rect(u, v, 0.28, 0.12, 0.72, 0.9 - 0.05 * k) || rect(u, v, 0.14, 0.15, 0.28, 0.75) || rect(u, v, 0.72, 0.15, 0.86, 0.75)) && !(Math.abs(u - 0.5) < 0.012 && v > 0.2),
  trousers: (u, v, k) => rect(u, v, 0.3, 0.15, 0.7, 0.3) || rect(u, v, 0.3 - 0.02 * k, 0.3, 0.48, 0.92) || rect(u, v, 0.52, 0.3, 0.7 + 0.02 * k, 0.92),
  tshirt: (u, v, k) => (rect(u, v, 0.3, 0.28, 0.7, 0.85) || rect(u, v, 0.16, 0.28, 0.84, 0.44 + 0.03 * k)) && !ellipse(u, v, 0.5, 0.28, 0.08, 0.05),
  shoe: (u, v, k) => rect(u, v, 0.12, 0.6, 0.88, 0.7) || ellipse(u, v, 0.38, 0.6, 0.24 + 0.02 * k, 0.16) || rect(u, v, 0.74, 0.45, 0.84, 0.62),
  bag: (u, v, k) => rect(u, v, 0.2, 0.42, 0.8, 0.86 - 0.04 * k) || (ring(u, v, 0.5, 0.42, 0.13, 0.19) && v < 0.42),
  hat: (u, v, k) => ellipse(u, v, 0.5, 0.62, 0.42 - 0.04 * k, 0.08) || rect(u, v, 0.3, 0.4, 0.7, 0.62) || ellipse(u, v, 0.5, 0.4, 0.2, 0.12),
  scarf: (u, v, k) => (Math.abs(u - v) < 0.11 + 0.02 * k && u > 0.08 && u < 0.92) || (Math.abs(u - v) < 0.13 && u > 0.86 && u < 0.94 && Math.floor(v * 60) % 2 === 0),
  watch: (u, v, k) => ellipse(u, v, 0.5, 0.5, 0.2 + 0.02 * k, 0.2 + 0.02 * k) || rect(u, v, 0.42, 0.05, 0.58, 0.95),
  backpack: (u, v, k) => rect(u, v, 0.24, 0.3, 0.76, 0.88) || ellipse(u, v, 0.5, 0.3, 0.26, 0.16) || rect(u, v, 0.32, 0.62, 0.68, 0.84 - 0.04 * k),
  mug: (u, v, k) => rect(u, v, 0.24, 0.28 - 0.04 * k, 0.64, 0.8) || ring(u, v, 0.67, 0.54, 0.09, 0.15),
  lamp: (u, v, k) => trap(u, v, 0.12, 0.42, 0.12, 0.27 + 0.03 * k) || rect(u, v, 0.48, 0.42, 0.52, 0.86) || ellipse(u, v, 0.5, 0.88, 0.2, 0.05),
};

for (const c of CATEGORIES) if (!SILHOUETTES[c.name]) throw new Error(`world: category "${c.name}" has no silhouette`);

/** HSL (h in degrees, s and l in [0, 1]) to RGB in [0, 255]. */
export function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  let r = 0;
  let g = 0;
  let b = 0;
  if (hp < 1) [r, g, b] = [c, x, 0];
  else if (hp < 2) [r, g, b] = [x, c, 0];
  else if (hp < 3) [r, g, b] = [0, c, x];
  else if (hp < 4) [r, g, b] = [0, x, c];
  else if (hp < 5) [r, g, b] = [x, 0, c];
  else [r, g, b] = [c, 0, x];
  const m = l - c / 2;
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255];
}

/**
 * Renders one item as RGB bytes (HWC, size x size x 3). Deterministic given `rng`'s state.
 * Pattern period grows with patternScale (8% to 20% of the image width).
 */
export function renderItem(item: HiddenItem, size: number, pixelNoise: number, rng: Rng): Uint8Array {
  const shape = SILHOUETTES[CATEGORIES[item.category].name];
  const out = new Uint8Array(size * size * 3);
  const primary = hslToRgb(item.hue, item.saturation, item.lightness);
  const l2 = item.lightness > 0.5 ? item.lightness - 0.33 : item.lightness + 0.33;
  const secondary = hslToRgb(item.hue, item.saturation * 0.7, l2);
  const dx = rng.uniform(-0.06, 0.06);
  const dy = rng.uniform(-0.06, 0.06);
  const scale = rng.uniform(0.88, 1.08);
  const bg = 236 + rng.int(14);
  const period = size * (0.08 + 0.12 * item.patternScale);
  const phaseX = rng.uniform(0, period);
  const phaseY = rng.uniform(0, period);
  const pattern = PATTERNS[item.pattern];
  const stripeAngle = rng.int(3); // 0 horizontal, 1 vertical, 2 diagonal
  // "noise" pattern: a random grid of cells in either colour.
  const cell = Math.max(1, period / 2);
  const cells = Math.ceil(size / cell) + 2;
  const noiseCells = pattern === 'noise' ? Array.from({ length: cells * cells }, () => rng.bernoulli(0.5)) : null;
  for (let y = 0; y < size; y++) {
    const v = ((y + 0.5) / size - 0.5 - dy) / scale + 0.5;
    for (let x = 0; x < size; x++) {
      const u = ((x + 0.5) / size - 0.5 - dx) / scale + 0.5;
      let r: number;
      let g: number;
      let b: number;
      if (shape(u, v, item.variant)) {
        const px = x + phaseX;
        const py = y + phaseY;
        let second = false;
        switch (pattern) {
          case 'stripes': {
            const t = stripeAngle === 0 ? py : stripeAngle === 1 ? px : (px + py) * Math.SQRT1_2;
            second = (t / period) % 1 < 0.5;
            break;
          }
          case 'dots': {
            const cx = (px % period) - period / 2;
            const cy = (py % period) - period / 2;
            second = cx * cx + cy * cy < (0.32 * period) ** 2;
            break;
          }
          case 'checks':
            second = (Math.floor(px / period) + Math.floor(py / period)) % 2 === 1;
            break;
          case 'noise':
            second = noiseCells![Math.floor(py / cell) * cells + Math.floor(px / cell)];
            break;
          default:
            second = false;
        }
        [r, g, b] = second ? secondary : primary;
      } else {
        r = g = b = bg;
      }
      const o = (y * size + x) * 3;
      out[o] = clampByte(r + rng.normal(0, pixelNoise));
      out[o + 1] = clampByte(g + rng.normal(0, pixelNoise));
      out[o + 2] = clampByte(b + rng.normal(0, pixelNoise));
    }
  }
  return out;
}

function clampByte(x: number): number {
  return x <= 0 ? 0 : x >= 255 ? 255 : Math.round(x);
}
