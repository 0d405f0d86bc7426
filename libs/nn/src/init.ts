/**
 * Seeded initialisers. Each takes a `RandomSource` (uniform draws in [0, 1)) instead of owning a
 * generator, so every caller keeps its own stream (an `Rng`, a forked `Rng`, a bulk stream) and
 * so its exact numbers: values come out in row-major order, one draw per uniform value and a
 * Box-Muller pair per two normal values, the same arithmetic as the copies they replaced
 * (`Rng.uniform` / `Rng.normal`, amazon-bench's fillUniform / fillNormal).
 */

/** Uniform draws in [0, 1), e.g. `() => rng.next()`. */
export type RandomSource = () => number;

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** n draws from U(low, high): low + (high - low) u. */
export function fillUniform(n: number, low: number, high: number, random: RandomSource): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * random();
  return out;
}

export interface NormalOptions {
  /** Added to every draw (default 0, added only when given). */
  mean?: number;
  /**
   * Rounding of a Box-Muller pair. 'pair' (default): both values are (std r) cos / (std r) sin.
   * 'rng-normal': the second is std (r sin), as `Rng.normal(mean, std)` computes its cached
   * spare, so a table filled this way equals n successive `rng.normal(mean, std)` calls bit for
   * bit (the CTR model's embedding tables). The two can differ in the last bit of the float64
   * value; the float32 store hides that almost always (0 of 1e5 values for one seed), so the
   * option only makes the guarantee exact.
   */
  rounding?: 'pair' | 'rng-normal';
}

/**
 * n draws from N(mean, std^2) by Box-Muller: each pair (u, v), u = 0 redrawn, gives
 * std sqrt(-2 ln u) cos(2 pi v) then the matching sin; an odd n drops the last sin.
 */
export function fillNormal(n: number, std: number, random: RandomSource, options: NormalOptions = {}): Float32Array {
  const out = new Float32Array(n);
  const rngNormal = options.rounding === 'rng-normal';
  const mean = options.mean;
  for (let i = 0; i < n; i += 2) {
    let u = random();
    while (u === 0) u = random();
    const root = Math.sqrt(-2 * Math.log(u));
    const v = 2 * Math.PI * random();
    const r = std * root;
    // The mean is added in float64, before the float32 store (as Rng.normal's caller would see it).
    const a = r * Math.cos(v);
    out[i] = mean === undefined ? a : mean + a;
    if (i + 1 < n) {
      const b = rngNormal ? std * (root * Math.sin(v)) : r * Math.sin(v);
      out[i + 1] = mean === undefined ? b : mean + b;
    }
  }
  return out;
}

/** Normal(0, std^2) values for a shape (embedding tables); see fillNormal for the options. */
export function normal(shape: readonly number[], std: number, random: RandomSource, options: NormalOptions = {}): Float32Array {
  return fillNormal(sizeOf(shape), std, random, options);
}

/** Uniform(low, high) values for a shape. */
export function uniform(shape: readonly number[], low: number, high: number, random: RandomSource): Float32Array {
  return fillUniform(sizeOf(shape), low, high, random);
}

/** Fan-in and fan-out of a weight shape: [in, out], or a conv kernel [..., in, out] (receptive field folded in). */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`fans: a weight shape needs rank >= 2, got [${shape.join(', ')}]`);
  const field = sizeOf(shape.slice(0, -2));
  return { fanIn: shape[shape.length - 2] * field, fanOut: shape[shape.length - 1] * field };
}

/** Glorot (Xavier) uniform: U(-b, b), b = sqrt(6 / (fanIn + fanOut)). */
export function glorotUniform(shape: readonly number[], random: RandomSource): Float32Array {
  const { fanIn, fanOut } = fans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return fillUniform(sizeOf(shape), -limit, limit, random);
}

/** Glorot (Xavier) normal: N(0, 2 / (fanIn + fanOut)). */
export function glorotNormal(shape: readonly number[], random: RandomSource): Float32Array {
  const { fanIn, fanOut } = fans(shape);
  return fillNormal(sizeOf(shape), Math.sqrt(2 / (fanIn + fanOut)), random);
}

/** He (Kaiming) uniform for ReLU layers: U(-b, b), b = sqrt(6 / fanIn). */
export function heUniform(shape: readonly number[], random: RandomSource): Float32Array {
  const limit = Math.sqrt(6 / fans(shape).fanIn);
  return fillUniform(sizeOf(shape), -limit, limit, random);
}

/** He (Kaiming) normal: N(0, 2 / fanIn). */
export function heNormal(shape: readonly number[], random: RandomSource): Float32Array {
  return fillNormal(sizeOf(shape), Math.sqrt(2 / fans(shape).fanIn), random);
}

/** All zeros (biases); draws nothing. */
export function zeros(shape: readonly number[]): Float32Array {
  return new Float32Array(sizeOf(shape));
}

/** All ones (layer-norm gains); draws nothing. */
export function ones(shape: readonly number[]): Float32Array {
  return new Float32Array(sizeOf(shape)).fill(1);
}
