/**
 * Write errors while a stage writes its outputs (ENOSPC, EACCES...) name the stage and the path,
 * and leave no temporary folder behind. node:fs is wrapped before any stage code loads, so a
 * rename of the world's image folder can be made to fail as on a full disk.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOCK_FILE } from '@courier/io';
import { createLogger, initBackend } from '@courier/runtime';
import { runPipeline } from './pipeline';

const failRename: { match: string | null; code: string } = { match: null, code: 'ENOSPC' };

jest.mock('node:fs', () => {
  const actual = jest.requireActual<typeof import('node:fs')>('node:fs');
  return {
    ...actual,
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      if (failRename.match !== null && String(from).includes(failRename.match)) {
        throw Object.assign(new Error(`${failRename.code}: simulated, rename '${String(from)}' -> '${String(to)}'`), { code: failRename.code, path: String(from) });
      }
      return actual.renameSync(from, to);
    },
  };
});

describe('write errors during a stage', () => {
  beforeAll(async () => {
    await initBackend({ log: () => {} });
  });

  it.each([
    ['ENOSPC', 'no space left on device'],
    ['EACCES', 'permission denied'],
  ])('%s while the world stage writes names the stage and the path; its temporary folder is removed and the lock released', async (code, text) => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-write-errors-'));
    failRename.match = '.images.tmp-';
    failRename.code = code;
    try {
      const config = { preset: 'tiny' as const, seed: 1, out: null, visualSignal: null, ctrSeeds: [1], modes: ['cluster-id' as const], oracle: false, world: {}, data: {}, pretrain: {}, cluster: {}, ctr: {}, dataDir: null };
      await expect(runPipeline({ config, outDir: out, log: createLogger('pipeline', { level: 'silent' }) })).rejects.toThrow(
        new RegExp(`pipeline: the world stage could not write .*world/\\.images\\.tmp-${process.pid}\\S*: ${code} \\(${text}\\)`),
      );
    } finally {
      failRename.match = null;
    }
    expect(fs.readdirSync(path.join(out, 'world')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(fs.existsSync(path.join(out, 'world', 'fingerprint.json'))).toBe(false);
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);
  }, 120000);
});
