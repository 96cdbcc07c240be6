import { CLOUD_INFO } from '../clouds.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import { allowedWindows, type PhaseSwitch, phaseInForce } from '../scenarios/switches.js';
import type { Scenario, TimedPhase } from '../scenarios/types.js';
import type { Verification } from '../verify/verify.js';
import type { AppError } from '../workload/traffic.js';
import type { AppErrorSummary, Check } from './model.js';

const PRIMARY = CLOUD_INFO.aws.target;
const PRIMARY_LANE = `storage:${PRIMARY}`;

const primaryFaulty = (p: TimedPhase): boolean => {
  const f = p.faults.s3;
  return f !== undefined && f.type !== 'pass';
};

/** Whether AWS cannot serve anything in the phase (a fault on every request, not a brown-out). */
const primaryDown = (p: TimedPhase): boolean => {
  const f = p.faults.s3;
  if (f === undefined || f.type === 'pass' || f.type === 'mix') return false;
  return !('probability' in f) || f.probability === undefined || f.probability >= 1;
};

/** Failover and failback timings of the primary cloud (AWS). */
export interface FailoverTimes {
  readonly toFailoverMs: number | undefined;
  readonly toBreakerOpenMs: number | undefined;
  readonly toFailBackMs: number | undefined;
}

/**
 * - time to fail over: from the start of the first phase that faults AWS to the first storage call
 *   another cloud served after it;
 * - time to open: from that start to AWS's breaker opening;
 * - time to fail back: from the end of the last phase in which AWS could serve nothing (DNS
 *   failure, refused connections, black hole) to the first storage call AWS served after it. A
 *   brown-out after it counts: AWS answers some calls then, and the breaker decides when to go back.
 */
export function failoverTimes(phases: readonly TimedPhase[], recorder: MetricsRecorder): FailoverTimes {
  const first = phases.find(primaryFaulty);
  if (first === undefined)
    return { toFailoverMs: undefined, toBreakerOpenMs: undefined, toFailBackMs: undefined };
  const served = recorder.storageServed;
  const elsewhere = served.find((s) => s.atMs >= first.startMs && s.target !== PRIMARY);
  const opened = recorder.events.find(
    (e) => e.lane === PRIMARY_LANE && e.what === 'open' && e.atMs >= first.startMs,
  );
  const lastDown = [...phases].reverse().find(primaryDown) ?? [...phases].reverse().find(primaryFaulty)!;
  const recovery = phases[lastDown.index + 1];
  const back =
    recovery === undefined
      ? undefined
      : served.find((s) => s.atMs >= recovery.startMs && s.target === PRIMARY);
  return {
    toFailoverMs: elsewhere === undefined ? undefined : elsewhere.atMs - first.startMs,
    toBreakerOpenMs: opened === undefined ? undefined : opened.atMs - first.startMs,
    toFailBackMs: back === undefined || recovery === undefined ? undefined : back.atMs - recovery.startMs,
  };
}

/**
 * Groups the application's errors by phase (the one in force when the application saw the error),
 * kind and operation, and counts those that came while some cloud could serve. An error is allowed
 * when its operation ran, at some point, while a phase that allows errors was in force, or started
 * within `graceMs` after such a phase ended (a cloud that came back is used again once its
 * breaker lets a probe through, up to the breaker's longest reset timeout later). An operation
 * that began while nothing could serve may fail seconds later, after the recovery: its call was
 * planned, and its breakers' verdicts given, during the outage. Phases are timed by `switches`,
 * when the demo really switched the faults (a phase without one: its schedule).
 */
export function summarizeErrors(
  errors: readonly AppError[],
  phases: readonly TimedPhase[],
  graceMs: number,
  switches: readonly PhaseSwitch[] = [],
): AppErrorSummary {
  const byPhase: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  const byOp: Record<string, number> = {};
  const windows = allowedWindows(phases, switches);
  const outside: AppError[] = [];
  for (const e of errors) {
    const phase = phaseInForce(phases, switches, e.atMs);
    byPhase[phase.id] = (byPhase[phase.id] ?? 0) + 1;
    const kind = `${e.source}: ${e.kind}`;
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    byOp[e.op] = (byOp[e.op] ?? 0) + 1;
    if (!windows.some((w) => e.atMs >= w.fromMs && e.startedMs <= w.toMs + graceMs)) outside.push(e);
  }
  return {
    total: errors.length,
    byPhase,
    byKind,
    byOp,
    samples: samplesOf(errors, 10),
    outsideAllowedPhases: outside.length,
    outside: outside.slice(0, 10),
    graceMs,
  };
}

/** The first error that came while a cloud was up, for the check's detail. */
function firstOutside(outside: readonly AppError[]): string {
  const e = outside[0];
  if (e === undefined) return '';
  return `, first: ${e.op} started at ${ms(e.startedMs)}, failed at ${ms(e.atMs)} (${e.source}: ${e.kind}: ${e.message.slice(0, 200)})`;
}

