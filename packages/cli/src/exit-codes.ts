/**
 * The exit codes of the `failover` command, chosen for cron and CI: `0` when everything is fine,
 * `1` when the command ran and found problems (a target down, a drill step failing, copies left
 * unrepaired, divergence found by a dry run), `2` when it could not run as asked (bad arguments,
 * no config file, a config that throws or builds an invalid store).
 */
export const EXIT_CODES = Object.freeze({
  /** Everything checked is fine. */
  ok: 0,
  /** The command ran and found problems, or part of its work failed. */
  problems: 1,
  /** Bad usage or configuration: nothing was checked. */
  usage: 2,
} as const);

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
