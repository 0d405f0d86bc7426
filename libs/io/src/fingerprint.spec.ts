import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContentHashCache, contentHash, isUpToDate, markDone, sourceHash, stableJson, stageFingerprint, stageState, stageStatus } from './fingerprint';

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

describe('input content hashes and outputs', () => {
  const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'io-content-'));

  it('an edited input changes the fingerprint; an unchanged file is not read again', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'impressions.parquet');
    fs.writeFileSync(file, Buffer.alloc(3 << 20, 7));
    const cache = new ContentHashCache(path.join(dir, '.hashes.json'));
    const fp = (c: ContentHashCache) => stageFingerprint('samples', { config: {}, seed: 1, upstream: [], code: 'c', inputs: { impressions: contentHash(file, c) } });
    const before = fp(cache);
    expect(cache.bytesHashed).toBe(3 << 20);
    expect(fp(cache)).toEqual(before);
    expect(cache.bytesHashed).toBe(3 << 20); // stat unchanged: served from the cache
    cache.save();
    const reloaded = new ContentHashCache(path.join(dir, '.hashes.json'));
    expect(fp(reloaded)).toEqual(before);
    expect(reloaded.bytesHashed).toBe(0);
    // Same size, one byte changed, mtime set back: still seen (ctime moved).
    const st = fs.statSync(file);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([8]), 0, 1, 12345);
    fs.closeSync(fd);
    fs.utimesSync(file, st.atime, st.mtime);
    expect(fp(reloaded).hash).not.toBe(before.hash);
    expect(fp(new ContentHashCache()).hash).toBe(fp(reloaded).hash);
  });

  it('hashes a folder by relative names and contents, skipping hidden temporaries', () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'images'));
    fs.writeFileSync(path.join(dir, 'images', '1.png'), 'a');
    fs.writeFileSync(path.join(dir, 'images', '2.png'), 'b');
    const h = contentHash(path.join(dir, 'images'));
    fs.writeFileSync(path.join(dir, 'images', '.3.png.tmp-1-x'), 'c');
    expect(contentHash(path.join(dir, 'images'))).toBe(h);
    fs.writeFileSync(path.join(dir, 'images', '2.png'), 'c');
    expect(contentHash(path.join(dir, 'images'))).not.toBe(h);
    expect(() => contentHash(path.join(dir, 'nope'))).toThrow(/contentHash: .*nope does not exist/);
  });

  it('a stage whose recorded output went missing is stale, naming the file', () => {
    const dir = tmpDir();
    const fp = stageFingerprint('pretrain', { config: {}, seed: 1, upstream: [], code: 'c' });
    fs.writeFileSync(path.join(dir, 'run.json'), '{}');
    expect(() => markDone(dir, fp, ['embeddings.arrow'])).toThrow(/pretrain: finished without writing .*embeddings\.arrow/);
    fs.writeFileSync(path.join(dir, 'embeddings.arrow'), 'x');
    markDone(dir, fp, ['embeddings.arrow']);
    expect(stageState(dir, fp)).toBe('up-to-date');
    fs.rmSync(path.join(dir, 'embeddings.arrow'));
    expect(stageStatus(dir, fp)).toEqual({ state: 'stale', reason: 'output embeddings.arrow went missing' });
  });
});
