import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOCK_FILE, acquireRunLock, pidAlive, removeTempEntries } from './lock';

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'io-lock-'));

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const pid = Number(r.stdout.toString());
  expect(pidAlive(pid)).toBe(false);
  return pid;
}

describe('run lock', () => {
  it('refuses a second run on the same folder, naming the lock file and the owner pid; released, it can be taken again', () => {
    const dir = tmpDir();
    const lock = acquireRunLock(dir, 'first');
    const file = path.join(dir, LOCK_FILE);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'first' });
    expect(() => acquireRunLock(dir, 'second')).toThrow(new RegExp(`lock file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is held by pid ${process.pid} on ${os.hostname()}`));
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
    acquireRunLock(dir, 'third').release();
  });

  it('takes over a stale lock whose owner pid is dead', () => {
    const dir = tmpDir();
    const pid = deadPid();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), startedAt: '2026-01-01T00:00:00Z', command: 'killed', token: 't' }));
    const lock = acquireRunLock(dir, 'after');
    expect(lock.owner.pid).toBe(process.pid);
    lock.release();
  });

  it('removes temporaries of dead processes and, on the way out, its own; keeps those of live ones', () => {
    const dir = tmpDir();
    const dead = deadPid();
    fs.mkdirSync(path.join(dir, `.images.tmp-${dead}`));
    fs.writeFileSync(path.join(dir, `.items.parquet.tmp-${dead}-abc123`), 'x');
    fs.mkdirSync(path.join(dir, `.images.tmp-${process.pid}`));
    fs.writeFileSync(path.join(dir, 'items.parquet'), 'x');
    expect(removeTempEntries(dir).map((p) => path.basename(p)).sort()).toEqual([`.images.tmp-${dead}`, `.items.parquet.tmp-${dead}-abc123`]);
    expect(fs.existsSync(path.join(dir, `.images.tmp-${process.pid}`))).toBe(true);
    expect(removeTempEntries(dir, { ownPid: process.pid }).map((p) => path.basename(p))).toEqual([`.images.tmp-${process.pid}`]);
    expect(fs.readdirSync(dir)).toEqual(['items.parquet']);
  });
});
