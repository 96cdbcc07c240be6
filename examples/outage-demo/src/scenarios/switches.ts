import type { TimedPhase } from './types.js';

/**
 * When the demo actually switched the fault proxies to a phase, in ms since the traffic started.
 * The schedule says when a phase should begin; on a loaded machine the switch happens later (the
 * timer fires late, and setting six proxies' faults takes a few turns of the event loop): a second
 * or more has been seen with two busy loops beside the demo.
 */
export interface PhaseSwitch {
  readonly index: number;
  /** The demo began setting the phase's faults (the first proxies may already have them). */
  readonly startMs: number;
  /** Every proxy had the phase's fault. */
  readonly doneMs: number;
}

/** A stretch of time during which some phase that allows application errors had (some of) its faults set. */
export interface AllowedWindow {
  readonly phase: TimedPhase;
  /** The demo began switching to the phase. */
  readonly fromMs: number;
  /** Every proxy had the next phase's fault (`Infinity` for the last phase). */
  readonly toMs: number;
}

/** When phase `index` began (its switch, or its scheduled start when it has none). */
function began(phases: readonly TimedPhase[], switches: readonly PhaseSwitch[], index: number): number {
  return switches.find((s) => s.index === index)?.startMs ?? phases[index]!.startMs;
}

/** When phase `index` was fully in force (its switch done, or its scheduled start). */
function settled(phases: readonly TimedPhase[], switches: readonly PhaseSwitch[], index: number): number {
  return switches.find((s) => s.index === index)?.doneMs ?? phases[index]!.startMs;
}

/** The phase in force at `atMs`: the last one the demo had begun switching to by then. */
export function phaseInForce(
  phases: readonly TimedPhase[],
  switches: readonly PhaseSwitch[],
  atMs: number,
): TimedPhase {
  let current = phases[0];
  if (current === undefined) throw new Error('a scenario needs at least one phase');
  for (const phase of phases) if (began(phases, switches, phase.index) <= atMs) current = phase;
  return current;
}

/**
 * The windows in which application errors are allowed, as the phases really ran: from the moment
 * the demo began switching to an allowing phase until every proxy had the next phase's faults
 * (until then some cloud may still be down).
 */
export function allowedWindows(
  phases: readonly TimedPhase[],
  switches: readonly PhaseSwitch[],
): AllowedWindow[] {
  return phases
    .filter((p) => p.appErrorsAllowed === true)
    .map((phase) => ({
      phase,
      fromMs: began(phases, switches, phase.index),
      toMs:
        phase.index + 1 < phases.length
          ? settled(phases, switches, phase.index + 1)
          : Number.POSITIVE_INFINITY,
    }));
}
