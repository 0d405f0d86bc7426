import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { ContractError, described } from '@courier/data-contracts';
import { writeFileAtomic } from './atomic';

/**
 * Image decoding for the encoders: file -> RGB, HWC (row-major, channels last), float32 in [0, 1].
 * Decoding and resizing are done by sharp (libvips). Every failure is a ContractError naming the
 * file: missing, zero-byte, not an image / unsupported format, corrupt or truncated, or larger
 * than the pixel limit (a guard against decompression bombs).
 */
export type ImageFit = 'cover' | 'contain' | 'fill';

/** Formats accepted by default (RAW_ITEMS.image_path: PNG, JPEG or WebP). */
export const IMAGE_FORMATS = ['png', 'jpeg', 'webp'] as const;

/** Default pixel limit of a source image (width x height). */
export const DEFAULT_MAX_PIXELS = 4096 * 4096;

export interface LoadImageOptions {
  /** Output size in pixels. */
  width: number;
  height: number;
  /**
   * How the source maps onto width x height: 'cover' (default) scales to fill and crops the
   * centre; 'contain' scales to fit and pads with `background`; 'fill' stretches.
   */
  fit?: ImageFit;
  /** Source images with more pixels than this are rejected (default 4096*4096). */
  maxPixels?: number;
  /** Optional region of the source (in source pixels) cut out before resizing. */
  crop?: { left: number; top: number; width: number; height: number };
  /** Padding colour for 'contain' and the colour transparent pixels are flattened onto (default black). */
  background?: { r: number; g: number; b: number };
  /** Accepted source formats (sharp's names; default PNG, JPEG, WebP). */
  formats?: readonly string[];
}

function checkSize(width: number, height: number, where: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`${where}: image size must be positive integers, got ${width} x ${height}`);
  }
}

/** Decodes, (crops,) resizes and normalises one image. Returns width*height*3 floats in [0, 1]. */
export async function loadImage(file: string, options: LoadImageOptions): Promise<Float32Array> {
  checkSize(options.width, options.height, `loadImage(${file})`);
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ContractError({ file }, 'a readable image file', described(code === 'ENOENT' ? 'no such file' : `an unreadable file (${code ?? (err as Error).message})`));
  }
  return decodeImage(bytes, options, file);
}

/**
 * `loadImage` on bytes already in memory (an upload, a served request): the same checks, decode
 * and normalisation; errors are ContractErrors naming `file` (a name for the bytes).
 */
export async function decodeImage(bytes: Buffer, options: LoadImageOptions, file = 'image'): Promise<Float32Array> {
  const { width, height } = options;
  checkSize(width, height, `decodeImage(${file})`);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const formats = options.formats ?? IMAGE_FORMATS;
  if (bytes.length === 0) throw new ContractError({ file }, `a ${formats.join('/')} image`, described('an empty (0-byte) file'));
  // The format comes from the magic bytes (no libvips round trip); the image size is read from the
  // header only when a crop needs it or the pixel limit trips, so the common path is one decode.
  let format = sniffFormat(bytes);
  if (format === null) {
    // Not a format we sniff: ask libvips (tells "not an image" from "an image in another format").
    try {
      format = (await sharp(bytes).metadata()).format ?? 'unknown';
    } catch (err) {
      throw new ContractError({ file }, `a ${formats.join('/')} image`, described(describeSharpError(err)));
    }
  }
  if (!formats.includes(format)) throw new ContractError({ file }, `a ${formats.join('/')} image`, described(`an unsupported format (${format})`));
  const header = async (): Promise<{ srcW: number; srcH: number }> => {
    try {
      // Only the header is read: no pixel limit here (sharp's default would hide the real size).
      const m = await sharp(bytes, { limitInputPixels: false }).metadata();
      return { srcW: m.width ?? 0, srcH: m.height ?? 0 };
    } catch (err) {
      throw new ContractError({ file }, `a ${formats.join('/')} image`, described(describeSharpError(err)));
    }
  };
  const overLimit = (srcW: number, srcH: number) =>
    new ContractError({ file }, `an image of at most ${maxPixels} pixels (maxPixels)`, described(`${srcW} x ${srcH} = ${srcW * srcH} pixels`));
  const background = { ...(options.background ?? { r: 0, g: 0, b: 0 }), alpha: 1 };
  let pipeline = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' }).rotate(); // apply EXIF orientation
  if (options.crop) {
    const c = options.crop;
    const { srcW, srcH } = await header();
    if (srcW * srcH > maxPixels) throw overLimit(srcW, srcH);
    if (c.left < 0 || c.top < 0 || c.width <= 0 || c.height <= 0 || c.left + c.width > srcW || c.top + c.height > srcH) {
      throw new ContractError({ file }, `a crop inside the ${srcW} x ${srcH} image`, described(`left ${c.left}, top ${c.top}, ${c.width} x ${c.height}`));
    }
    pipeline = pipeline.extract(c);
  }
  pipeline = pipeline
    .resize(width, height, { fit: options.fit ?? 'cover', position: 'centre', background, kernel: 'lanczos3' })
    .flatten({ background })
    .toColourspace('srgb')
    .removeAlpha();
  let data: Buffer;
  let info: sharp.OutputInfo;
  try {
    ({ data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true }));
  } catch (err) {
    if (/exceeds pixel limit/i.test((err as Error).message ?? '')) {
      const { srcW, srcH } = await header();
      throw overLimit(srcW, srcH);
    }
    throw new ContractError({ file }, `a ${formats.join('/')} image`, described(describeSharpError(err)));
  }
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new ContractError({ file }, `${width} x ${height} x 3 pixels after resizing`, described(`${info.width} x ${info.height} x ${info.channels}`));
  }
  const out = new Float32Array(data.length);
  const scale = 1 / 255;
  for (let i = 0; i < data.length; i++) out[i] = data[i] * scale;
  return out;
}

