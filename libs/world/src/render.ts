/**
 * Procedural item images: the category's silhouette filled with the item's colour and pattern,
 * on a light background, with a small random shift and scale and per-pixel noise, so two items
 * with the same attributes never give the same picture. With the world's `nuisance` above 0 the
 * photo also varies in ways users do not care about (nuisance.ts).
 */
import { Rng } from '@courier/runtime';
import { CATEGORIES, HiddenItem, PATTERNS } from './model';
import { ItemNuisance, MerchantTemplate, NuisanceStrength, isZeroStrength } from './nuisance';

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

/** Options of renderItem beyond today's image (all off by default: today's images byte for byte). */
export interface RenderOptions {
  /** Interest-irrelevant variation: the item's draws, its merchant's template, the strength per factor. */
  nuisance?: { item: ItemNuisance; merchant: MerchantTemplate; strength: NuisanceStrength } | null;
  /** Pattern periods of 12-25% of the width (else today's 8-20%): a small network can see them at 32 px. */
  learnablePatterns?: boolean;
}

/** Pattern period as a fraction of the image width for `patternScale` in [0, 1]. */
export function patternPeriodFraction(patternScale: number, learnablePatterns = false): number {
  // Today's periods (8-20%) are 2.6-6.4 px at 32 px: half-periods of 1.3-3.2 px that the backbones
  // do not learn (libs/courier README). The learnable range starts at 12% (3.8 px at 32 px).
  return learnablePatterns ? 0.12 + 0.13 * patternScale : 0.08 + 0.12 * patternScale;
}

const LOGO_SIZE = 0.16;

/**
 * Renders one item as RGB bytes (HWC, size x size x 3). Deterministic given `rng`'s state.
 * Pattern period grows with patternScale (8% to 20% of the image width; 12% to 25% with
 * `learnablePatterns`). With `options.nuisance` at a strength above 0 the photo gets the item's
 * background, lighting, composition and merchant template (nuisance.ts); those draw nothing from
 * `rng`, so the pixel noise and every other draw stay as at strength 0.
 */
