import { parseArgs } from 'node:util';
import type { WriteMode } from '@failover/storage';
import { DEFAULTS, type DemoOptions } from '../options.js';
import { SCENARIO_IDS, type ScenarioId } from '../scenarios/types.js';

/** A bad command line: the message names the option. The CLI prints it and exits with 2. */
export class UsageError extends Error {
  readonly option: string | undefined;
  constructor(message: string, option?: string) {
    super(message);
    this.name = 'UsageError';
    this.option = option;
  }
}

/** What the command line asks for. */
export type CliCommand = { readonly help: true } | { readonly help: false; readonly options: DemoOptions };

/** `--help` text. */
export const USAGE = `Usage: pnpm demo [options]      (from the repository root, e.g. pnpm demo --short)

Replays the AWS us-east-1 outage of 19-20 October 2025 against an order service that keeps its data on
S3, Google Cloud Storage and Azure Blob through @failover, then verifies every object on every cloud.
Everything runs on this machine: no Docker, no cloud account.

Options:
  --duration <seconds>    seconds of traffic, 10 to 3600; the phases scale (default ${DEFAULTS.durationSec})
  --short                 a ${DEFAULTS.shortDurationSec} s run, for CI (same as --duration ${DEFAULTS.shortDurationSec})
  --scenario <name>       ${SCENARIO_IDS.join(' | ')} (default ${DEFAULTS.scenario})
  --write-mode <mode>     primary | mirror | quorum:<n> with n from 1 to 3 (default mirror)
  --seed <n>              seed of the traffic and of the fault draws, a whole number (default ${DEFAULTS.seed})
  --rate <ops/s>          operations the application starts per second, 1 to 200 (default ${DEFAULTS.opsPerSecond})
  --fleet                 fleet mode: several app instances (separate processes) share one Redis (journal
                          and breakers); starts redis-server from PATH (docs/fleet.md)
  --instances <n>         app instances in fleet mode, 2 to 8 (default ${DEFAULTS.fleetInstances}; needs --fleet)
  --report <path>         where to write the HTML report (default ${DEFAULTS.reportPath})
  --no-report             write no HTML report
  --plain                 plain lines instead of the live dashboard (the default when not a terminal)
  -h, --help              this text

Exit code: 0 when every check passed, 1 when one failed, 2 for a bad option.`;

/** Parses and validates the command line (without `node` and the script). */
export function parseCli(argv: readonly string[]): CliCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    // `pnpm demo -- --short` hands the `--` on through every script: the demo takes no positionals.
    parsed = parse(argv.filter((a) => a !== '--'));
  } catch (err) {
    throw fromParseError(err);
  }
  const v = parsed.values;
  if (v.help === true) return { help: true };

  if (v.short === true && v.duration !== undefined) {
    throw new UsageError(
      '--short and --duration cannot be used together: --short is --duration 15',
      '--short',
    );
  }
  if (v.report !== undefined && v['no-report'] === true) {
    throw new UsageError('--report and --no-report cannot be used together', '--report');
  }
  const durationSec =
    v.short === true ? DEFAULTS.shortDurationSec : wholeNumber('--duration', v.duration, 10, 3600);
  const scenario = scenarioOf(v.scenario);
  const writeMode = v['write-mode'] === undefined ? undefined : writeModeOf(v['write-mode']);
  const seed = wholeNumber('--seed', v.seed, 0, Number.MAX_SAFE_INTEGER);
  const opsPerSecond = wholeNumber('--rate', v.rate, 1, 200);
  if (v.instances !== undefined && v.fleet !== true) {
    throw new UsageError('--instances needs --fleet (one instance runs without Redis)', '--instances');
  }
  const instances =
    v.fleet === true ? (wholeNumber('--instances', v.instances, 2, 8) ?? DEFAULTS.fleetInstances) : undefined;
  if (v.report !== undefined && v.report.trim() === '')
    throw new UsageError('--report needs a file path', '--report');
  const options: DemoOptions = {
    ...(durationSec === undefined ? {} : { durationSec }),
    ...(scenario === undefined ? {} : { scenario }),
    ...(writeMode === undefined ? {} : { writeMode }),
    ...(seed === undefined ? {} : { seed }),
    ...(opsPerSecond === undefined ? {} : { opsPerSecond }),
    ...(instances === undefined ? {} : { instances }),
    ...(v['no-report'] === true
      ? { reportPath: null }
      : v.report === undefined
        ? {}
        : { reportPath: v.report }),
    ...(v.plain === true ? { live: false } : {}),
  };
  return { help: false, options };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      duration: { type: 'string' },
      short: { type: 'boolean' },
      scenario: { type: 'string' },
      'write-mode': { type: 'string' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      fleet: { type: 'boolean' },
      instances: { type: 'string' },
      report: { type: 'string' },
      'no-report': { type: 'boolean' },
      plain: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function fromParseError(err: unknown): UsageError {
  const e = err as { code?: string; message?: string };
  const option = /'(-[^' ]+)/.exec(e.message ?? '')?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option ${option ?? ''} (see --help)`.replace('  ', ' '), option);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = option?.split(' ')[0];
      if (name !== undefined && /ambiguous/.test(e.message ?? '')) {
        return new UsageError(
          `${name} got a value starting with "-"; write it as ${name}=<value> (see --help)`,
          name,
        );
      }
      if (name !== undefined && /argument missing/.test(e.message ?? '')) {
        return new UsageError(`${name} needs a value (see --help)`, name);
      }
      return new UsageError(`${e.message ?? 'invalid option value'} (see --help)`, name);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(
        `unexpected argument ${/'([^']*)'/.exec(e.message ?? '')?.[1] ?? ''}: options start with -- (see --help)`,
      );
    default:
      return new UsageError(`${e.message ?? String(err)} (see --help)`);
  }
}

function wholeNumber(option: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${option} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`,
      option,
    );
  }
  return n;
}

function scenarioOf(raw: string | undefined): ScenarioId | undefined {
  if (raw === undefined) return undefined;
  if (!(SCENARIO_IDS as readonly string[]).includes(raw)) {
    throw new UsageError(
      `--scenario must be one of ${SCENARIO_IDS.join(', ')}, got ${JSON.stringify(raw)}`,
      '--scenario',
    );
  }
  return raw as ScenarioId;
}

function writeModeOf(raw: string): WriteMode {
  if (raw === 'primary' || raw === 'mirror') return raw;
  if (raw === 'default') return { quorum: 2, minimum: 1 };
  const m = /^quorum:(\d+)(?:,min:(\d+))?$/.exec(raw);
  const n = m === null ? Number.NaN : Number(m[1]);
  const min = m?.[2] === undefined ? undefined : Number(m[2]);
  if (!Number.isInteger(n) || n < 1 || n > 3 || (min !== undefined && (min < 1 || min > n))) {
    throw new UsageError(
      `--write-mode must be default, primary, mirror, quorum:<n> or quorum:<n>,min:<m> with 1 <= m <= n <= 3 (three clouds), got ${JSON.stringify(raw)}`,
      '--write-mode',
    );
  }
  return min === undefined ? { quorum: n } : { quorum: n, minimum: min };
}