/** PNG, JPEG, WebP, GIF or TIFF from the first bytes; null for anything else. */
function sniffFormat(b: Buffer): string | null {
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  if (b.length >= 6 && b.toString('latin1', 0, 4) === 'GIF8') return 'gif';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a))) return 'tiff';
  return null;
}

function describeSharpError(err: unknown): string {
  const message = (err as Error).message ?? String(err);
  if (/unsupported image format/i.test(message)) return 'not an image (unsupported or unknown format)';
  if (/exceeds pixel limit/i.test(message)) return 'an image over the pixel limit';
  return `a corrupt or truncated image (${message.split('\n')[0]})`;
}

/**
 * Loads several images into one batch buffer [n, height, width, 3] (float32, [0, 1]), decoding
 * up to `concurrency` at a time (sharp decodes on its own thread pool).
 */
export async function loadImageBatch(files: readonly string[], options: LoadImageOptions & { concurrency?: number }): Promise<Float32Array> {
  const per = options.width * options.height * 3;
  const out = new Float32Array(files.length * per);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      out.set(await loadImage(files[i], options), i * per);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return out;
}

export interface ImageCacheOptions {
  width: number;
  height: number;
  /** Most decoded images kept (least recently used evicted first). Default 2048. */
  maxEntries?: number;
  fit?: ImageFit;
  maxPixels?: number;
}

export interface ImageCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  size: number;
}

/**
 * LRU cache of decoded images keyed by item id. The arrays it returns are shared with the cache:
 * treat them as read-only. Concurrent `get`s of one key share one decode (counted as one miss
 * and then hits). A failed decode is not cached.
 */
export class ImageCache {
  private readonly entries = new Map<number, Promise<Float32Array>>();
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  readonly maxEntries: number;

  constructor(private readonly options: ImageCacheOptions) {
    checkSize(options.width, options.height, 'ImageCache');
    this.maxEntries = options.maxEntries ?? 2048;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new Error(`ImageCache: maxEntries must be a positive integer, got ${options.maxEntries}`);
  }

  async get(key: number, file: string): Promise<Float32Array> {
    const cached = this.entries.get(key);
    if (cached) {
      this.hits++;
      this.entries.delete(key); // re-insert: Map order is the recency order
      this.entries.set(key, cached);
      return cached;
    }
    this.misses++;
    const pending = loadImage(file, { width: this.options.width, height: this.options.height, fit: this.options.fit, maxPixels: this.options.maxPixels });
    this.entries.set(key, pending);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as number;
      this.entries.delete(oldest);
      this.evictions++;
    }
    try {
      return await pending;
    } catch (err) {
      if (this.entries.get(key) === pending) this.entries.delete(key);
      throw err;
    }
  }

  has(key: number): boolean {
    return this.entries.has(key);
  }

  clear(): void {
    this.entries.clear();
  }

  stats(): ImageCacheStats {
    return { hits: this.hits, misses: this.misses, evictions: this.evictions, size: this.entries.size };
  }
}

/** Output formats of `encodeImage`, by file extension. */
const ENCODERS: Record<string, (img: sharp.Sharp, o: EncodeImageOptions) => sharp.Sharp> = {
  '.png': (img, o) => img.png({ compressionLevel: o.compressionLevel ?? 6 }),
  '.jpg': (img, o) => img.jpeg({ quality: o.quality ?? 90 }),
  '.jpeg': (img, o) => img.jpeg({ quality: o.quality ?? 90 }),
  '.webp': (img, o) => img.webp({ quality: o.quality ?? 90 }),
};

export interface EncodeImageOptions {
  /** JPEG/WebP quality 1-100 (default 90). */
  quality?: number;
  /** PNG zlib level 0-9 (default 6). */
  compressionLevel?: number;
}

/** Writes 8-bit RGB pixels (HWC) as PNG, JPEG or WebP, chosen by the extension; atomic. */
export async function encodeImage(file: string, rgb: Uint8Array, width: number, height: number, options: EncodeImageOptions = {}): Promise<void> {
  checkSize(width, height, `encodeImage(${file})`);
  if (rgb.length !== width * height * 3) throw new Error(`encodeImage(${file}): ${width} x ${height} RGB needs ${width * height * 3} bytes, got ${rgb.length}`);
  const ext = path.extname(file).toLowerCase();
  const encode = ENCODERS[ext];
  if (!encode) throw new Error(`encodeImage(${file}): unsupported extension "${ext}"; expected one of ${Object.keys(ENCODERS).join(', ')}`);
  const img = sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } });
  const bytes = await encode(img, options).toBuffer();
  await writeFileAtomic(file, bytes);
}
