import { CommanderError } from 'commander';
import { doctorCommand } from './commands/doctor.js';
import { drillCommand } from './commands/drill.js';
import { reconcileCommand } from './commands/reconcile.js';
import { repairCommand } from './commands/repair.js';
import { statusCommand } from './commands/status.js';
import type { CommandContext, CommandResult } from './commands/types.js';
import { findConfigFile } from './config/find.js';
import { openStore } from './config/open-store.js';
import { CliError, messageOf } from './errors.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { jsonDocument, textReport } from './output.js';
import { buildProgram, type ParsedCommand } from './program.js';
import { createProgress, type ProgressStream } from './progress.js';

/** Where {@link runCli} reads and writes. */
export interface CliIo {
  /** Reports and `--json` documents. */
  readonly stdout: ProgressStream;
  /** Errors, help after a usage error, and progress bars (on a terminal only). */
  readonly stderr: ProgressStream;
  /** The working directory, where the config file is searched. Default `process.cwd()`. */
  readonly cwd?: string;
  /** The environment the config sees. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

function runCommand(parsed: ParsedCommand, ctx: CommandContext): Promise<CommandResult> {
  switch (parsed.name) {
    case 'status':
      return statusCommand(ctx);
    case 'drill':
      return drillCommand(ctx, parsed.sample);
    case 'repair':
      return repairCommand(ctx, parsed.targets);
    case 'reconcile':
      return reconcileCommand(ctx, parsed);
    case 'doctor':
      return doctorCommand(ctx, parsed);
  }
}

/** Loads the config, runs the command on its store, closes the store, prints the report. */
async function execute(parsed: ParsedCommand, io: CliIo): Promise<ExitCode> {
  const json = parsed.global.json === true;
  const cwd = io.cwd ?? process.cwd();
  const env = io.env ?? process.env;
  let result: CommandResult;
  try {
    const configPath = findConfigFile(cwd, parsed.global.config);
    const { store } = await openStore({ command: parsed.name, configPath, cwd, env });
    try {
      result = await runCommand(parsed, {
        store,
        timeoutMs: parsed.global.timeout,
        configPath,
        progress: (label) => createProgress(io.stderr, label, !json),
      });
    } finally {
      await store.close().catch(() => undefined);
    }
  } catch (err) {
    const exitCode = err instanceof CliError ? EXIT_CODES.usage : EXIT_CODES.problems;
    const kind = err instanceof CliError ? err.kind : 'failed';
    const message = messageOf(err);
    if (json) {
      io.stdout.write(
        jsonDocument({
          schema: 1,
          command: parsed.name,
          ok: false,
          exitCode,
          problems: [],
          error: { kind, message },
        }),
      );
    }
    io.stderr.write(
      `failover ${parsed.name}: ${kind === 'failed' ? 'failed' : `${kind} error`}: ${message}\n`,
    );
    return exitCode;
  }
  const exitCode = result.problems.length === 0 ? EXIT_CODES.ok : EXIT_CODES.problems;
  io.stdout.write(
    json
      ? jsonDocument(
          { schema: 1, command: parsed.name, ok: exitCode === 0, exitCode, problems: result.problems },
          result.data,
        )
      : textReport(result.lines, result.problems),
  );
  return exitCode;
}

/**
 * Runs the `failover` command line with `argv` (the arguments after the program name) and returns
 * its exit code; never calls `process.exit`. The bin is `runCli(process.argv.slice(2))`.
 *
 * ```ts
 * const code = await runCli(['status', '--json', '--config', 'ops/failover.config.mjs']);
 * ```
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT_CODES.ok;
  const program = buildProgram(
    async (parsed) => {
      exitCode = await execute(parsed, io);
    },
    { writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) },
  );
  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (program.args.length === 0 && argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT_CODES.usage;
    }
    return exitCode;
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_CODES.ok;
    if (argv.includes('--json')) {
      io.stdout.write(
        jsonDocument({
          schema: 1,
          command: null,
          ok: false,
          exitCode: EXIT_CODES.usage,
          problems: [],
          error: { kind: 'usage', message: messageOf(err) },
        }),
      );
    }
    return EXIT_CODES.usage;
  }
}