export function renderItem(item: HiddenItem, size: number, pixelNoise: number, rng: Rng, options: RenderOptions = {}): Uint8Array {
  const shape = SILHOUETTES[CATEGORIES[item.category].name];
  const out = new Uint8Array(size * size * 3);
  const primary = hslToRgb(item.hue, item.saturation, item.lightness);
  const l2 = item.lightness > 0.5 ? item.lightness - 0.33 : item.lightness + 0.33;
  const secondary = hslToRgb(item.hue, item.saturation * 0.7, l2);
  let dx = rng.uniform(-0.06, 0.06);
  let dy = rng.uniform(-0.06, 0.06);
  let scale = rng.uniform(0.88, 1.08);
  const bg = 236 + rng.int(14);
  const period = options.learnablePatterns ? size * patternPeriodFraction(item.patternScale, true) : size * (0.08 + 0.12 * item.patternScale);
  const phaseX = rng.uniform(0, period);
  const phaseY = rng.uniform(0, period);
  const pattern = PATTERNS[item.pattern];
  const stripeAngle = rng.int(3); // 0 horizontal, 1 vertical, 2 diagonal
  // "noise" pattern: a random grid of cells in either colour.
  const cell = Math.max(1, period / 2);
  const cells = Math.ceil(size / cell) + 2;
  const noiseCells = pattern === 'noise' ? Array.from({ length: cells * cells }, () => rng.bernoulli(0.5)) : null;
  /** Whether pixel (x, y) of the item's surface shows the second colour. */
  const secondAt = (x: number, y: number): boolean => {
    const px = x + phaseX;
    const py = y + phaseY;
    switch (pattern) {
      case 'stripes': {
        const t = stripeAngle === 0 ? py : stripeAngle === 1 ? px : (px + py) * Math.SQRT1_2;
        return (t / period) % 1 < 0.5;
      }
      case 'dots': {
        const cx = (px % period) - period / 2;
        const cy = (py % period) - period / 2;
        return cx * cx + cy * cy < (0.32 * period) ** 2;
      }
      case 'checks':
        return (Math.floor(px / period) + Math.floor(py / period)) % 2 === 1;
      case 'noise':
        return noiseCells![Math.floor(py / cell) * cells + Math.floor(px / cell)];
      default:
        return false;
    }
  };
  const nz = options.nuisance && !isZeroStrength(options.nuisance.strength) ? nuisanceLayers(options.nuisance, size) : null;
  if (nz) {
    // Composition: the image's own small shift and scale move towards the item's nuisance draw.
    const c = nz.strength.composition;
    const comp = nz.item.composition;
    dx += c * (comp.dx - dx);
    dy += c * (comp.dy - dy);
    scale += c * (comp.scale - scale);
  }
  const colour: [number, number, number] = [0, 0, 0];
  for (let y = 0; y < size; y++) {
    const v = ((y + 0.5) / size - 0.5 - dy) / scale + 0.5;
    for (let x = 0; x < size; x++) {
      const u = ((x + 0.5) / size - 0.5 - dx) / scale + 0.5;
      let r: number;
      let g: number;
      let b: number;
      if (shape(u, v, item.variant)) {
        [r, g, b] = secondAt(x, y) ? secondary : primary;
      } else if (nz) {
        // Behind the item: a second copy or a prop, else the background.
        const bo = (y * size + x) * 3;
        if (nz.copyScale > 0 && shape(((x + 0.5) / size - nz.item.composition.extraX) / nz.copyScale + 0.5, ((y + 0.5) / size - nz.item.composition.extraY) / nz.copyScale + 0.5, item.variant)) {
          [r, g, b] = secondAt(x, y) ? secondary : primary;
        } else if (nz.prop && nz.prop((x + 0.5) / size, (y + 0.5) / size)) {
          [r, g, b] = nz.propColour;
        } else if (nz.background) {
          const sb = nz.strength.background;
          r = bg + sb * (nz.background[bo] - bg);
          g = bg + sb * (nz.background[bo + 1] - bg);
          b = bg + sb * (nz.background[bo + 2] - bg);
        } else {
          r = g = b = bg;
        }
      } else {
        r = g = b = bg;
      }
      if (nz) {
        colour[0] = r;
        colour[1] = g;
        colour[2] = b;
        nz.finish(x, y, colour);
        [r, g, b] = colour;
      }
      const o = (y * size + x) * 3;
      out[o] = clampByte(r + rng.normal(0, pixelNoise));
      out[o + 1] = clampByte(g + rng.normal(0, pixelNoise));
      out[o + 2] = clampByte(b + rng.normal(0, pixelNoise));
    }
  }
  return out;
}

interface NuisanceLayers {
  item: ItemNuisance;
  strength: NuisanceStrength;
  /** Full-strength background (HWC floats, 0-255), null when the background strength is 0. */
  background: Float32Array | null;
  /** Scale of the second copy (0: none at this strength). */
  copyScale: number;
  prop: ((u: number, v: number) => boolean) | null;
  propColour: [number, number, number];
  /** Lighting, then the merchant's border and logo, on one pixel's colour (in place). */
  finish(x: number, y: number, colour: [number, number, number]): void;
}

