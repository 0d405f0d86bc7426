import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogger, hashString } from '@courier/runtime';
import type { WorldConfig } from './config';
import { generateWorld } from './generate';

const cache = new Map<string, Promise<string>>();
let cleanupRegistered = false;
const root = path.join(os.tmpdir(), `courier-tiny-worlds-${process.pid}`);

/**
 * A `tiny` world for tests: generated once per process per (seed, overrides) under os.tmpdir(),
 * removed when the process exits. Returns the world folder.
 */
export function makeTinyWorld(seed = 1, overrides: Partial<WorldConfig> = {}): Promise<string> {
  const key = `${seed}:${JSON.stringify(Object.entries(overrides).sort(([a], [b]) => a.localeCompare(b)))}`;
  let hit = cache.get(key);
  if (!hit) {
    // Keyed by content: jest gives each spec file a fresh module registry, so a later spec file
    // in the same worker process finds the finished world (world.json is written last) on disk.
    const dir = path.join(root, `seed${seed}-${hashString(key).toString(16)}`);
    if (!cleanupRegistered) {
      cleanupRegistered = true;
      process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
    }
    hit = fs.existsSync(path.join(dir, 'world.json'))
      ? Promise.resolve(dir)
      : generateWorld({ preset: 'tiny', outDir: dir, seed, overrides, log: createLogger('world', { level: 'warn' }) }).then(() => dir);
    hit.catch(() => cache.delete(key));
    cache.set(key, hit);
  }
  return hit;
}
