import * as path from 'node:path';
import type { StageFingerprint } from '@courier/io';
import { parseCliArgs } from './cli';
import type { Logger } from './log';
import { ConfigError, ConfigSchema, kebabToCamel, nearestKey, overridesFromFlags, printConfigHelp, resolveConfig } from './config';

/**
 * Stage definitions and the one command line every stage app shares (issue #20).
 *
 * A stage library exports a `StageDefinition`: its commands, and for each the config schema,
 * the path inputs, the output folder, whether it takes a seed, and `run`. `runStageCli` turns
 * a definition into the app's CLI with one convention for every app:
 *
 * - `help`, `--help`, `-h` or no command: usage, every flag and every config key; exit 0.
 *   `help <command>` shows one command.
 * - exit 2, nothing run: unknown command (the message names the known ones), unknown flag
 *   (names the nearest), a missing required input or `--out`, a bad `--seed`, a stray argument,
 *   a config error (file or `--<key>` override) or a failed `check`.
 * - exit 1: the stage itself failed. Every error is printed to stderr as `<app>: message`
 *   (a message that already starts with the app's name is not prefixed twice).
 * - `--seed N` (commands that take one): default 1, a safe integer. A schema that declares `seed`
 *   itself gets 1 as that key's default, so the flag, a config file and `run`'s seed agree.
 * - `--out`: required, unless the command gives a default (`out.default`). Paths are resolved
 *   against the working directory. A command that writes no folder of its own (a server, a
 *   listing) declares `out: null` and takes no `--out`.
 * - Inputs are flags (`--world DIR`); one input of a command may also be the argument after the
 *   command (`render DIR`, `positional`).
 * - `--config FILE` and `--<kebab-key> VALUE` go through `resolveConfig`: defaults, file, flags.
 * - Repeatable inputs (`--embeddings A --embeddings B`, or `--embeddings A,B`) keep every value,
 *   as written (they may be specs like NAME=FILE, so they are not resolved).
 *
 * A composition (the pipeline, the experiments runner) runs the same commands through a
 * `StageRunner`, with the arguments the CLI would have parsed plus `composed`: the stage's
 * fingerprint, a resume key maker, whether it was forced, its logger, and the structured options
 * a command declares for compositions (e.g. pre-training's per-step callback, the CTR feature sets
 * in report order). The command line never sets them.
 */

export type CliFlags = Record<string, string | boolean>;

/** A path the command reads. */
export interface StageInput {
  /** Flag name, kebab-case (`--samples`). */
  name: string;
  doc: string;
  kind: 'dir' | 'file';
  required?: boolean;
  /** Every occurrence is kept (comma lists split), in `lists[name]`, not resolved. */
  repeatable?: boolean;
  /** Shown in the usage instead of DIR/FILE, e.g. `NAME=FILE[:mode]`. */
  valueName?: string;
  /** May also be given as the argument after the command (`render DIR`); one per command, not repeatable. */
  positional?: boolean;
}

/** A flag that is neither an input nor a config key (e.g. `--fresh`, `--preset`). */
export interface StageOption {
  name: string;
  doc: string;
  /** A switch: `--x`, `--x true|false` or `--no-x`; otherwise a flag that takes a value. */
  boolean?: boolean;
  valueName?: string;
}

/**
 * What a composition gives a command besides its CLI arguments (absent on the command line). `O`
 * is the command's structured options: what only code can pass (callbacks, ordered lists of
 * records); each stage library exports the type of its commands' options.
 */
export interface StageComposition<O = Record<string, unknown>> {
  /** The stage was forced: its folder was emptied, nothing is to be resumed. */
  fresh: boolean;
  /** The stage's fingerprint in the composition. */
  fingerprint: StageFingerprint;
  /** The fingerprint of this stage's seed, upstream, code and inputs under another name and config: e.g. a checkpoint's resume key over the config keys that change the math. */
  fingerprintOf(stage: string, config: unknown): StageFingerprint;
  /** The composition's logger, scoped by the command's app (`[pipeline/ctr]`). */
  log: Logger;
  /** The command's structured options (each optional). */
  options: Readonly<Partial<O>>;
}

