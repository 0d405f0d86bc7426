import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';

/**
 * Encodes RGB bytes (HWC) as PNG or JPEG (by extension) and writes the file.
 * TODO(io): switch to `encodeImage` from @courier/io once the foundation helper commits it.
 * Callers write into a temporary folder that is renamed when complete, so this is not atomic itself.
 */
export async function writeImageFile(file: string, rgb: Uint8Array, width: number, height: number): Promise<void> {
  const ext = path.extname(file).toLowerCase();
  const img = sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } });
  const buf = ext === '.jpg' || ext === '.jpeg' ? await img.jpeg({ quality: 92 }).toBuffer() : await img.png({ compressionLevel: 6 }).toBuffer();
  await fs.promises.writeFile(file, buf);
}
