/**
 * Stage fingerprints, shared by the apps that chain stages (pipeline, experiments): a stage
 * folder is reused when its recorded fingerprint equals the one computed now, a hash of the
 * stage's resolved config, seed, upstream fingerprints and the source of the libraries it runs,
 * so a change to any of them reruns the stage and everything downstream.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from './atomic';

export interface StageFingerprint {
  stage: string;
  hash: string;
}

export const FINGERPRINT_FILE = 'fingerprint.json';

/**
 * Hash of every non-spec .ts (and .cc) file under the given folders, in sorted order. Paths are
 * hashed relative to the parent of the first folder, so moving the checkout changes nothing.
 */
export function sourceHash(dirs: string[]): string {
  const hash = crypto.createHash('sha256');
  const files: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'build') walk(p);
      } else if ((entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) || entry.name.endsWith('.cc')) files.push(p);
    }
  };
  dirs.forEach(walk);
  files.sort();
  for (const f of files) {
    hash.update(path.relative(path.dirname(dirs[0] ?? '.'), f));
    hash.update(fs.readFileSync(f));
  }
  return hash.digest('hex');
}

/** JSON with object keys sorted, so equal configs hash equally whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as Record<string, unknown>)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Short stable hash of a JSON value (folder names). */
export function shortHash(value: unknown, length = 8): string {
  return crypto.createHash('sha256').update(stableJson(value)).digest('hex').slice(0, length);
}

export function stageFingerprint(stage: string, parts: { config: unknown; seed: number; upstream: StageFingerprint[]; code: string }): StageFingerprint {
  const hash = crypto
    .createHash('sha256')
    .update(stableJson({ stage, config: parts.config, seed: parts.seed, upstream: parts.upstream.map((u) => u.hash), code: parts.code }))
    .digest('hex');
  return { stage, hash };
}

/**
 * 'up-to-date': a completed run (run.json) with this fingerprint; 'stale': a completed run with
 * another one (or an unreadable record); 'absent': no record, i.e. never run or interrupted
 * (a trainer may resume its checkpoint there).
 */
export type StageState = 'up-to-date' | 'stale' | 'absent';

export function stageState(dir: string, fingerprint: StageFingerprint): StageState {
  const file = path.join(dir, FINGERPRINT_FILE);
  if (!fs.existsSync(file)) return 'absent';
  try {
    const recorded = JSON.parse(fs.readFileSync(file, 'utf8')) as StageFingerprint;
    return recorded.hash === fingerprint.hash && fs.existsSync(path.join(dir, 'run.json')) ? 'up-to-date' : 'stale';
  } catch {
    return 'stale';
  }
}

/** True when `dir` holds a completed run of this stage with the same fingerprint. */
export function isUpToDate(dir: string, fingerprint: StageFingerprint): boolean {
  return stageState(dir, fingerprint) === 'up-to-date';
}

/** Records a completed stage (written last, atomically, so a killed stage never looks done). */
export function markDone(dir: string, fingerprint: StageFingerprint): void {
  writeJsonAtomic(path.join(dir, FINGERPRINT_FILE), fingerprint);
}
