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
 * `exclude`: file names (any folder) left out, for code known not to change a result.
 */
export function sourceHash(dirs: string[], exclude: readonly string[] = []): string {
  const hash = crypto.createHash('sha256');
  const files: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'build') walk(p);
      } else if (((entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) || entry.name.endsWith('.cc')) && !exclude.includes(entry.name)) files.push(p);
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

/**
 * `inputs`: content hashes of the files the stage reads (name -> `contentHash`), so an edited
 * input reruns the stage even when every config is unchanged.
 */
export function stageFingerprint(stage: string, parts: { config: unknown; seed: number; upstream: StageFingerprint[]; code: string; inputs?: Record<string, string> }): StageFingerprint {
  const hash = crypto
    .createHash('sha256')
    .update(stableJson({ stage, config: parts.config, seed: parts.seed, upstream: parts.upstream.map((u) => u.hash), code: parts.code, inputs: parts.inputs }))
    .digest('hex');
  return { stage, hash };
}

interface CachedHash {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  hash: string;
}

/**
 * Content hashes remembered by (path, size, mtime, ctime, inode), so an unchanged file is not read
 * again; a file whose stat changed is hashed anew (streamed in 1 MiB chunks). `file` (optional)
 * persists the cache between runs. An edit that keeps size, mtime, ctime and inode is missed;
 * ctime cannot be set from user space, so that takes a tampered clock.
 */
export class ContentHashCache {
  private entries = new Map<string, CachedHash>();
  /** Bytes actually read (for tests and logs). */
  bytesHashed = 0;

  constructor(readonly file?: string) {
    if (file && fs.existsSync(file)) {
      try {
        const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, CachedHash>;
        for (const [k, v] of Object.entries(raw)) this.entries.set(k, v);
      } catch {
        // A corrupt cache is only a slower run.
      }
    }
  }

  fileHash(file: string): string {
    const abs = path.resolve(file);
    const st = fs.statSync(abs);
    const hit = this.entries.get(abs);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ctimeMs === st.ctimeMs && hit.ino === st.ino) return hit.hash;
    const hash = crypto.createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    const fd = fs.openSync(abs, 'r');
    try {
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        hash.update(buf.subarray(0, n));
        this.bytesHashed += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    const digest = hash.digest('hex');
    this.entries.set(abs, { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, hash: digest });
    return digest;
  }

  save(): void {
    if (!this.file) return;
    const live: Record<string, CachedHash> = {};
    for (const [k, v] of this.entries) if (fs.existsSync(k)) live[k] = v;
    writeJsonAtomic(this.file, live);
  }
}

/**
 * Content hash of a file, or of a folder (every file under it, by relative name, sorted; hidden
 * temporary entries skipped). A missing path is an error naming it.
 */
export function contentHash(target: string, cache: ContentHashCache = new ContentHashCache()): string {
  if (!fs.existsSync(target)) throw new Error(`contentHash: ${target} does not exist`);
  const st = fs.statSync(target);
  if (!st.isDirectory()) return cache.fileHash(target);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) files.push(p);
    }
  };
  walk(target);
  files.sort();
  const hash = crypto.createHash('sha256');
  for (const f of files) hash.update(`${path.relative(target, f)}\0${cache.fileHash(f)}\n`);
  return hash.digest('hex');
}

/**
 * 'up-to-date': a completed run (run.json) with this fingerprint; 'stale': a completed run with
 * another one (or an unreadable record); 'absent': no record, i.e. never run or interrupted
 * (a trainer may resume its checkpoint there).
 */
export type StageState = 'up-to-date' | 'stale' | 'absent';

/** The state of a stage folder and, unless up to date, why (for the log). */
export function stageStatus(dir: string, fingerprint: StageFingerprint): { state: StageState; reason: string } {
  const file = path.join(dir, FINGERPRINT_FILE);
  if (!fs.existsSync(file)) return { state: 'absent', reason: `no ${FINGERPRINT_FILE} (never run, or interrupted)` };
  let recorded: StageFingerprint & { outputs?: string[] };
  try {
    recorded = JSON.parse(fs.readFileSync(file, 'utf8')) as StageFingerprint & { outputs?: string[] };
  } catch {
    return { state: 'stale', reason: `${file} is unreadable` };
  }
  if (recorded.hash !== fingerprint.hash) return { state: 'stale', reason: 'config, seed, inputs or code changed' };
  if (!fs.existsSync(path.join(dir, 'run.json'))) return { state: 'stale', reason: 'run.json is missing' };
  const missing = (recorded.outputs ?? []).filter((o) => !fs.existsSync(path.join(dir, o)));
  if (missing.length > 0) return { state: 'stale', reason: `output${missing.length > 1 ? 's' : ''} ${missing.join(', ')} went missing` };
  return { state: 'up-to-date', reason: 'up to date' };
}

export function stageState(dir: string, fingerprint: StageFingerprint): StageState {
  return stageStatus(dir, fingerprint).state;
}

/** True when `dir` holds a completed run of this stage with the same fingerprint. */
export function isUpToDate(dir: string, fingerprint: StageFingerprint): boolean {
  return stageState(dir, fingerprint) === 'up-to-date';
}

/**
 * Records a completed stage (written last, atomically, so a killed stage never looks done).
 * `outputs` (paths relative to `dir`) must all still exist for the stage to count as up to date.
 */
export function markDone(dir: string, fingerprint: StageFingerprint, outputs?: string[]): void {
  if (outputs) {
    const missing = outputs.filter((o) => !fs.existsSync(path.join(dir, o)));
    if (missing.length > 0) throw new Error(`${fingerprint.stage}: finished without writing ${missing.map((o) => path.join(dir, o)).join(', ')}`);
  }
  writeJsonAtomic(path.join(dir, FINGERPRINT_FILE), outputs ? { ...fingerprint, outputs } : fingerprint);
}
