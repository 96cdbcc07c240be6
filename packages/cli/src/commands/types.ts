import type { MultiCloudStore } from '@failover/storage';
import type { Progress } from '../progress.js';

/** What every command gets. */
export interface CommandContext {
  readonly store: MultiCloudStore;
  /** Time limit of each probe, drill or request the command makes itself (ms). */
  readonly timeoutMs: number;
  /** The config file's path. */
  readonly configPath: string;
  /** A progress bar on stderr (draws nothing in `--json` mode or off a terminal). */
  progress(label: string): Progress;
}

/** What a command found. Exit code 1 when `problems` is not empty. */
export interface CommandResult {
  /** What is wrong, one line each. */
  readonly problems: readonly string[];
  /** The human-readable report (problems are printed after it). */
  readonly lines: readonly string[];
  /** The command's fields of the `--json` document. */
  readonly data: Readonly<Record<string, unknown>>;
}

/** At most `limit` lines, then `... and N more`. */
export function capped(lines: readonly string[], limit = 20): string[] {
  if (lines.length <= limit) return [...lines];
  return [...lines.slice(0, limit), `... and ${lines.length - limit} more (see --json)`];
}
