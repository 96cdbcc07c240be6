import type { Scenario, TimedPhase } from './types.js';

/**
 * Lays a scenario's phases out over `durationMs`: each phase gets its share by weight (whole
 * milliseconds; the last phase takes the remainder).
 */
export function timePhases(scenario: Scenario, durationMs: number): TimedPhase[] {
  const total = scenario.phases.reduce((sum, p) => sum + p.weight, 0);
  let startMs = 0;
  return scenario.phases.map((phase, index) => {
    const last = index === scenario.phases.length - 1;
    const length = last ? durationMs - startMs : Math.round((durationMs * phase.weight) / total);
    const timed: TimedPhase = { ...phase, index, startMs, durationMs: length };
    startMs += length;
    return timed;
  });
}

/** The phase in force at `elapsedMs` (the last one once the run is over). */
export function phaseAt(phases: readonly TimedPhase[], elapsedMs: number): TimedPhase {
  for (const phase of phases) if (elapsedMs < phase.startMs + phase.durationMs) return phase;
  const last = phases[phases.length - 1];
  if (last === undefined) throw new Error('a scenario needs at least one phase');
  return last;
}
