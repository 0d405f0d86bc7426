import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { ContractError } from '@courier/data-contracts';
import { ImageCache, encodeImage, loadImage, loadImageBatch } from './index';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-img-'));
const at = (name: string) => path.join(dir, name);

/** w x h RGB with left half red, right half blue. */
function halves(w: number, h: number): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb.set(x < w / 2 ? [255, 0, 0] : [0, 0, 255], (y * w + x) * 3);
  return rgb;
}
const pixel = (img: Float32Array, w: number, x: number, y: number) => Array.from(img.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)).map((v) => Math.round(v * 255));

describe('encodeImage + loadImage', () => {
  it('round-trips PNG pixels exactly as RGB HWC floats in [0, 1]', async () => {
    const rgb = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);
    await encodeImage(at('p.png'), rgb, 4, 3);
    const img = await loadImage(at('p.png'), { width: 4, height: 3 });
    expect(img).toBeInstanceOf(Float32Array);
    expect(img.length).toBe(36);
    expect(Array.from(img, (v) => Math.round(v * 255))).toEqual(Array.from(rgb));
    expect(Math.max(...img)).toBeLessThanOrEqual(1);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('round-trips JPEG and WebP approximately', async () => {
    const rgb = halves(16, 16);
    for (const name of ['j.jpg', 'w.webp']) {
      await encodeImage(at(name), rgb, 16, 16, { quality: 95 });
      const img = await loadImage(at(name), { width: 16, height: 16 });
      let err = 0;
      for (let i = 0; i < rgb.length; i++) err += Math.abs(img[i] - rgb[i] / 255);
      expect(err / rgb.length).toBeLessThan(0.05);
    }
    expect((await sharp(at('j.jpg')).metadata()).format).toBe('jpeg');
  });

  it('resizes with cover (centre crop), contain (padding) and fill (stretch), and crops a region', async () => {
    await encodeImage(at('wide.png'), halves(200, 100), 200, 100);
    const cover = await loadImage(at('wide.png'), { width: 10, height: 10, fit: 'cover' });
    expect(pixel(cover, 10, 0, 0)).toEqual([255, 0, 0]);
    expect(pixel(cover, 9, 9, 0)).toEqual([0, 0, 255]);
    const contain = await loadImage(at('wide.png'), { width: 10, height: 10, fit: 'contain' });
    expect(pixel(contain, 10, 0, 0)).toEqual([0, 0, 0]); // padding row (black)
    expect(pixel(contain, 10, 0, 5)).toEqual([255, 0, 0]);
    const white = await loadImage(at('wide.png'), { width: 10, height: 10, fit: 'contain', background: { r: 255, g: 255, b: 255 } });
    expect(pixel(white, 10, 5, 0)).toEqual([255, 255, 255]);
    const fill = await loadImage(at('wide.png'), { width: 4, height: 8, fit: 'fill' });
    expect(pixel(fill, 4, 0, 0)).toEqual([255, 0, 0]);
    expect(pixel(fill, 4, 3, 7)).toEqual([0, 0, 255]);
    const left = await loadImage(at('wide.png'), { width: 5, height: 5, crop: { left: 0, top: 0, width: 90, height: 100 } });
    expect(new Set(Array.from({ length: 25 }, (_, i) => pixel(left, 5, i % 5, Math.floor(i / 5)).join(',')))).toEqual(new Set(['255,0,0']));
    await expect(loadImage(at('wide.png'), { width: 5, height: 5, crop: { left: 150, top: 0, width: 90, height: 10 } })).rejects.toThrow(/wide\.png: expected a crop inside the 200 x 100 image/);
  });

  it('turns greyscale into RGB and flattens transparency onto the background', async () => {
    await sharp(Buffer.from([0, 128, 255, 64]), { raw: { width: 2, height: 2, channels: 1 } }).png().toFile(at('grey.png'));
    const grey = await loadImage(at('grey.png'), { width: 2, height: 2 });
    expect(pixel(grey, 2, 1, 0)).toEqual([128, 128, 128]);
    await sharp(Buffer.from([255, 0, 0, 0, 0, 255, 0, 255]), { raw: { width: 2, height: 1, channels: 4 } }).png().toFile(at('alpha.png'));
    const alpha = await loadImage(at('alpha.png'), { width: 2, height: 1, fit: 'fill' });
    expect(pixel(alpha, 2, 0, 0)).toEqual([0, 0, 0]); // fully transparent red -> black
    expect(pixel(alpha, 2, 1, 0)).toEqual([0, 255, 0]);
  });

  it('errors name the file: missing, zero-byte, not an image, truncated, unsupported, too large', async () => {
    const cases: [string, Buffer | null, RegExp, number?][] = [
      ['missing.png', null, /missing\.png: expected a readable image file, got no such file/],
      ['empty.png', Buffer.alloc(0), /empty\.png: expected a png\/jpeg\/webp image, got an empty \(0-byte\) file/],
      ['text.png', Buffer.from('hello, not an image'), /text\.png: expected a png\/jpeg\/webp image, got not an image/],
      ['cut.png', fs.readFileSync(at('wide.png')).subarray(0, 60), /cut\.png: .*corrupt or truncated/],
      ['anim.gif', await sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } }).gif().toBuffer(), /anim\.gif: expected a png\/jpeg\/webp image, got an unsupported format \(gif\)/],
      ['big.png', await sharp({ create: { width: 20, height: 20, channels: 3, background: '#f00' } }).png().toBuffer(), /big\.png: expected an image of at most 100 pixels \(maxPixels\), got 20 x 20 = 400 pixels/, 100],
    ];
    for (const [name, bytes, pattern, maxPixels] of cases) {
      if (bytes) fs.writeFileSync(at(name), bytes);
      const err = await loadImage(at(name), { width: 4, height: 4, maxPixels }).catch((e) => e);
      expect(err).toBeInstanceOf(ContractError);
      expect(err.message).toMatch(pattern);
      expect(err.file).toBe(at(name));
    }
    // a JPEG cut in the middle of its scan data
    const jpg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#0af' } }).jpeg().toBuffer();
    fs.writeFileSync(at('cut.jpg'), jpg.subarray(0, Math.floor(jpg.length * 0.6)));
    await expect(loadImage(at('cut.jpg'), { width: 8, height: 8 })).rejects.toThrow(/cut\.jpg: expected .*(corrupt|truncated)/);
  });

  it('rejects bad sizes and bad encode inputs', async () => {
    await expect(loadImage(at('p.png'), { width: 0, height: 4 })).rejects.toThrow(/image size must be positive integers/);
    await expect(encodeImage(at('x.png'), new Uint8Array(5), 2, 2)).rejects.toThrow(/x\.png\): 2 x 2 RGB needs 12 bytes, got 5/);
    await expect(encodeImage(at('x.bmp'), new Uint8Array(12), 2, 2)).rejects.toThrow(/unsupported extension "\.bmp"/);
    expect(fs.existsSync(at('x.png'))).toBe(false);
  });

  it('loads a batch in order', async () => {
    await encodeImage(at('r.png'), new Uint8Array(12).fill(255), 2, 2);
    const batch = await loadImageBatch([at('r.png'), at('grey.png'), at('r.png')], { width: 2, height: 2, concurrency: 2 });
    expect(batch.length).toBe(36);
    expect(Array.from(batch.subarray(0, 12))).toEqual(new Array(12).fill(1));
    expect(Array.from(batch.subarray(12, 24))).toEqual(Array.from(await loadImage(at('grey.png'), { width: 2, height: 2 })));
    expect(Array.from(batch.subarray(24))).toEqual(new Array(12).fill(1));
  });
});

