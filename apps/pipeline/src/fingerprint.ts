import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '@courier/io';

/**
 * Stage fingerprints: a stage is skipped on a rerun when its recorded fingerprint equals the
 * one computed now. The fingerprint covers the stage's resolved config, the seed, the
 * fingerprints of the stages it reads from, and the source of the libraries it runs, so a
 * change to any of them reruns the stage and everything downstream.
 */
export interface StageFingerprint {
  stage: string;
  hash: string;
}

const FINGERPRINT_FILE = 'fingerprint.json';

/** Hash of every .ts source file (not specs) under the given folders, in sorted order. */
export function sourceHash(dirs: string[]): string {
  const hash = crypto.createHash('sha256');
  const files: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'build') walk(p);
      } else if ((entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) || entry.name.endsWith('.cc')) {
        files.push(p);
      }
    }
  };
  dirs.forEach(walk);
  files.sort();
  for (const f of files) {
    hash.update(f);
    hash.update(fs.readFileSync(f));
  }
  return hash.digest('hex');
}

export function stageFingerprint(stage: string, parts: { config: unknown; seed: number; upstream: StageFingerprint[]; code: string }): StageFingerprint {
  const hash = crypto
    .createHash('sha256')
    .update(JSON.stringify({ stage, config: parts.config, seed: parts.seed, upstream: parts.upstream.map((u) => u.hash), code: parts.code }))
    .digest('hex');
  return { stage, hash };
}

/** True when `dir` holds a completed run of this stage with the same fingerprint. */
export function isUpToDate(dir: string, fingerprint: StageFingerprint): boolean {
  const file = path.join(dir, FINGERPRINT_FILE);
  if (!fs.existsSync(file) || !fs.existsSync(path.join(dir, 'run.json'))) return false;
  try {
    const recorded = JSON.parse(fs.readFileSync(file, 'utf8')) as StageFingerprint;
    return recorded.hash === fingerprint.hash;
  } catch {
    return false;
  }
}

/** Records a completed stage (written last, atomically, so a killed stage never looks done). */
export function markDone(dir: string, fingerprint: StageFingerprint): void {
  writeJsonAtomic(path.join(dir, FINGERPRINT_FILE), fingerprint);
}