/** What `run` and the hooks get. `config` is the resolved config (null for commands without a schema). */
export interface StageRunArgs<C, O = Record<string, unknown>> {
  app: string;
  command: string;
  /** Single-valued inputs, resolved to absolute paths; absent when not given. */
  inputs: Readonly<Record<string, string | undefined>>;
  /** Repeatable inputs: every value as written (empty when not given). */
  lists: Readonly<Record<string, readonly string[]>>;
  config: C;
  /** `--seed` (default 1; or the config's `seed` key where the schema has one); 1 for commands that take no seed. */
  seed: number;
  /** The declared options as given (booleans parsed); absent when not given. */
  flags: Readonly<Record<string, string | boolean | undefined>>;
  /** Absolute path of `--out` (or its default); '' for a command with `out: null`. */
  outDir: string;
  /** Set when a composition (a StageRunner) runs the command; absent on the command line. */
  composed?: StageComposition<O>;
}

export interface StageOut<C> {
  doc: string;
  /** What `--out` names (usage text only); default a folder. */
  kind?: 'dir' | 'file';
  /** The default when `--out` is not given; without it `--out` is required. */
  default?(args: Omit<StageRunArgs<C>, 'outDir'>): string;
}

export interface StageCommand<C = unknown, O = Record<string, unknown>> {
  /** One line for the usage. */
  summary: string;
  /** The config schema, or a schema chosen by the options (e.g. a world preset), or null. */
  config: ConfigSchema | null | ((flags: Readonly<CliFlags>) => ConfigSchema);
  inputs?: readonly StageInput[];
  options?: readonly StageOption[];
  /** Flags that set a config key under another name, e.g. `{ seed: 'seeds' }`. */
  aliases?: Readonly<Record<string, string>>;
  /** The output folder (or file); null: the command writes none of its own and takes no `--out`. */
  out: StageOut<C> | null;
  /** Files (or folders) written under `--out`, for the usage text. */
  outputs: readonly string[];
  /**
   * Paths under `--out` that every finished run holds (plain relative paths). A composition
   * (StageRunner) records them in fingerprint.json and reruns the stage when one went missing.
   */
  produces?: readonly string[];
  /** Whether the command takes `--seed`. */
  seed: boolean;
  /** Checks across inputs before anything runs; a throw exits 2. */
  check?(args: Omit<StageRunArgs<C, O>, 'outDir'>): void;
  /** Runs the command; a returned line is printed to stdout (by convention the main output path). */
  run(args: StageRunArgs<C, O>): Promise<string | void>;
}

export interface StageDefinition {
  /** The app's name: the prefix of every message. */
  name: string;
  /** One line. */
  description: string;
  /** Commands in the order the usage lists them. */
  commands: Readonly<Record<string, StageCommand>>;
  /**
   * The source folders (workspace-relative) whose code decides what the commands compute: the
   * library and the libraries it computes with (e.g. `['libs/ctr', 'libs/metrics']`). A
   * composition hashes them into the stage's fingerprint, so changed code reruns the stage.
   */
  code?: readonly string[];
}

/** Types a command's config (and its composition options) for `run` while the definition holds commands of any config. */
export function stageCommand<C, O = Record<string, unknown>>(command: StageCommand<C, O>): StageCommand {
  return command as unknown as StageCommand;
}

/** An error with an exit status; 2 marks a usage error (nothing ran). */
export class StageCliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'StageCliError';
  }
}

export interface StageCliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const PROCESS_IO: StageCliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** Flags every command reads itself (besides inputs, options and config keys). */
const HELP_FLAGS = ['help', 'h'];

