/**
 * One run per output folder: `acquireRunLock(dir)` creates `<dir>/.run.lock` (owner pid, host,
 * start time, command) atomically; a second run on the same folder is refused with a message
 * naming the lock file and its owner. A lock whose owner process is gone (same host, pid dead,
 * e.g. after SIGKILL) is stale and taken over.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOCK_FILE = '.run.lock';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
  token: string;
}

export interface RunLock {
  file: string;
  owner: LockOwner;
  /** Removes the lock if this process still owns it (idempotent). */
  release(): void;
}

/** True while a process with this pid exists (on this host). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): LockOwner | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

/** Takes the lock of `dir` (created if missing) or throws naming the lock file and its owner. */
export function acquireRunLock(dir: string, command = process.argv.slice(1).join(' ')): RunLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command, token: crypto.randomBytes(8).toString('hex') };
  // Write the content under a unique name, then hard-link it into place: the lock appears whole or not at all.
  const tmp = path.join(dir, `.${LOCK_FILE}.tmp-${process.pid}-${owner.token}`);
  fs.writeFileSync(tmp, `${JSON.stringify(owner, null, 2)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(tmp, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const held = readOwner(file);
      const stale = held === null ? false : held.host === owner.host && !pidAlive(held.pid);
      if (stale && attempt < 3) {
        fs.rmSync(file, { force: true });
        continue;
      }
      const who = held ? `pid ${held.pid} on ${held.host}, started ${held.startedAt}${held.command ? ` (${held.command})` : ''}` : 'an unreadable owner';
      throw new Error(`${dir} is in use by another run: lock file ${file} is held by ${who}; wait for that run to finish, or delete the lock file if that process is gone`);
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    const held = readOwner(file);
    if (held && held.token === owner.token) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { file, owner, release };
}

const TEMP_NAME = /^\..*\.tmp-(\d+)(-[A-Za-z0-9]+)?$/;

/**
 * Removes temporary entries (`.<name>.tmp-<pid>[-<suffix>]`, files or folders) directly under
 * `dir` left by processes that are gone, or by `ownPid` (this process, on its way out). Returns
 * the removed paths.
 */
export function removeTempEntries(dir: string, opts: { ownPid?: number } = {}): string[] {
  if (!fs.existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === opts.ownPid || (pid !== process.pid && !pidAlive(pid))) {
      const p = path.join(dir, name);
      fs.rmSync(p, { recursive: true, force: true });
      removed.push(p);
    }
  }
  return removed;
}
