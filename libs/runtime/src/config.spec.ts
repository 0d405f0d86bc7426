import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { ConfigError, ConfigOf, ConfigSchema, checkConfigValues, configDefaults, nearestKey, overridesFromFlags, parseCliArgs, printConfigHelp, resolveConfig } from './index';
import { editDistance, formatConfigHelp } from './config';

const SCHEMA: ConfigSchema = {
  learningRate: { default: 0.001, doc: 'Adam learning rate', min: 0 },
  batchSize: { default: 64, doc: 'samples per step', integer: true, min: 1 },
  attention: { default: 'cross', doc: 'history attention', choices: ['cross', 'self'] },
  useUcs: { default: true, doc: 'add the user contrastive loss' },
  categories: { default: ['dress', 'shoe'], doc: 'pretraining categories' },
  dims: { default: [64, 32], doc: 'MLP widths' },
  embeddings: { default: null, type: 'string', doc: 'embedding file (null: none)' },
  extra: { default: { a: 1 }, doc: 'free-form options' },
};

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'courier-config-'));
function writeFile(name: string, text: string): string {
  const file = path.join(tmp(), name);
  fs.writeFileSync(file, text);
  return file;
}

describe('resolveConfig', () => {
  it('returns the documented defaults when nothing is given, as fresh copies', () => {
    const a = resolveConfig<Record<string, unknown>>(SCHEMA);
    expect(a).toEqual({ learningRate: 0.001, batchSize: 64, attention: 'cross', useUcs: true, categories: ['dress', 'shoe'], dims: [64, 32], embeddings: null, extra: { a: 1 } });
    (a.categories as string[]).push('x');
    expect(SCHEMA.categories.default).toEqual(['dress', 'shoe']);
  });

  it('reads the same values from YAML and JSON files', () => {
    const values = { learningRate: 0.01, batchSize: 8, attention: 'self', useUcs: false, categories: ['hat'], embeddings: 'e.arrow' };
    const fromJson = resolveConfig(SCHEMA, { file: writeFile('c.json', JSON.stringify(values)) });
    const fromYaml = resolveConfig(SCHEMA, { file: writeFile('c.yaml', YAML.stringify(values)) });
    const fromYml = resolveConfig(SCHEMA, { file: writeFile('c.yml', 'learningRate: 0.01\nbatchSize: 8\nattention: self\nuseUcs: false\ncategories: [hat]\nembeddings: e.arrow\n') });
    expect(fromJson).toEqual({ ...resolveConfig(SCHEMA), ...values });
    expect(fromYaml).toEqual(fromJson);
    expect(fromYml).toEqual(fromJson);
  });

  it('names file, key and the nearest valid key for an unknown key', () => {
    const file = writeFile('run.yaml', 'learningRate: 0.1\nbatchSzie: 3\n');
    expect(() => resolveConfig(SCHEMA, { file, where: 'pretrain' })).toThrow(ConfigError);
    let message = '';
    try {
      resolveConfig(SCHEMA, { file, where: 'pretrain' });
    } catch (err) {
      message = (err as Error).message;
      expect((err as ConfigError).key).toBe('batchSzie');
    }
    expect(message).toContain('pretrain: ');
    expect(message).toContain(file);
    expect(message).toContain('unknown config key "batchSzie"');
    expect(message).toContain('did you mean "batchSize"?');
  });

  it('suggests the nearest key for an unknown override (kebab-case flags)', () => {
    expect(() => resolveConfig(SCHEMA, { overrides: { 'learning-rat': '0.1' } })).toThrow(/override --learning-rat: unknown config key "learning-rat"; did you mean "learningRate"\?/);
  });

  it('rejects values of the wrong type in a file, naming key and expected type', () => {
    expect(() => resolveConfig(SCHEMA, { file: writeFile('c.json', '{"batchSize": "64"}') })).toThrow(/c\.json: key "batchSize" must be an integer >= 1, got the string "64"/);
    expect(() => resolveConfig(SCHEMA, { file: writeFile('c.yaml', 'categories: dress\n') })).toThrow(/key "categories" must be an array/);
    expect(() => resolveConfig(SCHEMA, { file: writeFile('c.yaml', 'useUcs: 1\n') })).toThrow(/key "useUcs" must be a boolean, got number 1/);
    expect(() => resolveConfig(SCHEMA, { file: writeFile('c.yaml', 'batchSize: 2.5\n') })).toThrow(/key "batchSize" must be an integer/);
    expect(() => resolveConfig(SCHEMA, { file: writeFile('c.yaml', 'attention: both\n') })).toThrow(/key "attention" must be one of "cross", "self"/);
    expect(() => resolveConfig(SCHEMA, { file: writeFile('c.yaml', 'learningRate: -1\n') })).toThrow(/key "learningRate" must be a number >= 0, got -1/);
  });

  it('coerces string overrides to each key type; overrides beat the file', () => {
    const file = writeFile('c.yaml', 'batchSize: 8\nuseUcs: true\n');
    const cfg = resolveConfig<Record<string, unknown>>(SCHEMA, {
      file,
      overrides: { 'batch-size': '16', learningRate: '1e-4', 'use-ucs': 'false', categories: 'bag, hat', dims: '128,8', embeddings: 'x.arrow', extra: '{"b": 2}' },
    });
    expect(cfg).toMatchObject({ batchSize: 16, learningRate: 1e-4, useUcs: false, categories: ['bag', 'hat'], dims: [128, 8], embeddings: 'x.arrow', extra: { b: 2 } });
    expect(resolveConfig<Record<string, unknown>>(SCHEMA, { overrides: { dims: '[1, 2]', useUcs: true } })).toMatchObject({ dims: [1, 2], useUcs: true });
    expect(resolveConfig<Record<string, unknown>>(SCHEMA, { file: writeFile('c.yaml', 'embeddings: e.arrow\n'), overrides: { embeddings: 'null' } }).embeddings).toBeNull();
  });

  it('rejects overrides that do not parse as the key type', () => {
    expect(() => resolveConfig(SCHEMA, { overrides: { 'batch-size': 'many' } })).toThrow(/override --batch-size: key "batchSize" must be a number, got "many"/);
    expect(() => resolveConfig(SCHEMA, { overrides: { useUcs: 'maybe' } })).toThrow(/key "useUcs" must be a boolean/);
    expect(() => resolveConfig(SCHEMA, { overrides: { dims: '1,x' } })).toThrow(/key "dims" must be a array/);
    expect(() => resolveConfig(SCHEMA, { overrides: { batchSize: true } })).toThrow(/key "batchSize" needs a value \(number\)/);
  });

  it('takes typed overrides (a config section) as typed: a string "64" for a number key is an error naming the key', () => {
    expect(() => resolveConfig(SCHEMA, { overrides: { batchSize: '64' }, typedOverrides: true, where: 'pipeline pretrain' })).toThrow(
      /pipeline pretrain: key batchSize: key "batchSize" must be an integer >= 1, got the string "64"/,
    );
    expect(() => resolveConfig(SCHEMA, { overrides: { useUcs: 'false' }, typedOverrides: true })).toThrow(/key "useUcs" must be a boolean, got the string "false"/);
    expect(() => resolveConfig(SCHEMA, { overrides: { batchSize: true }, typedOverrides: true })).toThrow(/key "batchSize" must be an integer >= 1, got boolean true/);
    expect(resolveConfig<Record<string, unknown>>(SCHEMA, { overrides: { batchSize: 64 }, typedOverrides: true }).batchSize).toBe(64);
  });

  it('names the file for a missing, unparsable or non-mapping config', () => {
    expect(() => resolveConfig(SCHEMA, { file: '/nonexistent/c.yaml' })).toThrow(/config file \/nonexistent\/c\.yaml does not exist/);
    expect(() => resolveConfig(SCHEMA, { file: writeFile('bad.json', '{"a": ') })).toThrow(/bad\.json is not valid JSON/);
    expect(() => resolveConfig(SCHEMA, { file: writeFile('list.yaml', '- 1\n- 2\n') })).toThrow(/list\.yaml must hold a mapping/);
    expect(resolveConfig(SCHEMA, { file: writeFile('empty.yaml', '') })).toEqual(resolveConfig(SCHEMA));
  });

  it('rejects a schema key whose type cannot be inferred', () => {
    expect(() => resolveConfig({ x: { default: null, doc: 'x' } })).toThrow(/key "x" has a null default and no declared type/);
  });
});