function nuisanceLayers(n: { item: ItemNuisance; merchant: MerchantTemplate; strength: NuisanceStrength }, size: number): NuisanceLayers {
  const { item, merchant, strength } = n;
  let background: Float32Array | null = null;
  if (strength.background > 0) {
    const bgn = item.background;
    background = new Float32Array(size * size * 3);
    const texRng = new Rng(bgn.textureSeed);
    const cellPx = Math.max(1, bgn.cell * size);
    const cellsPerRow = Math.ceil(size / cellPx) + 1;
    const jitter = bgn.style === 'texture' ? Array.from({ length: cellsPerRow * cellsPerRow }, () => texRng.uniform(-0.12, 0.12)) : null;
    const ca = Math.cos(bgn.angle);
    const sa = Math.sin(bgn.angle);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let l = bgn.lightness;
        if (bgn.style === 'gradient') l += 0.36 * (((x + 0.5) / size - 0.5) * ca + ((y + 0.5) / size - 0.5) * sa);
        else if (jitter) l += jitter[Math.floor(y / cellPx) * cellsPerRow + Math.floor(x / cellPx)];
        const [r, g, b] = hslToRgb(bgn.hue, bgn.saturation, Math.min(1, Math.max(0, l)));
        const o = (y * size + x) * 3;
        background[o] = r;
        background[o + 1] = g;
        background[o + 2] = b;
      }
    }
  }
  const comp = item.composition;
  const extraOn = comp.extra !== 'none' && comp.extraDraw < strength.composition;
  const copyScale = extraOn && comp.extra === 'copy' ? comp.extraSize * 1.6 : 0;
  let prop: ((u: number, v: number) => boolean) | null = null;
  if (extraOn && comp.extra === 'prop') {
    const h = comp.extraSize / 2;
    prop =
      comp.propShape === 'disc'
        ? (u, v) => (u - comp.extraX) ** 2 + (v - comp.extraY) ** 2 <= h * h
        : comp.propShape === 'block'
          ? (u, v) => Math.abs(u - comp.extraX) <= h && Math.abs(v - comp.extraY) <= h
          : (u, v) => (Math.abs(u - comp.extraX) <= h / 3 && v >= comp.extraY) || (u - comp.extraX) ** 2 + (v - comp.extraY) ** 2 <= (h * 0.8) ** 2;
  }
  const propColour = hslToRgb(comp.propHue, comp.propSaturation, comp.propLightness);
  const sl = strength.lighting;
  const gains = item.lighting.logGains.map((lg) => Math.exp(sl * lg));
  const shift = sl * item.lighting.brightness;
  const st = strength.template;
  const borderPx = Math.max(1, Math.round(merchant.borderWidth * size));
  const border = hslToRgb(merchant.borderHue, merchant.borderSaturation, merchant.borderLightness);
  const logoPx = Math.max(3, Math.round(LOGO_SIZE * size));
  const logoX0 = merchant.logoCorner % 2 === 0 ? borderPx + 1 : size - borderPx - 1 - logoPx;
  const logoY0 = merchant.logoCorner < 2 ? borderPx + 1 : size - borderPx - 1 - logoPx;
  const logo = hslToRgb(merchant.logoHue, 0.85, merchant.logoLightness);
  const inLogo = (a: number, b: number): boolean => {
    switch (merchant.logoShape) {
      case 'square':
        return a > 0.1 && a < 0.9 && b > 0.1 && b < 0.9;
      case 'disc':
        return (a - 0.5) ** 2 + (b - 0.5) ** 2 < 0.2;
      case 'triangle':
        return b > 0.1 && b < 0.95 && Math.abs(a - 0.5) < b * 0.5;
      default:
        return Math.abs(a - 0.5) + Math.abs(b - 0.5) < 0.5;
    }
  };
  return {
    item,
    strength,
    background,
    copyScale,
    prop,
    propColour,
    finish(x, y, c) {
      if (sl > 0) for (let k = 0; k < 3; k++) c[k] = c[k] * gains[k] + shift;
      if (st > 0) {
        let target: [number, number, number] | null = null;
        if (Math.min(x, y, size - 1 - x, size - 1 - y) < borderPx) target = border;
        else if (x >= logoX0 && x < logoX0 + logoPx && y >= logoY0 && y < logoY0 + logoPx && inLogo((x - logoX0 + 0.5) / logoPx, (y - logoY0 + 0.5) / logoPx)) target = logo;
        if (target) for (let k = 0; k < 3; k++) c[k] += st * (target[k] - c[k]);
      }
    },
  };
}

function clampByte(x: number): number {
  return x <= 0 ? 0 : x >= 255 ? 255 : Math.round(x);
}
