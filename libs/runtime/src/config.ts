import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';

/**
 * Declared, layered, strict configuration (STYLE guideline 7).
 *
 * Layers, later wins: schema defaults -> config file (JSON or YAML) -> overrides (command-line
 * flags). Every key has a typed default and a one-line doc. A key the schema does not declare is
 * an error naming the key, where it came from and the nearest declared key; a value of the wrong
 * type is an error naming the key and the expected type. Override values that arrive as strings
 * (flags) are coerced to the key's type first; file values are taken as typed.
 */
export type ConfigValueType = 'number' | 'string' | 'boolean' | 'object' | 'array';

export interface ConfigKeySpec {
  /** The library default. `null` means "unset"; then `type` must be given, and null stays allowed. */
  default: unknown;
  /** One line: meaning, unit, valid range. Shown by `formatConfigHelp`. */
  doc: string;
  /** Value type; inferred from the default when omitted. */
  type?: ConfigValueType;
  /** Allowed values (checked after type coercion). */
  choices?: readonly unknown[];
  /** For numbers: must be an integer. */
  integer?: boolean;
  /** For numbers: inclusive bounds. */
  min?: number;
  max?: number;
  /** For numbers: `min` itself is not allowed (e.g. a learning rate > 0). */
  exclusiveMin?: boolean;
}

/** Flat camelCase keys -> their spec. */
export type ConfigSchema = Record<string, ConfigKeySpec>;

/** The value type a default stands for: literals widened, tuples to arrays of their element type. */
type Widened<T> = T extends number ? number : T extends string ? string : T extends boolean ? boolean : T extends readonly (infer E)[] ? Widened<E>[] : T extends object ? Record<string, unknown> : never;
type NullableOf<Type> = Type extends 'number' ? number : Type extends 'string' ? string : Type extends 'boolean' ? boolean : Type extends 'array' ? unknown[] : Record<string, unknown>;
/** The value type of one key: its choices when it has them, else its default's type (nullable keys: the declared type or null). */
export type ConfigValueOf<S> = S extends { choices: readonly (infer C)[] } ? C : S extends { default: null; type: infer Type } ? NullableOf<Type> | null : S extends { default: infer D } ? Widened<D> : unknown;
/**
 * The config type a schema declares, so a stage declares its keys once: write the schema
 * `as const satisfies ConfigSchema` and take `type XConfig = ConfigOf<typeof X_SCHEMA>`.
 */
export type ConfigOf<S extends Readonly<Record<string, Readonly<ConfigKeySpec>>>> = { -readonly [K in keyof S]: ConfigValueOf<S[K]> };

/** Every key's default (deep copies), typed by the schema. */
export function configDefaults<S extends Readonly<Record<string, Readonly<ConfigKeySpec>>>>(schema: S): ConfigOf<S> {
  return Object.fromEntries(Object.entries(schema).map(([k, spec]) => [k, structuredClone(spec.default)])) as ConfigOf<S>;
}

/**
 * Checks a complete config object against its schema (types, ranges, choices; no missing and no
 * unknown keys), for configs built in code rather than resolved from layers. Throws a ConfigError
 * naming the key, the value and what was expected.
 */
export function checkConfigValues(schema: ConfigSchema, values: Record<string, unknown>, where = 'config'): void {
  for (const key of Object.keys(values)) if (!schema[key]) throw unknownKeyError(key, schema, where, '', key);
  for (const [key, spec] of Object.entries(schema)) {
    if (!(key in values)) throw new ConfigError(`${where}: key "${key}" is missing`, key);
    checkValue(key, spec, values[key], where, '');
  }
}

export interface ResolveConfigOptions {
  /** JSON (.json) or YAML (.yaml, .yml; any other extension is parsed as YAML, a superset of JSON). */
  file?: string;
  /** Highest-priority layer, typically command-line flags. Keys may be camelCase or kebab-case. */
  overrides?: Record<string, unknown>;
  /** Who is resolving (app or stage name), used as the prefix of error messages. */
  where?: string;
  /**
   * The overrides are typed values (a section of a config file, an object from code), not
   * command-line strings: a string is then taken as a string, like a file value, so "64" for a
   * number key is an error naming the key. Default false (strings are parsed as flags).
   */
  typedOverrides?: boolean;
}

/** A configuration problem; the message names the key, where it came from and what was expected. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly key?: string,
    readonly source?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `batch-size` -> `batchSize`; camelCase keys are returned unchanged. */
