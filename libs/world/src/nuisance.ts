/**
 * Interest-irrelevant image variation ("nuisance", issue #19): what makes real catalogue photos
 * differ although users do not care: the background, the lighting, the composition (framing,
 * a second copy or a prop) and the merchant's photo template (a border and a corner logo).
 *
 * Every draw comes from its own random stream (`root.fork('nuisance')`, one fork per item and per
 * merchant), never from the items', users', sessions' or images' streams: the knob changes the
 * pictures and nothing else (taste attributes, ranker and clicks stay identical; a test pins it).
 * The draws are made at full strength and stored as such in ground-truth.json; the renderer
 * scales them by `WorldConfig.nuisance` in [0, 1], and at 0 it takes none of these code paths,
 * so `nuisance: 0` gives today's images byte for byte (pinned by hashes in world.spec.ts).
 *
 * Full-strength ranges (as the issue asks):
 * - background: any hue, saturation 0-0.6, lightness 0.35-0.95; plain, a linear gradient
 *   (lightness +-0.18 across the image) or a coarse texture (cells of 12-20% of the width,
 *   lightness +-0.12 per cell);
 * - lighting: per-channel gains exp(U(-0.25, 0.25)) (0.78-1.28) and a brightness shift
 *   U(-40, 40) on the 0-255 scale, on the whole photo (before the template and the pixel noise);
 * - composition: scale U(0.65, 1.08) and offsets U(-0.18, 0.18) of the width (blended with the
 *   image's own small shift and scale by the strength); with probability 0.25 each a second,
 *   smaller copy of the item or a prop (disc, block or stand in a random colour) behind it, present
 *   when the item's draw falls below the strength;
 * - merchant template: `merchants` templates, each a border (3-6% of the width) in its colour
 *   and a small logo (square, disc, triangle or diamond, 16% of the width) in one corner;
 *   an item belongs to one merchant (uniform).
 */
import { Rng } from '@courier/runtime';

export const BACKGROUND_STYLES = ['plain', 'gradient', 'texture'] as const;
export type BackgroundStyle = (typeof BACKGROUND_STYLES)[number];
export const EXTRAS = ['none', 'copy', 'prop'] as const;
export type Extra = (typeof EXTRAS)[number];
export const LOGO_SHAPES = ['square', 'disc', 'triangle', 'diamond'] as const;
export const PROP_SHAPES = ['disc', 'block', 'stand'] as const;

/** Background buckets for the probes: 6 hue sectors (60 degrees) x dark (lightness < 0.65) / light. */
export const BACKGROUND_BUCKETS = 12;
/** Lighting buckets for the probes: brightness (dark < -40/3, normal, bright > 40/3) x warm (red gain >= blue gain) / cool. */
export const LIGHTING_BUCKETS = 6;

export interface MerchantTemplate {
  merchant: number;
  /** Border colour (HSL, hue in degrees). */
  borderHue: number;
  borderSaturation: number;
  borderLightness: number;
  /** Border width as a fraction of the image width. */
  borderWidth: number;
  /** 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right. */
  logoCorner: number;
  logoShape: (typeof LOGO_SHAPES)[number];
  logoHue: number;
  logoLightness: number;
}

/** One item's nuisance at full strength (ground truth; the renderer scales it by the strength). */
export interface ItemNuisance {
  itemId: number;
  merchant: number;
  background: {
    hue: number;
    saturation: number;
    lightness: number;
    style: BackgroundStyle;
    /** Gradient direction, radians. */
    angle: number;
    /** Texture cell size as a fraction of the width. */
    cell: number;
    /** Seed of the texture's cell lightness draws. */
    textureSeed: number;
    bucket: number;
  };
  lighting: {
    /** log gains of the red, green, blue channels. */
    logGains: [number, number, number];
    /** Brightness shift, 0-255 scale. */
    brightness: number;
    bucket: number;
  };
  composition: {
    scale: number;
    dx: number;
    dy: number;
    extra: Extra;
    /** The extra is drawn when this is below the strength (so fewer extras at lower strength). */
    extraDraw: number;
    /** Centre of the extra (image fractions), its size (fraction of the width), and a prop's look. */
    extraX: number;
    extraY: number;
    extraSize: number;
    propShape: (typeof PROP_SHAPES)[number];
    propHue: number;
    propSaturation: number;
    propLightness: number;
  };
}

