import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_SKEW_MS } from './doctor/clock.js';
import { CLI_VERSION } from './version.js';

/** The global options (valid before or after the command). */
export interface GlobalOptions {
  config?: string;
  json?: boolean;
  timeout: number;
}

/** What the parser hands to the runner: the command and its options. */
export type ParsedCommand =
  | { readonly name: 'status'; readonly global: GlobalOptions }
  | { readonly name: 'drill'; readonly global: GlobalOptions; readonly sample: number }
  | { readonly name: 'repair'; readonly global: GlobalOptions; readonly targets: string[] | undefined }
  | {
      readonly name: 'reconcile';
      readonly global: GlobalOptions;
      readonly prefix: string;
      readonly dryRun: boolean;
      readonly verify: boolean;
    }
  | {
      readonly name: 'doctor';
      readonly global: GlobalOptions;
      readonly maxSkewMs: number;
      readonly readOnly: boolean;
    };

function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

const EXIT_HELP = `
Exit codes: 0 no problems, 1 problems found or partial failure, 2 usage or config error.
Config: --config <path>, or failover.config.{mjs,js,cjs,ts,mts,json} in the current directory.
Guide: docs/cli.md`;

/**
 * The `failover` command line (commander). `onCommand` receives the parsed command; the program
 * never runs a command itself and never calls `process.exit` (`exitOverride`).
 */
export function buildProgram(
  onCommand: (parsed: ParsedCommand) => Promise<void>,
  output: { writeOut(text: string): void; writeErr(text: string): void },
): Command {
  const program = new Command('failover')
    .description(
      'Check, drill, repair and reconcile a @failover multi-cloud store from a terminal, cron or CI.',
    )
    .version(CLI_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for the command')
    .option('-c, --config <path>', 'config file (default: failover.config.* in the current directory)')
    .option('--json', 'print one JSON document on stdout instead of text (no progress bars)')
    .addOption(
      new Option('--timeout <ms>', 'time limit of each probe, request or drill run, in ms')
        .argParser(integer(1, 3_600_000))
        .default(10_000),
    )
    .configureOutput(output)
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_HELP)
    .exitOverride();
  const global = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

  program
    .command('status')
    .description(
      'probe every target directly and show breakers and the journal backlog; exit 1 if a target is down',
    )
    .action(async (_opts, cmd: Command) => onCommand({ name: 'status', global: global(cmd) }));

  program
    .command('drill')
    .description('write, read, verify and delete a canary on every target, N times; exit 1 if any step fails')
    .addOption(
      new Option('--sample <n>', 'how many drills to run in a row').argParser(integer(1, 1000)).default(1),
    )
    .action(async (opts: { sample: number }, cmd: Command) =>
      onCommand({ name: 'drill', global: global(cmd), sample: opts.sample }),
    );

  program
    .command('repair')
    .description(
      'replay the journal now: copy pending writes to the targets that lack them; exit 1 if any remain',
    )
    .option('--target <name...>', 'only repair copies to these targets')
    .action(async (opts: { target?: string[] }, cmd: Command) =>
      onCommand({ name: 'repair', global: global(cmd), targets: opts.target }),
    );

  program
    .command('reconcile')
    .description(
      'compare every target under a prefix and copy the newest version where it is missing or older',
    )
    .option('--prefix <p>', 'only keys starting with this', '')
    .option('--dry-run', 'only report what would change (exit 1 when anything would)', false)
    .option('--verify', 'also read every copy and check its bytes against its SHA-256', false)
    .action(async (opts: { prefix: string; dryRun: boolean; verify: boolean }, cmd: Command) =>
      onCommand({ name: 'reconcile', global: global(cmd), ...opts }),
    );

  program
    .command('doctor')
    .description('check reachability, buckets, credentials, clocks and SDK versions; one line per problem')
    .addOption(
      new Option('--max-skew <ms>', 'clock skew against a cloud that counts as a problem, in ms')
        .argParser(integer(0, 86_400_000))
        .default(DEFAULT_MAX_SKEW_MS),
    )
    .option('--read-only', 'do not write the canary (skips the write permission and clock checks)', false)
    .action(async (opts: { maxSkew: number; readOnly: boolean }, cmd: Command) =>
      onCommand({ name: 'doctor', global: global(cmd), maxSkewMs: opts.maxSkew, readOnly: opts.readOnly }),
    );

  for (const cmd of program.commands) {
    cmd.configureOutput(output).showHelpAfterError('(add --help for usage)').exitOverride();
  }
  return program;
}
