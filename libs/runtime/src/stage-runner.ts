import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ContentHashCache,
  FINGERPRINT_FILE,
  StageFingerprint,
  acquireRunLock,
  contentHash,
  markDone,
  removeTempEntries,
  sourceHash,
  stageFingerprint,
  stageStatus,
} from '@courier/io';
import type { RunLock } from '@courier/io';
import type { Logger } from './log';
import type { StageComposition, StageDefinition, StageRunArgs } from './stage-cli';

/**
 * One way to run a stage inside a composition (issue #20): the pipeline and the experiments
 * runner describe each stage as a `StageTask` and hand it to a `StageRunner`, which
 *
 * - fingerprints it: the stage name, the config the task gives, the seed, the fingerprints of the
 *   stages it reads (upstream), the source of the libraries it runs (code) and, where the task
 *   lists them, the content hashes of its input files;
 * - skips it when its folder holds a finished run (fingerprint.json with this fingerprint, run.json,
 *   every declared output present), unless forced; a stage reading a stage that ran forced in this
 *   session is forced too, so `--force X` reruns X and everything downstream, nothing upstream;
 * - otherwise runs it in its folder: a forced stage starts from an empty folder (`fresh`); an
 *   interrupted or outdated one keeps its folder, so a stage that can resume (pre-training's
 *   checkpoint, keyed by `ctx.fingerprintOf`) decides itself whether to resume;
 * - marks it finished by writing fingerprint.json last, atomically (removed before the stage runs),
 *   so a killed stage never looks finished; run.json comes from the stage itself (`runStage`);
 * - removes its temporary entries (`.name.tmp-PID`) on every way out, and those of dead processes
 *   before it runs; names the stage and the path on a write error (ENOSPC, EACCES, ...).
 *
 * A task runs either its own `run` body or a command of a stage library's `StageDefinition`
 * (`command`): the same code the stage's CLI runs, given what the composition knows besides the
 * CLI's arguments (`StageComposition`: fingerprint, resume key maker, fresh, log, and the command's
 * structured options). A command task takes its `code` folders from the definition and its
 * `outputs` from the command's `produces` unless it lists its own; `around` wraps the command in
 * a body (e.g. to write something next to its outputs).
 */

/** What a task body gets. */
export interface StageTaskContext {
  /** The stage folder (absolute). */
  outDir: string;
  /** True when the stage was forced: its folder was emptied, nothing is to be resumed. */
  fresh: boolean;
  fingerprint: StageFingerprint;
  /** The fingerprint of this task's seed, upstream, code and inputs with another name and config (e.g. a checkpoint's resume key over the config keys that change the math). */
  fingerprintOf(stage: string, config: unknown): StageFingerprint;
  log: Logger;
}

/** A command of a stage library's definition, with the arguments its CLI would have parsed. */
export interface StageCommandCall {
  definition: StageDefinition;
  command: string;
  /** Single-valued path inputs by flag name (absolute paths). */
  inputs?: Readonly<Record<string, string | undefined>>;
  /** Repeatable inputs by flag name. */
  lists?: Readonly<Record<string, readonly string[]>>;
  /** The command's resolved config. */
  config: unknown;
  /** Options by flag name (e.g. `{ preset: 'tiny' }`). */
  flags?: Readonly<Record<string, string | boolean | undefined>>;
  /** The command's structured options for compositions (`StageComposition.options`; the stage library exports their type). */
  options?: object;
}

interface StageTaskBase {
  /** The stage's name in the fingerprint and the log (world, samples, pretrain, clusters, ctr). */
  stage: string;
  /** The folder: a fixed path, or `<parent>/<label>-<first 10 hex digits of the fingerprint>` (new settings never overwrite a finished folder). */
  out: string | { parent: string; label: string };
  /** What the fingerprint hashes as the config (the resolved config, or the part of it that matters). */
  config: unknown;
  seed: number;
  /** Fingerprints of the stages whose outputs this one reads. */
  upstream?: readonly StageFingerprint[];
  /** Source folders (workspace-relative, e.g. `libs/courier`) whose code the stage runs, or a ready hash; a command task defaults to its definition's `code`. */
  code?: readonly string[] | { hash: string };
  /** Files or folders read whose content is fingerprinted (keys relative to the runner's root); omit to rely on `upstream` alone. */
  inputs?: readonly string[];
  /** Paths under the folder that a finished run must hold; one gone missing reruns the stage. A command task defaults to its command's `produces`. */
  outputs?: readonly string[];
}

/** A task running its own body. */
export interface StageBodyTask extends StageTaskBase {
  run(ctx: StageTaskContext): Promise<unknown>;
  command?: never;
  around?: never;
}