/** Strength of each factor in [0, 1]; the world uses `nuisance` for all four, the RMS tool one at a time. */
export interface NuisanceStrength {
  background: number;
  lighting: number;
  composition: number;
  template: number;
}

export const uniformStrength = (s: number): NuisanceStrength => ({ background: s, lighting: s, composition: s, template: s });
export const ZERO_STRENGTH: NuisanceStrength = uniformStrength(0);
export const isZeroStrength = (s: NuisanceStrength): boolean => s.background === 0 && s.lighting === 0 && s.composition === 0 && s.template === 0;

const round = (x: number, k = 4) => Math.round(x * 10 ** k) / 10 ** k;

/** The merchants' photo templates, from `rng` (one fork per merchant). */
export function generateMerchants(count: number, rng: Rng): MerchantTemplate[] {
  return Array.from({ length: count }, (_, m) => {
    const r = rng.fork(`merchant:${m}`);
    return {
      merchant: m,
      borderHue: round(r.uniform(0, 360), 2),
      borderSaturation: round(r.uniform(0, 0.9)),
      borderLightness: round(r.uniform(0.15, 0.85)),
      borderWidth: round(r.uniform(0.03, 0.06)),
      logoCorner: r.int(4),
      logoShape: r.pick(LOGO_SHAPES),
      logoHue: round(r.uniform(0, 360), 2),
      logoLightness: round(r.uniform(0.25, 0.6)),
    };
  });
}

export function backgroundBucket(hue: number, lightness: number): number {
  return Math.floor((((hue % 360) + 360) % 360) / 60) * 2 + (lightness < 0.65 ? 0 : 1);
}

export function lightingBucket(logGains: readonly number[], brightness: number): number {
  const level = brightness < -40 / 3 ? 0 : brightness > 40 / 3 ? 2 : 1;
  return level * 2 + (logGains[0] >= logGains[2] ? 0 : 1);
}

/** Every item's nuisance at full strength, item i from `rng.fork(i)` (independent of the item count). */
export function generateNuisance(itemIds: readonly number[], merchants: number, rng: Rng): ItemNuisance[] {
  return itemIds.map((itemId) => {
    const r = rng.fork(`item:${itemId}`);
    const merchant = r.int(merchants);
    const hue = round(r.uniform(0, 360), 2);
    const saturation = round(r.uniform(0, 0.6));
    const lightness = round(r.uniform(0.35, 0.95));
    const style = r.pick(BACKGROUND_STYLES);
    const angle = round(r.uniform(0, 2 * Math.PI));
    const cell = round(r.uniform(0.12, 0.2));
    const textureSeed = r.nextUint32();
    const logGains: [number, number, number] = [round(r.uniform(-0.25, 0.25)), round(r.uniform(-0.25, 0.25)), round(r.uniform(-0.25, 0.25))];
    const brightness = round(r.uniform(-40, 40), 2);
    const scale = round(r.uniform(0.65, 1.08));
    const dx = round(r.uniform(-0.18, 0.18));
    const dy = round(r.uniform(-0.18, 0.18));
    const kind = r.next();
    const extra: Extra = kind < 0.5 ? 'none' : kind < 0.75 ? 'copy' : 'prop';
    const extraDraw = round(r.next());
    // The extra sits in a corner region, away from the centre where the item usually is.
    const extraX = round(r.bernoulli(0.5) ? r.uniform(0.12, 0.3) : r.uniform(0.7, 0.88));
    const extraY = round(r.uniform(0.2, 0.85));
    const extraSize = round(r.uniform(0.15, 0.3));
    const propShape = r.pick(PROP_SHAPES);
    const propHue = round(r.uniform(0, 360), 2);
    const propSaturation = round(r.uniform(0, 0.8));
    const propLightness = round(r.uniform(0.2, 0.8));
    return {
      itemId,
      merchant,
      background: { hue, saturation, lightness, style, angle, cell, textureSeed, bucket: backgroundBucket(hue, lightness) },
      lighting: { logGains, brightness, bucket: lightingBucket(logGains, brightness) },
      composition: { scale, dx, dy, extra, extraDraw, extraX, extraY, extraSize, propShape, propHue, propSaturation, propLightness },
    };
  });
}
