import { encodeImage } from '@courier/io';

/**
 * Encodes RGB bytes (HWC) as PNG or JPEG (by extension) with @courier/io's encoder and writes
 * the file (atomically). Kept as one seam so the world's image format lives in one place.
 */
export async function writeImageFile(file: string, rgb: Uint8Array, width: number, height: number): Promise<void> {
  await encodeImage(file, rgb, width, height);
}