/** Up to `n` errors, the first of each kind of failure (source, kind, operation) first. */
function samplesOf(errors: readonly AppError[], n: number): AppError[] {
  const seen = new Set<string>();
  const first: AppError[] = [];
  for (const e of errors) {
    const id = `${e.source}:${e.kind}:${e.op}`;
    if (!seen.has(id)) {
      seen.add(id);
      first.push(e);
    }
  }
  const rest = errors.filter((e) => !first.includes(e));
  return [...first, ...rest].slice(0, n).sort((a, b) => a.atMs - b.atMs);
}

/** What the checks look at. */
export interface CheckInput {
  readonly scenario: Scenario;
  readonly errors: AppErrorSummary;
  readonly verification: Verification;
  readonly lost: number;
  readonly failovers: number;
  readonly times: FailoverTimes;
  readonly repaired: number;
  readonly journaled: number;
  readonly backlogAtEnd: number;
}

/** The run's pass/fail checks. */
export function runChecks(input: CheckInput): Check[] {
  const { scenario, errors, verification: v } = input;
  const sum = (f: (c: Verification['clouds'][number]) => number): number =>
    v.clouds.reduce((n, c) => n + f(c), 0);
  const checks: Check[] = [];
  if (scenario.appErrorsExpected) {
    checks.push({
      name: 'errors only while no cloud could serve',
      ok: errors.outsideAllowedPhases === 0,
      detail:
        errors.outsideAllowedPhases === 0
          ? `${errors.total} errors, all while every cloud was down or within ${ms(errors.graceMs)} of one coming back`
          : `${errors.outsideAllowedPhases} of ${errors.total} errors came while a cloud was up` +
            firstOutside(errors.outside),
    });
  } else {
    checks.push({
      name: 'zero errors seen by the application',
      ok: errors.total === 0,
      detail:
        errors.total === 0 ? 'the application never noticed the outage' : `${errors.total} operations failed`,
    });
  }
  checks.push({
    name: 'nothing acknowledged was lost',
    ok: input.lost === 0,
    detail:
      input.lost === 0
        ? `every acknowledged write is on all ${v.clouds.length} clouds`
        : `${input.lost} acknowledged writes missing or wrong`,
  });
  checks.push({
    name: 'every object verified on every cloud',
    ok: v.ok,
    detail:
      `${sum((c) => c.verified)} copies compared byte for byte and by SHA-256 on ${v.clouds.length} clouds` +
      (v.ok ? '' : `; problems: ${describeProblems(v)}`),
  });
  // A run may delete nothing (on a slow machine an all-clouds-down run completes few operations,
  // and cancels need an order placed and idle): the check then has nothing to check, and says so.
  checks.push({
    name: 'deleted keys absent everywhere',
    ok:
      sum((c) => c.resurrected.length) === 0 &&
      sum((c) => c.deletedAbsent) >= v.deletedKeys * v.clouds.length,
    detail:
      v.deletedKeys === 0
        ? 'no key was deleted in this run: nothing to check'
        : `${v.deletedKeys} deleted keys, ${sum((c) => c.resurrected.length)} found again`,
  });
  checks.push({
    name: 'traffic failed over',
    ok: input.failovers > 0 && input.times.toFailoverMs !== undefined,
    detail:
      `${input.failovers} failovers` +
      (input.times.toFailoverMs === undefined ? '' : `, first after ${ms(input.times.toFailoverMs)}`),
  });
  checks.push({
    name: 'traffic came back to AWS',
    ok: input.times.toFailBackMs !== undefined,
    detail:
      input.times.toFailBackMs === undefined
        ? 'AWS served nothing after recovery'
        : `after ${ms(input.times.toFailBackMs)}`,
  });
  checks.push({
    name: 'repair copied the outage writes back',
    ok: input.repaired > 0 && input.backlogAtEnd === 0,
    detail: `${input.journaled} writes journaled, ${input.repaired} copies repaired, backlog ${input.backlogAtEnd}`,
  });
  return checks;
}

/** Counts acknowledged writes that are missing or wrong on some cloud (each key counted once). */
export function lostWrites(v: Verification): number {
  const keys = new Set<string>();
  for (const c of v.clouds) for (const k of [...c.missing, ...c.mismatched]) keys.add(k);
  return keys.size;
}

function describeProblems(v: Verification): string {
  const parts: string[] = [];
  for (const c of v.clouds) {
    const p: string[] = [];
    if (c.missing.length) p.push(`${c.missing.length} missing`);
    if (c.mismatched.length) p.push(`${c.mismatched.length} mismatched`);
    if (c.resurrected.length) p.push(`${c.resurrected.length} resurrected`);
    if (c.unexpected.length) p.push(`${c.unexpected.length} unexpected`);
    if (c.unreadable.length) p.push(`${c.unreadable.length} unreadable`);
    if (p.length) parts.push(`${c.target}: ${p.join(', ')}`);
  }
  return parts.join('; ');
}

/** `1.234 s` or `345 ms`. */
export function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`;
}