/** A task running a command of a stage library's definition. */
export interface StageCommandTask extends StageTaskBase {
  command: StageCommandCall;
  /** A body around the command: it calls `runCommand()` once (e.g. writes the loss curve the command's `onStep` option collected). */
  around?(ctx: StageTaskContext, runCommand: () => Promise<void>): Promise<unknown>;
  run?: never;
}

export type StageTask = StageBodyTask | StageCommandTask;

export interface StageTaskResult {
  fingerprint: StageFingerprint;
  dir: string;
  skipped: boolean;
}

/** One stage of a session, in the order run. */
export interface StageRecord {
  stage: string;
  dir: string;
  skipped: boolean;
  /** Wall time in seconds (0 when skipped). */
  seconds: number;
}

export interface StageRunnerOptions {
  /** The app's name: the prefix of its errors. */
  app: string;
  /** The run's root folder: input keys are relative to it, the lock and the hash cache live in it. */
  root: string;
  log: Logger;
  /** Stages to run even when up to date: all (true) or these names; stages reading them follow. */
  force?: boolean | readonly string[];
  /** Hold `<root>/.run.lock` until `close()`: one run per root at a time. */
  lock?: boolean;
  /** What `code` folders are relative to (default: the workspace root holding libs/runtime). */
  workspaceRoot?: string;
}

/** Cache of input-file content hashes in the root (keyed by path, size, mtime, ctime, inode). */
export const HASH_CACHE_FILE = '.content-hashes.json';

const WRITE_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

const DEFAULT_WORKSPACE_ROOT = path.resolve(__dirname, '../../..');

export class StageRunner {
  /** Every stage of this session, in order. */
  readonly records: StageRecord[] = [];
  private readonly hashes: ContentHashCache;
  private hashed = false;
  private readonly codeHashes = new Map<string, string>();
  private readonly forcedHashes = new Set<string>();
  private readonly touched = new Set<string>();
  private readonly lock: RunLock | null;
  private readonly onSignal: (signal: NodeJS.Signals) => void;
  private static readonly SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  private closed = false;

  constructor(readonly options: StageRunnerOptions) {
    const root = path.resolve(options.root);
    this.lock = options.lock ? acquireRunLock(root) : null;
    this.hashes = new ContentHashCache(path.join(root, HASH_CACHE_FILE));
    this.touched.add(root);
    for (const p of removeTempEntries(root)) options.log.info(`removed ${p}, left by a run that is gone`);
    // A signal ends the process: this process's temporary entries go first, and the lock.
    this.onSignal = (signal) => {
      this.removeOwnTemps();
      this.lock?.release();
      process.exit(128 + (os.constants.signals[signal] ?? 1));
    };
    for (const sig of StageRunner.SIGNALS) process.on(sig, this.onSignal);
  }

  get root(): string {
    return path.resolve(this.options.root);
  }

  /** Folders run in this session. */
  get ran(): string[] {
    return this.records.filter((r) => !r.skipped).map((r) => r.dir);
  }

  /** Folders found up to date and skipped. */
  get reused(): string[] {
    return this.records.filter((r) => r.skipped).map((r) => r.dir);
  }

  /** Hash of the source under these workspace-relative folders (cached for the session). */
  code(folders: readonly string[]): string {
    const key = folders.join(',');
    let hash = this.codeHashes.get(key);
    if (hash === undefined) {
      const root = this.options.workspaceRoot ?? DEFAULT_WORKSPACE_ROOT;
      hash = sourceHash(folders.map((f) => path.resolve(root, f)));
      this.codeHashes.set(key, hash);
    }
    return hash;
  }

  /** The task's fingerprint and folder, without running anything. */
  plan(task: StageTask): { fingerprint: StageFingerprint; dir: string; fingerprintOf(stage: string, config: unknown): StageFingerprint } {
    const folders = task.code ?? task.command?.definition.code;
    if (!folders) throw new Error(`${this.options.app}: the ${task.stage} stage names no code (give the task \`code\`, or its definition${task.command ? ` "${task.command.definition.name}"` : ''} \`code\`)`);
    const code = Array.isArray(folders) ? this.code(folders as readonly string[]) : (folders as { hash: string }).hash;
    const upstream = [...(task.upstream ?? [])];
    let inputs: Record<string, string> | undefined;
    if (task.inputs) {
      this.hashed = this.hashed || task.inputs.length > 0;
      inputs = Object.fromEntries(task.inputs.map((f) => [path.relative(this.root, f), contentHash(f, this.hashes)]));
    }
    const fingerprintOf = (stage: string, config: unknown) => stageFingerprint(stage, { config, seed: task.seed, upstream, code, inputs });
    const fingerprint = fingerprintOf(task.stage, task.config);
    const dir = typeof task.out === 'string' ? path.resolve(task.out) : path.join(path.resolve(task.out.parent), `${task.out.label}-${fingerprint.hash.slice(0, 10)}`);
    return { fingerprint, dir, fingerprintOf };
  }

