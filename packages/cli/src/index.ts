export type { DoctorCheck, DoctorCheckName } from './commands/doctor.js';
export type { DrillTargetSummary } from './commands/drill.js';
export type { StatusTarget } from './commands/status.js';
export { CONFIG_FILE_NAMES, findConfigFile } from './config/find.js';
export { loadConfig } from './config/load.js';
export {
  type CommandName,
  defineConfig,
  type FailoverConfig,
  type FailoverConfigContext,
  type FailoverConfigResult,
} from './config/types.js';
export { CliError, type CliErrorKind } from './errors.js';
export { EXIT_CODES, type ExitCode } from './exit-codes.js';
export type { FailureInfo } from './failure.js';
export { JSON_SCHEMA_VERSION, type JsonEnvelope } from './output.js';
export type { ProgressStream } from './progress.js';
export { type CliIo, runCli } from './run.js';
export { CLI_VERSION } from './version.js';
