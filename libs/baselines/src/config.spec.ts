import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveConfig } from '@courier/runtime';
import { BASELINE_CONFIG_SCHEMA, BASELINE_METHODS, BaselineConfig, defaultBaselineConfig, methodDefaults } from './config';

describe('baseline config', () => {
  it('resolves with resolveConfig: defaults, typed flag overrides, null = method default', () => {
    const c = resolveConfig<BaselineConfig>(BASELINE_CONFIG_SCHEMA, { overrides: { 'batch-size': '32', tau: '0.3', backbone: 'mlp-pixels' }, where: 'baseline simclr' });
    expect(c.batchSize).toBe(32);
    expect(c.tau).toBe(0.3);
    expect(c.dim).toBe(256);
    expect(c.epochs).toBeNull();
    expect(defaultBaselineConfig()).toEqual(resolveConfig(BASELINE_CONFIG_SCHEMA));
    expect(() => resolveConfig(BASELINE_CONFIG_SCHEMA, { overrides: { tempreature: 1 }, where: 'baseline clip' })).toThrow(/unknown config key "tempreature"/);
    expect(() => resolveConfig(BASELINE_CONFIG_SCHEMA, { overrides: { batchSize: 1 } })).toThrow(/batchSize" must be an integer >= 2, got 1/);
    expect(() => defaultBaselineConfig({ nope: 1 } as never)).toThrow(/unknown key "nope"/);
  });

  it('method defaults follow the paper: simclr tau 0.2, clip tau 0.1', () => {
    expect(methodDefaults('simclr').tau).toBe(0.2);
    expect(methodDefaults('clip').tau).toBe(0.1);
    for (const m of BASELINE_METHODS) expect(methodDefaults(m).epochs).toBeGreaterThan(0);
  });

  it('the README documents every config key', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const missing = Object.keys(BASELINE_CONFIG_SCHEMA).filter((k) => !readme.includes(`| \`${k}\` |`));
    expect(missing).toEqual([]);
  });
});