/** Splits repeatable flags out of argv: parseCliArgs keeps only the last value of a flag. */
function takeRepeated(argv: readonly string[], names: readonly string[]): { rest: string[]; values: Record<string, string[]> } {
  const values: Record<string, string[]> = Object.fromEntries(names.map((k) => [k, []]));
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(argv[i]);
    if (m && names.includes(m[1])) {
      const v = m[2] ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new StageCliError(`--${m[1]} needs a value`);
      values[m[1]].push(...v.split(',').filter((x) => x.length > 0));
    } else rest.push(argv[i]);
  }
  return { rest, values };
}

/**
 * The command's schema. Where a command takes `--seed` and its schema also declares `seed`, the
 * key's default becomes the CLI's (1): the flag and a config file both set it, the flag winning.
 */
function schemaOf(command: StageCommand, flags: Readonly<CliFlags>): ConfigSchema | null {
  const schema = typeof command.config === 'function' ? command.config(flags) : command.config;
  if (schema && command.seed && schema.seed) return { ...schema, seed: { ...schema.seed, default: DEFAULT_SEED } };
  return schema;
}

const DEFAULT_SEED = 1;

function parseSeed(value: string | boolean | undefined): number {
  if (value === undefined) return DEFAULT_SEED;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new StageCliError(`--seed must be an integer, got ${JSON.stringify(value)}`);
  return n;
}

function pathValue(name: string, value: string | boolean): string {
  if (typeof value !== 'string' || value === '') throw new StageCliError(`--${name} needs a path`);
  return path.resolve(value);
}

function optionValue(option: StageOption, value: string | boolean): string | boolean {
  if (!option.boolean) {
    if (typeof value !== 'string') throw new StageCliError(`--${option.name} needs a value${option.valueName ? ` (${option.valueName})` : ''}`);
    return value;
  }
  if (typeof value === 'boolean') return value;
  const t = value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(t)) return true;
  if (['false', '0', 'no', 'off'].includes(t)) return false;
  throw new StageCliError(`--${option.name} is a switch (true or false), got ${JSON.stringify(value)}`);
}

const camelToKebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function flagLine(flag: string, doc: string): string {
  return `  ${flag.padEnd(30)} ${doc}\n`;
}

/** The usage of one command (flags and outputs; config keys are printed once per schema). */
function commandUsage(app: string, name: string, command: StageCommand): string {
  let text = `${app} ${name}: ${command.summary}\n`;
  for (const input of command.inputs ?? []) {
    const value = input.valueName ?? (input.kind === 'dir' ? 'DIR' : 'FILE');
    const notes = [input.required ? 'required' : 'optional', ...(input.repeatable ? ['repeatable'] : []), ...(input.positional ? [`or ${app} ${name} ${value}`] : [])];
    text += flagLine(`--${input.name} ${value}`, `(${notes.join(', ')}) ${input.doc}`);
  }
  if (command.out) {
    const outValue = command.out.kind === 'file' ? 'FILE' : 'DIR';
    text += flagLine(`--out ${outValue}`, `(${command.out.default ? 'optional' : 'required'}) ${command.out.doc}`);
  }
  if (command.seed) text += flagLine('--seed N', 'random seed, an integer (default 1)');
  for (const option of command.options ?? []) text += flagLine(`--${option.name}${option.boolean ? '' : ` ${option.valueName ?? 'VALUE'}`}`, option.doc);
  for (const [alias, key] of Object.entries(command.aliases ?? {})) text += flagLine(`--${alias} VALUE`, `same as --${camelToKebab(key)}`);
  if (command.config) {
    text += flagLine('--config FILE', 'config file (JSON or YAML) with keys listed below');
    text += flagLine('--<key> VALUE', 'any config key below, kebab-case (flags win over the file)');
  }
  if (command.outputs.length) text += `  writes: ${command.outputs.join(', ')}\n`;
  return text;
}

