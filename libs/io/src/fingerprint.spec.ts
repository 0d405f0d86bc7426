import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isUpToDate, markDone, sourceHash, stableJson, stageFingerprint, stageState } from './fingerprint';

describe('stage fingerprints', () => {
  it('hash configs independently of key order, and differ when anything differs', () => {
    expect(stableJson({ b: 1, a: { d: [1, 2], c: null } })).toBe(stableJson({ a: { c: null, d: [1, 2] }, b: 1 }));
    const base = { config: { lr: 1e-3, epochs: 4 }, seed: 1, upstream: [], code: 'x' };
    const fp = stageFingerprint('pretrain', base);
    expect(stageFingerprint('pretrain', { ...base, config: { epochs: 4, lr: 1e-3 } }).hash).toBe(fp.hash);
    expect(stageFingerprint('pretrain', { ...base, seed: 2 }).hash).not.toBe(fp.hash);
    expect(stageFingerprint('pretrain', { ...base, upstream: [{ stage: 'samples', hash: 'h' }] }).hash).not.toBe(fp.hash);
    expect(stageFingerprint('clusters', base).hash).not.toBe(fp.hash);
  });

  it('a folder is absent until marked done after run.json, stale when the fingerprint changes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'io-fp-'));
    const fp = stageFingerprint('world', { config: {}, seed: 1, upstream: [], code: 'c' });
    expect(stageState(dir, fp)).toBe('absent');
    markDone(dir, fp);
    expect(isUpToDate(dir, fp)).toBe(false); // no run.json: not a completed run
    fs.writeFileSync(path.join(dir, 'run.json'), '{}');
    expect(stageState(dir, fp)).toBe('up-to-date');
    expect(stageState(dir, stageFingerprint('world', { config: {}, seed: 2, upstream: [], code: 'c' }))).toBe('stale');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('source hashes change with a source file, not with specs or with the checkout location', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'io-src-'));
    const lib = path.join(root, 'a', 'lib');
    fs.mkdirSync(lib, { recursive: true });
    fs.writeFileSync(path.join(lib, 'x.ts'), 'export const x = 1;');
    const h1 = sourceHash([lib]);
    fs.writeFileSync(path.join(lib, 'x.spec.ts'), 'test');
    expect(sourceHash([lib])).toBe(h1);
    const moved = path.join(root, 'b', 'lib');
    fs.mkdirSync(path.dirname(moved), { recursive: true });
    fs.cpSync(lib, moved, { recursive: true });
    expect(sourceHash([moved])).toBe(h1);
    fs.writeFileSync(path.join(lib, 'x.ts'), 'export const x = 2;');
    expect(sourceHash([lib])).not.toBe(h1);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