describe('ImageCache', () => {
  it('is an LRU keyed by item id that counts hits, misses and evictions', async () => {
    const cache = new ImageCache({ width: 2, height: 2, maxEntries: 2 });
    const a = await cache.get(1, at('r.png'));
    expect(await cache.get(1, at('r.png'))).toBe(a); // same array: a hit
    await cache.get(2, at('grey.png'));
    await cache.get(1, at('r.png')); // 1 is now the most recent
    await cache.get(3, at('p.png')); // evicts 2
    expect(cache.has(2)).toBe(false);
    expect(cache.has(1)).toBe(true);
    expect(cache.stats()).toEqual({ hits: 2, misses: 3, evictions: 1, size: 2 });
  });

  it('shares one decode between concurrent gets and does not cache failures', async () => {
    const cache = new ImageCache({ width: 2, height: 2 });
    const [x, y] = await Promise.all([cache.get(7, at('r.png')), cache.get(7, at('r.png'))]);
    expect(x).toBe(y);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
    await expect(cache.get(8, at('missing.png'))).rejects.toThrow(ContractError);
    expect(cache.has(8)).toBe(false);
    expect(() => new ImageCache({ width: 2, height: 2, maxEntries: 0 })).toThrow(/maxEntries must be a positive integer/);
  });
});
