import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { BlobStore } from '@failover/storage';
import { clockSkew } from '../doctor/clock.js';
import { checkVersions } from '../doctor/versions.js';
import { explain, type FailureInfo, failureOf, isOutage } from '../failure.js';
import { CLI_PREFIX, probeTarget } from '../probe.js';
import type { CommandContext, CommandResult } from './types.js';

/** What one doctor check looks at. */
export type DoctorCheckName = 'reachable' | 'bucket' | 'credentials' | 'clock' | 'versions';

/** One line of `failover doctor`. */
export interface DoctorCheck {
  /** The target checked, or `null` for checks of this machine (versions). */
  readonly target: string | null;
  readonly check: DoctorCheckName;
  /** `skipped` when an earlier check of the target failed. */
  readonly status: 'ok' | 'problem' | 'skipped';
  /** What was found, in one line. */
  readonly message: string;
  /** The failure behind a problem, when there was one. */
  readonly error: FailureInfo | null;
}

/** Options of `failover doctor`. */
export interface DoctorOptions {
  /** Clock skew beyond this is a problem (ms). */
  readonly maxSkewMs: number;
  /** Only read: skip the canary write (and so the write permission and clock checks). */
  readonly readOnly: boolean;
}

function check(
  target: string | null,
  name: DoctorCheckName,
  status: DoctorCheck['status'],
  message: string,
  error: FailureInfo | null = null,
): DoctorCheck {
  return { target, check: name, status, message, error };
}

/** The write half: put a canary, read its timestamp back, delete it. */
async function writeChecks(
  target: BlobStore,
  ctx: CommandContext,
  options: DoctorOptions,
): Promise<DoctorCheck[]> {
  const name = target.name;
  const key = `${CLI_PREFIX}doctor/${randomBytes(8).toString('hex')}`;
  const signal = AbortSignal.timeout(ctx.timeoutMs);
  let step = 'write';
  try {
    const before = Date.now();
    await target.put(key, 'failover doctor canary', { contentType: 'text/plain', signal });
    const after = Date.now();
    step = 'read';
    const info = await target.head(key, { signal });
    step = 'delete';
    await target.delete(key, { signal });
    const checks = [check(name, 'credentials', 'ok', 'credentials can list, write, read and delete')];
    const stamped = info?.lastModified?.getTime();
    if (stamped === undefined || Number.isNaN(stamped)) {
      checks.push(check(name, 'clock', 'skipped', 'the target reports no object timestamps'));
      return checks;
    }
    const skew = clockSkew(stamped, before, after, options.maxSkewMs);
    const seconds = (ms: number): string => `${(Math.abs(ms) / 1000).toFixed(1)} s`;
    checks.push(
      skew.tooFar
        ? check(
            name,
            'clock',
            'problem',
            `this machine's clock is about ${seconds(skew.estimateMs)} ${skew.estimateMs > 0 ? 'behind' : 'ahead of'} ${name}'s (more than ${options.maxSkewMs} ms): fix NTP; versions follow the wall clock`,
          )
        : check(
            name,
            'clock',
            'ok',
            `clock within ${options.maxSkewMs} ms (skew ${skew.estimateMs} ± ${skew.uncertaintyMs} ms)`,
          ),
    );
    return checks;
  } catch (err) {
    const failure = failureOf(err);
    const what = failure.kind === 'auth' ? `credentials cannot ${step}` : `${step} failed`;
    return [
      check(name, 'credentials', 'problem', `${what}: ${explain(failure)}`, failure),
      check(name, 'clock', 'skipped', 'not checked: the canary write failed'),
    ];
  }
}

/** Every check of one target, in order; later ones are skipped when an earlier one fails. */
async function targetChecks(
  target: BlobStore,
  ctx: CommandContext,
  options: DoctorOptions,
): Promise<DoctorCheck[]> {
  const name = target.name;
  const probe = await probeTarget(target, ctx.timeoutMs);
  if (probe.error && isOutage(probe.error.kind)) {
    return [
      check(name, 'reachable', 'problem', explain(probe.error), probe.error),
      check(name, 'bucket', 'skipped', 'not checked: unreachable'),
      check(name, 'credentials', 'skipped', 'not checked: unreachable'),
      check(name, 'clock', 'skipped', 'not checked: unreachable'),
    ];
  }
  const reached = check(name, 'reachable', 'ok', `answered in ${Math.round(probe.latencyMs)} ms`);
  if (probe.error) {
    const bucketProblem = probe.error.kind === 'not_found';
    return [
      reached,
      bucketProblem
        ? check(name, 'bucket', 'problem', explain(probe.error), probe.error)
        : check(name, 'bucket', 'skipped', 'not checked: listing failed'),
      bucketProblem
        ? check(name, 'credentials', 'skipped', 'not checked: no bucket')
        : check(name, 'credentials', 'problem', `cannot list: ${explain(probe.error)}`, probe.error),
      check(name, 'clock', 'skipped', 'not checked: listing failed'),
    ];
  }
  const head = [reached, check(name, 'bucket', 'ok', 'bucket or container exists')];
  if (options.readOnly) {
    return [
      ...head,
      check(name, 'credentials', 'ok', 'credentials can list (write not checked: --read-only)'),
      check(name, 'clock', 'skipped', 'not checked: --read-only'),
    ];
  }
  return [...head, ...(await writeChecks(target, ctx, options))];
}

/**
 * `failover doctor`: for every target, directly and in parallel, checks that it answers
 * (reachability), that its bucket or container exists, that the credentials can list, write, read
 * and delete (one small canary under `_failover/cli/doctor/`, deleted again), and that this
 * machine's clock agrees with the canary's timestamp; then checks Node.js and the SDK versions
 * against each adapter's supported range. Problems: one line per failed check.
 */
export async function doctorCommand(ctx: CommandContext, options: DoctorOptions): Promise<CommandResult> {
  const perTarget = await Promise.all(ctx.store.targets.map((t) => targetChecks(t, ctx, options)));
  const versions = checkVersions(dirname(ctx.configPath)).map((v) =>
    check(null, 'versions', v.ok ? 'ok' : 'problem', v.message),
  );
  const checks = [...perTarget.flat(), ...versions];
  const label = (c: DoctorCheck): string => (c.target === null ? c.check : `${c.target} ${c.check}`);
  const problems = checks
    .filter((c) => c.status === 'problem')
    .map((c) => `${c.target ?? c.check}: ${c.message}`);
  const lines = checks.map(
    (c) =>
      `${c.status === 'ok' ? 'ok  ' : c.status === 'problem' ? 'FAIL' : 'skip'} ${label(c)}: ${c.message}`,
  );
  return { problems, lines, data: { maxSkewMs: options.maxSkewMs, readOnly: options.readOnly, checks } };
}