describe('edit distance and suggestions', () => {
  it('computes Levenshtein distances', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
    expect(nearestKey('tua', ['tau', 'lr', 'heads'])).toBe('tau');
    expect(nearestKey('LEARNINGRATE', ['batchSize', 'learningRate'])).toBe('learningRate');
  });
});

describe('config help', () => {
  it('renders every key with type, doc and default, as a loadable YAML file', () => {
    const text = formatConfigHelp(SCHEMA, 'pretrain defaults');
    expect(text).toContain('# pretrain defaults');
    expect(text).toContain('# (number; integer; >= 1) samples per step\nbatchSize: 64');
    expect(text).toContain('# (string; one of "cross", "self") history attention\nattention: cross');
    expect(text).toContain('# (string; nullable) embedding file (null: none)\nembeddings: null');
    const file = writeFile('defaults.yaml', text);
    expect(resolveConfig(SCHEMA, { file })).toEqual(resolveConfig(SCHEMA));
    let printed = '';
    printConfigHelp(SCHEMA, { write: (t) => (printed += t) });
    expect(printed).toBe(formatConfigHelp(SCHEMA));
  });
});

describe('parseCliArgs', () => {
  it('parses --key value, --key=value, --flag, --no-flag, -h and --', () => {
    const parsed = parseCliArgs(['train', 'extra', '--out', 'runs/a', '--seed=7', '--lr', '-0.5', '--verbose', '--no-ucs', '--dry-run', '-h', '--', '--not-a-flag']);
    expect(parsed.positionals).toEqual(['train', 'extra', '--not-a-flag']);
    expect(parsed.flags).toEqual({ out: 'runs/a', seed: '7', lr: '-0.5', verbose: true, ucs: false, 'dry-run': true, h: true });
  });

  it('keeps the last value of a repeated flag and an empty value after =', () => {
    expect(parseCliArgs(['--k', '1', '--k=2', '--e=']).flags).toEqual({ k: '2', e: '' });
    expect(parseCliArgs(['-5']).positionals).toEqual(['-5']);
    expect(() => parseCliArgs(['--=x'])).toThrow(/no flag name/);
  });

  it('feeds config overrides without the run flags', () => {
    const { flags } = parseCliArgs(['--config', 'c.yaml', '--out', 'o', '--seed', '3', '--batch-size', '32']);
    expect(overridesFromFlags(flags)).toEqual({ 'batch-size': '32' });
    expect(overridesFromFlags(flags, { seed: { default: 1, doc: 's' } })).toEqual({ seed: '3', 'batch-size': '32' });
    expect(resolveConfig<Record<string, unknown>>(SCHEMA, { overrides: overridesFromFlags(flags) }).batchSize).toBe(32);
  });
});

