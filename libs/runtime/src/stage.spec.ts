import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateRunMetadata } from '@courier/data-contracts';
import { createLogger, gitRevision, runStage } from './index';

const quiet = createLogger('test', { level: 'silent' });

describe('runStage', () => {
  it('writes run.json with config, seed, backend, git revision, timings and body keys', async () => {
    const outDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'courier-stage-')), 'nested', 'stage');
    const config = { batchSize: 8, attention: 'cross' };
    let draws: number[] = [];
    const before = Date.now();
    const meta = await runStage({ stage: 'pretrain', outDir, seed: 42, config, log: quiet }, async (ctx) => {
      expect(ctx.outDir).toBe(outDir);
      expect(fs.existsSync(outDir)).toBe(true);
      draws = [ctx.rng.next(), ctx.rng.next()];
      await ctx.time('load', () => new Promise((r) => setTimeout(r, 30)));
      await ctx.time('load', () => 1);
      const v = await ctx.time('train', async () => 7);
      return { finalLoss: 0.25, steps: v, seed: 999 };
    });
    const onDisk = JSON.parse(fs.readFileSync(path.join(outDir, 'run.json'), 'utf8'));
    expect(onDisk).toEqual(meta);
    validateRunMetadata(onDisk);
    expect(onDisk).toMatchObject({ contract: 'run', version: 1, stage: 'pretrain', seed: 42, backend: 'none', config, finalLoss: 0.25, steps: 7 });
    expect(onDisk.timings.load).toBeGreaterThanOrEqual(0.025);
    expect(onDisk.timings.total).toBeGreaterThanOrEqual(onDisk.timings.load);
    expect(Object.keys(onDisk.timings).sort()).toEqual(['load', 'total', 'train']);
    expect(Date.parse(onDisk.startedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(onDisk.finishedAt)).toBeGreaterThanOrEqual(Date.parse(onDisk.startedAt));
    // git revision: the checkout's HEAD when git is available, else null.
    expect(onDisk.gitRevision === null || /^[0-9a-f]{40}$/.test(onDisk.gitRevision)).toBe(true);
    expect(onDisk.gitRevision).toBe(gitRevision());
    // the body cannot overwrite a key runStage owns
    expect(onDisk.seed).toBe(42);
    expect(fs.readdirSync(outDir)).toEqual(['run.json']);
    // the context's rng is seeded by the stage seed
    let again: number[] = [];
    await runStage({ stage: 's', outDir, seed: 42, config: {}, log: quiet }, async (ctx) => {
      again = [ctx.rng.next(), ctx.rng.next()];
      return {};
    });
    expect(again).toEqual(draws);
  });

  it('writes no run.json when the body fails, and rejects a non-integer seed', async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'courier-stage-'));
    await expect(runStage({ stage: 'x', outDir, seed: 1, config: {}, log: quiet }, async () => {
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(fs.existsSync(path.join(outDir, 'run.json'))).toBe(false);
    await expect(runStage({ stage: 'x', outDir, seed: 1.5, config: {}, log: quiet }, async () => ({}))).rejects.toThrow(/x: seed must be an integer, got 1.5/);
  });
});