function printHelp(definition: StageDefinition, only: string | undefined, flags: Readonly<CliFlags>, io: StageCliIo): void {
  const names = only ? [only] : Object.keys(definition.commands);
  const app = definition.name;
  io.stdout(`${app}: ${definition.description}\n\nusage: ${app} <command> [flags]   (${app} help <command>: one command)\ncommands: ${Object.keys(definition.commands).join(', ')}, help\n\n`);
  for (const name of names) io.stdout(`${commandUsage(app, name, definition.commands[name])}\n`);
  // One config listing per schema; commands sharing a schema share its title.
  const schemas = new Map<ConfigSchema, string[]>();
  for (const name of names) {
    const schema = schemaOf(definition.commands[name], flags);
    if (schema) schemas.set(schema, [...(schemas.get(schema) ?? []), name]);
  }
  for (const [schema, commands] of schemas) {
    printConfigHelp(schema, { title: `config keys of ${commands.map((c) => `${app} ${c}`).join(' and ')} (defaults)`, write: (t) => io.stdout(t) });
    io.stdout('\n');
  }
}

/**
 * Runs `definition` on `argv` (without node and the script) and returns the exit status; writes
 * only through `io`. Apps call `runStageCli`; tests call this.
 */
export async function stageCli(definition: StageDefinition, argv: readonly string[], io: StageCliIo = PROCESS_IO): Promise<number> {
  const app = definition.name;
  const report = (err: unknown, code: number): number => {
    const message = err instanceof Error ? (err.stack && process.env.COURIER_DEBUG ? err.stack : err.message) : String(err);
    io.stderr(`${message.startsWith(`${app}:`) || message.startsWith(`${app} `) ? '' : `${app}: `}${message}\n`);
    return code;
  };
  let args: StageRunArgs<unknown>;
  let command: StageCommand;
  try {
    const known = Object.keys(definition.commands);
    // Repeatable flags of any command are taken out before parsing; a command that does not
    // declare one rejects it below.
    const repeatable = [...new Set(Object.values(definition.commands).flatMap((c) => (c.inputs ?? []).filter((i) => i.repeatable).map((i) => i.name)))];
    const { rest, values } = takeRepeated(argv, repeatable);
    const { positionals, flags } = parseCliArgs(rest);
    const name = positionals[0];
    if (name === undefined || name === 'help' || flags.help === true || flags.h === true) {
      const only = name === 'help' ? positionals[1] : name;
      if (only !== undefined && !definition.commands[only]) throw new StageCliError(`unknown command "${only}"; commands: ${known.join(', ')}, help`);
      printHelp(definition, only, flags, io);
      return 0;
    }
    if (!definition.commands[name]) throw new StageCliError(`unknown command "${name}"; commands: ${known.join(', ')}, help`);
    command = definition.commands[name];
    // One input may be the argument after the command (`render DIR`), unless its flag is given too.
    const positional = (command.inputs ?? []).find((i) => i.positional && !i.repeatable);
    const extra = positionals.slice(1);
    if (positional && extra.length > 0) {
      if (flags[positional.name] !== undefined) throw new StageCliError(`${app} ${name}: --${positional.name} is given twice (as "${extra[0]}" and as the flag)`);
      flags[positional.name] = extra.shift()!;
    }
    if (extra.length > 0) throw new StageCliError(`${app} ${name}: unexpected argument "${extra[0]}" (flags are --name value)`);

    // Sort the flags: inputs, options, aliases, run flags; the rest must be config keys.
    const inputs: Record<string, string | undefined> = {};
    const lists: Record<string, readonly string[]> = {};
    const options: Record<string, string | boolean | undefined> = {};
    const configFlags: CliFlags = {};
    const inputByName = new Map((command.inputs ?? []).map((i) => [i.name, i]));
    const optionByName = new Map((command.options ?? []).map((o) => [o.name, o]));
    const aliases = command.aliases ?? {};
    const runFlags = [...(command.out ? ['out'] : []), ...(command.config ? ['config'] : []), ...(command.seed ? ['seed'] : []), ...HELP_FLAGS];
    for (const input of command.inputs ?? []) if (input.repeatable) lists[input.name] = values[input.name] ?? [];
    for (const [flag, given] of Object.entries(values)) if (given.length && !(flag in lists)) throw new StageCliError(`${app} ${name}: unknown flag --${flag} (${app} help ${name} lists them)`);
    const schema = schemaOf(command, flags);
    for (const [flag, value] of Object.entries(flags)) {
      const input = inputByName.get(flag);
      const option = optionByName.get(flag);
      if (input && !input.repeatable) inputs[flag] = pathValue(flag, value);
      else if (option) options[flag] = optionValue(option, value);
      else if (aliases[flag]) configFlags[camelToKebab(aliases[flag])] = value;
      else if (runFlags.includes(flag) || (schema && kebabToCamel(flag) in schema)) configFlags[flag] = value;
      else {
        const candidates = [...inputByName.keys(), ...optionByName.keys(), ...Object.keys(aliases), ...runFlags.filter((f) => !HELP_FLAGS.includes(f)), ...Object.keys(schema ?? {}).map(camelToKebab)];
        const near = nearestKey(flag, candidates);
        throw new StageCliError(`${app} ${name}: unknown flag --${flag}${near ? `; did you mean --${near}?` : ''} (${app} help ${name} lists them)`);
      }
    }
    for (const input of command.inputs ?? []) {
      const missing = input.repeatable ? lists[input.name].length === 0 : inputs[input.name] === undefined;
      if (input.required && missing) throw new StageCliError(`${app} ${name}: --${input.name} ${input.valueName ?? (input.kind === 'dir' ? 'DIR' : 'FILE')} is required (${input.doc})`);
    }
    let seed = command.seed ? parseSeed(flags.seed) : DEFAULT_SEED;
    let config: unknown = null;
    if (schema) {
      const file = configFlags.config;
      if (file !== undefined && typeof file !== 'string') throw new StageCliError('--config needs a file');
      const resolved = resolveConfig<Record<string, unknown>>(schema, { file, overrides: overridesFromFlags(configFlags, schema), where: `${app} ${name}` });
      if (command.seed && typeof resolved.seed === 'number') seed = resolved.seed; // a `seed` key (file or flag)
      config = resolved;
    }
    const partial = { app, command: name, inputs, lists, config, seed, flags: options };
    try {
      command.check?.(partial);
    } catch (err) {
      throw err instanceof StageCliError ? err : new StageCliError(err instanceof Error ? err.message : String(err));
    }
    let outDir: string;
    if (!command.out) outDir = '';
    else if (flags.out !== undefined) outDir = pathValue('out', flags.out);
    else if (command.out.default) outDir = path.resolve(command.out.default(partial));
    else throw new StageCliError(`${app} ${name}: --out ${command.out.kind === 'file' ? 'FILE' : 'DIR'} is required (${command.out.doc})`);
    args = { ...partial, outDir };
  } catch (err) {
    return report(err, err instanceof StageCliError || err instanceof ConfigError ? 2 : 1);
  }
  try {
    const line = await command.run(args);
    if (typeof line === 'string') io.stdout(`${line}\n`);
    return 0;
  } catch (err) {
    return report(err, err instanceof StageCliError ? err.exitCode : 1);
  }
}

/**
 * An app's whole main: `runStageCli(X_STAGE, process.argv.slice(2))`. Exits with the status of
 * `stageCli` when it is not 0 (a stage may leave worker threads or timers behind); on success
 * the process ends when its work does.
 */
export async function runStageCli(definition: StageDefinition, argv: readonly string[]): Promise<void> {
  const code = await stageCli(definition, argv);
  if (code !== 0) process.exit(code);
}