export function kebabToCamel(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Levenshtein distance (insert, delete, substitute all cost 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The candidate closest to `key` (case-insensitive edit distance; ties: first in order). */
export function nearestKey(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const k = key.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(k, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** The declared (or inferred) type of a key; throws when it cannot be inferred. */
export function configKeyType(key: string, spec: ConfigKeySpec): ConfigValueType {
  if (spec.type) return spec.type;
  const d = spec.default;
  if (Array.isArray(d)) return 'array';
  if (d === null || d === undefined) throw new ConfigError(`config schema: key "${key}" has a null default and no declared type`, key);
  if (typeof d === 'object') return 'object';
  if (typeof d === 'number' || typeof d === 'string' || typeof d === 'boolean') return typeof d as ConfigValueType;
  throw new ConfigError(`config schema: key "${key}" has a default of unsupported type ${typeof d}`, key);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array ${JSON.stringify(value).slice(0, 60)}`;
  if (typeof value === 'object') return `an object ${JSON.stringify(value).slice(0, 60)}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

function typeMatches(type: ConfigValueType, value: unknown): boolean {
  switch (type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
  }
}

/** Coerces a command-line string to `type`; returns undefined when it cannot. */
function coerceString(type: ConfigValueType, text: string, spec: ConfigKeySpec): unknown {
  switch (type) {
    case 'string':
      return text;
    case 'number': {
      if (text.trim() === '') return undefined;
      const n = Number(text);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      return undefined;
    }
    case 'array': {
      if (text.trim().startsWith('[')) {
        try {
          const parsed = YAML.parse(text);
          return Array.isArray(parsed) ? parsed : undefined;
        } catch {
          return undefined;
        }
      }
      // Comma-separated list; elements take the type of the default's first element.
      const parts = text === '' ? [] : text.split(',').map((s) => s.trim());
      const first = Array.isArray(spec.default) ? spec.default[0] : undefined;
      const elementType = typeof first === 'number' ? 'number' : typeof first === 'boolean' ? 'boolean' : 'string';
      const out = parts.map((p) => coerceString(elementType, p, { default: null, doc: '' }));
      return out.some((v) => v === undefined) ? undefined : out;
    }
    case 'object':
      try {
        const parsed = YAML.parse(text);
        return typeMatches('object', parsed) ? parsed : undefined;
      } catch {
        return undefined;
      }
  }
}

function numberBounds(spec: ConfigKeySpec): string {
  const parts: string[] = [];
  if (spec.min !== undefined) parts.push(`${spec.exclusiveMin ? '>' : '>='} ${spec.min}`);
  if (spec.max !== undefined) parts.push(`<= ${spec.max}`);
  return parts.length ? ` ${parts.join(' and ')}` : '';
}

function checkValue(key: string, spec: ConfigKeySpec, value: unknown, source: string, prefix: string): unknown {
  const type = configKeyType(key, spec);
  const nullable = spec.default === null;
  if (value === null && nullable) return null;
  // A number key's message states everything it must be: "an integer >= 1", "a number > 0 and <= 1".
  const bounds = type === 'number' ? numberBounds(spec) : '';
  if (!typeMatches(type, value)) {
    const what = type === 'number' ? `${spec.integer ? 'an integer' : 'a number'}${bounds}` : `${type === 'array' || type === 'object' ? 'an' : 'a'} ${type}`;
    throw new ConfigError(`${prefix}${source}: key "${key}" must be ${what}${nullable ? ' or null' : ''}, got ${describe(value)}`, key, source);
  }
  if (type === 'number') {
    const n = value as number;
    const what = `${spec.integer ? 'an integer' : 'a number'}${bounds}`;
    const outside = (spec.integer && !Number.isInteger(n)) || (spec.min !== undefined && (spec.exclusiveMin ? n <= spec.min : n < spec.min)) || (spec.max !== undefined && n > spec.max);
    if (outside) throw new ConfigError(`${prefix}${source}: key "${key}" must be ${what}, got ${n}`, key, source);
  }
  if (spec.choices && !spec.choices.some((c) => c === value)) {
    throw new ConfigError(`${prefix}${source}: key "${key}" must be one of ${spec.choices.map((c) => JSON.stringify(c)).join(', ')}, got ${describe(value)}`, key, source);
  }
  return value;
}

function unknownKeyError(key: string, schema: ConfigSchema, source: string, prefix: string, spelling: string): ConfigError {
  const keys = Object.keys(schema);
  const near = nearestKey(key, keys);
  const hint = near ? `; did you mean "${near}"?` : '';
  return new ConfigError(`${prefix}${source}: unknown config key "${spelling}"${hint} (valid keys: ${keys.join(', ')})`, key, source);
}

/** Reads a config file (JSON or YAML) into a plain object; errors name the file. */
export function readConfigFile(file: string, where?: string): Record<string, unknown> {
  const prefix = where ? `${where}: ` : '';
  if (!fs.existsSync(file)) throw new ConfigError(`${prefix}config file ${file} does not exist`, undefined, file);
  const text = fs.readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = path.extname(file).toLowerCase() === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`${prefix}config file ${file} is not valid ${path.extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`, undefined, file);
  }
  if (parsed === null || parsed === undefined) return {}; // an empty file is an empty layer
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`${prefix}config file ${file} must hold a mapping of keys to values, got ${describe(parsed)}`, undefined, file);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Resolves a configuration: defaults, then the file, then the overrides. Returns every schema key.
 * Example: `resolveConfig<PretrainConfig>(PRETRAIN_SCHEMA, { file: flags.config, overrides: overridesFromFlags(flags), where: 'pretrain' })`.
 */
export function resolveConfig<T = Record<string, unknown>>(schema: ConfigSchema, options: ResolveConfigOptions = {}): T {
  const prefix = options.where ? `${options.where}: ` : '';
  const result: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    configKeyType(key, spec); // fail early on a schema without a usable type
    result[key] = structuredClone(spec.default);
  }
  if (options.file) {
    const values = readConfigFile(options.file, options.where);
    for (const [key, value] of Object.entries(values)) {
      const spec = schema[key];
      if (!spec) throw unknownKeyError(key, schema, `config file ${options.file}`, prefix, key);
      result[key] = checkValue(key, spec, value, `config file ${options.file}`, prefix);
    }
  }
  for (const [flagKey, raw] of Object.entries(options.overrides ?? {})) {
    if (raw === undefined) continue;
    const key = kebabToCamel(flagKey);
    const source = options.typedOverrides ? `key ${flagKey}` : `override --${flagKey}`;
    const spec = schema[key];
    if (!spec) throw unknownKeyError(key, schema, source, prefix, flagKey);
    const type = configKeyType(key, spec);
    let value: unknown = raw;
    if (raw === true && type !== 'boolean' && !options.typedOverrides) {
      throw new ConfigError(`${prefix}${source}: key "${key}" needs a value (${type})`, key, source);
    }
    if (typeof raw === 'string' && !options.typedOverrides) {
      if (spec.default === null && raw === 'null') value = null;
      else {
        value = coerceString(type, raw, spec);
        if (value === undefined) throw new ConfigError(`${prefix}${source}: key "${key}" must be a ${type}, got ${JSON.stringify(raw)}`, key, source);
      }
    }
    result[key] = checkValue(key, spec, value, source, prefix);
  }
  return result as T;
}

/** Flags that select files and folders rather than config values. */
export const RUN_FLAGS = ['config', 'out', 'help', 'h'] as const;

/**
 * The config overrides among parsed command-line flags: drops --config, --out, --help, and
 * --seed unless the schema declares `seed` itself (runStage takes the seed separately).
 */
export function overridesFromFlags(flags: Record<string, string | boolean>, schema?: ConfigSchema): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const [k, v] of Object.entries(flags)) {
    if ((RUN_FLAGS as readonly string[]).includes(k)) continue;
    if (k === 'seed' && !(schema && 'seed' in schema)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * The schema as a YAML document: every key with its default, preceded by `# (type) doc`.
 * The output is itself a valid config file holding the defaults.
 */
export function formatConfigHelp(schema: ConfigSchema, title?: string): string {
  const lines: string[] = [];
  if (title) lines.push(`# ${title}`, '');
  for (const [key, spec] of Object.entries(schema)) {
    const type = configKeyType(key, spec);
    const extras: string[] = [];
    if (spec.default === null) extras.push('nullable');
    if (spec.integer) extras.push('integer');
    if (spec.min !== undefined) extras.push(`${spec.exclusiveMin ? '>' : '>='} ${spec.min}`);
    if (spec.max !== undefined) extras.push(`<= ${spec.max}`);
    if (spec.choices) extras.push(`one of ${spec.choices.map((c) => JSON.stringify(c)).join(', ')}`);
    lines.push(`# (${type}${extras.length ? `; ${extras.join('; ')}` : ''}) ${spec.doc}`);
    // Lists and maps in JSON (flow) form, which YAML reads back, keep one key per line.
    const d = spec.default;
    lines.push(d !== null && typeof d === 'object' ? `${key}: ${JSON.stringify(d)}` : YAML.stringify({ [key]: d }).trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

/** Prints `formatConfigHelp(schema)` (to stdout by default), e.g. for `--help`. */
export function printConfigHelp(schema: ConfigSchema, options: { title?: string; write?: (text: string) => void } = {}): void {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  write(formatConfigHelp(schema, options.title));
}
