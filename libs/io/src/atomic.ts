import * as fs from 'node:fs';
import * as path from 'node:path';

/** A temporary sibling name for `target`; renamed onto `target` only when complete. */
export function temporaryPathFor(target: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
}

/**
 * Runs `write(tmpPath)` and renames the temporary file onto `target` when it resolves, so a
 * killed run never leaves a file that looks finished. On failure the temporary file is removed.
 */
export async function writeAtomically<T>(target: string, write: (tmpPath: string) => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const tmp = temporaryPathFor(target);
  try {
    const result = await write(tmp);
    fs.renameSync(tmp, target);
    return result;
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes text (or bytes) atomically. */
export function writeFileAtomicSync(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const tmp = temporaryPathFor(target);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes a JSON document atomically (2-space indent, trailing newline). */
export function writeJsonAtomic(target: string, value: unknown): void {
  writeFileAtomicSync(target, `${JSON.stringify(value, null, 2)}\n`);
}

/** Async form of `writeFileAtomicSync`. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await writeAtomically(target, (tmp) => fs.promises.writeFile(tmp, data));
}
