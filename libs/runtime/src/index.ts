// Public API of @courier/runtime: tfjs backend choice, seeding, config, CLI flags and the stage
// CLI, logging, progress, stage runs (run.json) and the stage runner (fingerprint, skip, resume). Named exports only: what other libraries and
// apps use, and the types of their signatures; helpers stay in their modules.
export { Rng, hashString } from './random';
export type { RngState } from './random';
export { currentBackend, initBackend } from './backend';
export type { BackendInfo, BackendName, BackendOptions } from './backend';
export { ConfigError, checkConfigValues, configDefaults, nearestKey, overridesFromFlags, printConfigHelp, resolveConfig } from './config';
export type { ConfigKeySpec, ConfigOf, ConfigSchema, ConfigValueOf, ConfigValueType, ResolveConfigOptions } from './config';
export { parseCliArgs } from './cli';
export type { ParsedArgs } from './cli';
export { createLogger } from './log';
export type { LogLevel, Logger, LoggerOptions } from './log';
export { Progress } from './progress';
export type { ProgressOptions } from './progress';
export { gitRevision, runStage } from './stage';
export type { RunContext, RunMetadata, RunStageOptions } from './stage';
export { HASH_CACHE_FILE, StageRunner } from './stage-runner';
export type { StageBodyTask, StageCommandCall, StageCommandTask, StageRecord, StageRunnerOptions, StageTask, StageTaskContext, StageTaskResult } from './stage-runner';
export { slowBackendDecision } from './slow-backend';
export type { SlowBackendDecision } from './slow-backend';
export { StageCliError, runStageCli, stageCommand } from './stage-cli';
export type { CliFlags, StageCliIo, StageCommand, StageComposition, StageDefinition, StageInput, StageOption, StageOut, StageRunArgs } from './stage-cli';