  /** Runs the task unless its folder holds a finished run of the same fingerprint (see the module comment). */
  async run(task: StageTask): Promise<StageTaskResult> {
    if (this.closed) throw new Error(`${this.options.app}: the stage runner is closed`);
    const { log } = this.options;
    const { fingerprint, dir, fingerprintOf } = this.plan(task);
    const rel = path.relative(process.cwd(), dir) || '.';
    this.touched.add(dir);
    for (const p of removeTempEntries(dir)) log.info(`removed ${p}, left by a run that is gone`);
    const force = this.options.force;
    const forced = force === true || (Array.isArray(force) && force.includes(task.stage)) || (task.upstream ?? []).some((u) => this.forcedHashes.has(u.hash));
    const status = stageStatus(dir, fingerprint);
    if (!forced && status.state === 'up-to-date') {
      log.info(`${task.stage}: up to date (${rel}), skipped`);
      this.records.push({ stage: task.stage, dir, skipped: true, seconds: 0 });
      return { fingerprint, dir, skipped: true };
    }
    if (forced) this.forcedHashes.add(fingerprint.hash);
    const t0 = performance.now();
    log.info(`${task.stage}: running -> ${rel} (${forced ? 'forced' : status.reason})`);
    // Forced: start clean, so nothing stale is resumed. Otherwise the folder stays (a stage that
    // resumes checks its own checkpoint), but it is not finished until it finishes again.
    if (forced) fs.rmSync(dir, { recursive: true, force: true });
    else fs.rmSync(path.join(dir, FINGERPRINT_FILE), { force: true });
    fs.mkdirSync(dir, { recursive: true });
    const composition = { fresh: forced, fingerprint, fingerprintOf, log };
    const ctx: StageTaskContext = { outDir: dir, ...composition };
    try {
      if (task.command) {
        const call = task.command;
        const command = () => runCommand(call, dir, task.seed, composition);
        if (task.around) await task.around(ctx, command);
        else await command();
      } else await task.run(ctx);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e && typeof e.code === 'string' && e.code in WRITE_ERRORS) {
        throw new Error(`${this.options.app}: the ${task.stage} stage could not write ${e.path ?? dir}: ${e.code} (${WRITE_ERRORS[e.code]}); ${e.message}`, { cause: err });
      }
      throw err;
    } finally {
      for (const d of [this.root, dir]) removeTempEntries(d, { ownPid: process.pid });
    }
    const outputs = task.outputs ?? (task.command ? task.command.definition.commands[task.command.command]?.produces : undefined);
    markDone(dir, fingerprint, outputs ? [...outputs] : undefined);
    const seconds = (performance.now() - t0) / 1000;
    this.records.push({ stage: task.stage, dir, skipped: false, seconds });
    log.info(`${task.stage}: done in ${seconds.toFixed(1)}s (${rel})`);
    return { fingerprint, dir, skipped: false };
  }

  /** Saves the hash cache, removes this process's temporary entries, releases the lock. Call it in a `finally`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const sig of StageRunner.SIGNALS) process.removeListener(sig, this.onSignal);
    this.removeOwnTemps();
    if (this.hashed) {
      try {
        this.hashes.save();
      } catch (err) {
        this.options.log.warn(`could not save ${this.hashes.file}: ${(err as Error).message}`);
      }
    }
    this.lock?.release();
  }

  private removeOwnTemps(): void {
    for (const d of this.touched) {
      try {
        removeTempEntries(d, { ownPid: process.pid });
      } catch {
        // best effort on the way out
      }
    }
  }
}

/** Runs a command of a stage definition as its CLI would, with `seed` and `outDir` given, and what the composition knows. */
async function runCommand(call: StageCommandCall, outDir: string, seed: number, composition: Omit<StageComposition, 'options'>): Promise<void> {
  const command = call.definition.commands[call.command];
  if (!command) throw new Error(`${call.definition.name}: no command "${call.command}"; commands: ${Object.keys(call.definition.commands).join(', ')}`);
  const partial: Omit<StageRunArgs<unknown>, 'outDir'> = {
    app: call.definition.name,
    command: call.command,
    inputs: call.inputs ?? {},
    lists: Object.fromEntries((command.inputs ?? []).filter((i) => i.repeatable).map((i) => [i.name, call.lists?.[i.name] ?? []])),
    config: call.config,
    seed,
    flags: call.flags ?? {},
    // The command logs under the composition's logger, scoped by its app (`[pipeline/ctr]`).
    composed: { ...composition, log: composition.log.child(call.definition.name), options: (call.options ?? {}) as Readonly<Record<string, unknown>> },
  };
  command.check?.(partial);
  await command.run({ ...partial, outDir });
}