describe('configs declared once (ConfigOf, configDefaults, checkConfigValues)', () => {
  const STAGE = {
    rate: { default: 0.01, min: 0, exclusiveMin: true, max: 1, doc: 'a rate in (0, 1]' },
    steps: { default: 10, integer: true, min: 1, doc: 'steps' },
    order: { default: 'a', choices: ['a', 'b'], doc: 'an order' },
    hidden: { default: [8, 4], type: 'array', doc: 'layer sizes' },
    init: { default: null, type: 'string', doc: 'optional file' },
  } as const satisfies ConfigSchema;
  type StageConfig = ConfigOf<typeof STAGE>;

  it('derives the type and the defaults from the schema alone', () => {
    const config: StageConfig = configDefaults(STAGE);
    expect(config).toEqual({ rate: 0.01, steps: 10, order: 'a', hidden: [8, 4], init: null });
    // The type follows the schema: literal defaults widen, choices stay a union, arrays are mutable.
    const order: 'a' | 'b' = config.order;
    const steps: number = config.steps;
    config.hidden.push(2);
    const init: string | null = config.init;
    expect([order, steps, init]).toEqual(['a', 10, null]);
    expect(configDefaults(STAGE).hidden).toEqual([8, 4]); // defaults are copies
  });

  it('checks a complete object, naming the key, the value and what was expected', () => {
    const ok = { ...configDefaults(STAGE), init: 'x.arrow' };
    expect(() => checkConfigValues(STAGE, ok, 'stage')).not.toThrow();
    expect(() => checkConfigValues(STAGE, { ...ok, rate: 0 }, 'stage')).toThrow(/stage: key "rate" must be a number > 0 and <= 1, got 0/);
    expect(() => checkConfigValues(STAGE, { ...ok, steps: 2.5 }, 'stage')).toThrow(/key "steps" must be an integer >= 1, got 2.5/);
    expect(() => checkConfigValues(STAGE, { ...ok, order: 'c' }, 'stage')).toThrow(/key "order" must be one of "a", "b", got the string "c"/);
    expect(() => checkConfigValues(STAGE, { ...ok, stpes: 3 }, 'stage')).toThrow(/unknown config key "stpes"; did you mean "steps"/);
    const { steps: _dropped, ...missing } = ok;
    expect(() => checkConfigValues(STAGE, missing, 'stage')).toThrow(/stage: key "steps" is missing/);
  });
});
