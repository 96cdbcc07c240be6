import { describe, expect, it } from 'vitest';
import { summarizeErrors } from '../src/report/analyze.js';
import { SCENARIOS } from '../src/scenarios/catalog.js';
import { allowedWindows, type PhaseSwitch, phaseInForce } from '../src/scenarios/switches.js';
import { timePhases } from '../src/scenarios/timing.js';
import type { AppError } from '../src/workload/traffic.js';

// all-clouds-down over 15 s: normal 0-1.8 s, aws-down -4.2, all-down -7.8 (errors allowed),
// gcp-back -10.2 (allowed), recovered -15. Grace: 3.3 s (the 15 s run's tuning).
const phases = timePhases(SCENARIOS['all-clouds-down'], 15_000);
const GRACE = 3_300;
/** The switches of a run beside two busy loops: each phase switched late, all-down by 1.2 s. */
const late: PhaseSwitch[] = [
  { index: 0, startMs: 128, doneMs: 129 },
  { index: 1, startMs: 1907, doneMs: 3027 },
  { index: 2, startMs: 4708, doneMs: 5441 },
  { index: 3, startMs: 7846, doneMs: 7944 },
  { index: 4, startMs: 10316, doneMs: 10350 },
];

const error = (startedMs: number, atMs: number): AppError => ({
  op: 'place',
  startedMs,
  atMs,
  name: 'AxiosError',
  source: 'pricing',
  kind: 'timeout',
  message: 'All endpoints failed',
});

describe('which application errors the all-clouds-down run allows', () => {
  it('phases are timed by when the faults were really switched, not by the schedule', () => {
    expect(phases.map((p) => p.id)).toEqual(['normal', 'aws-down', 'all-down', 'gcp-back', 'recovered']);
    expect(phaseInForce(phases, late, 4_500).id).toBe('aws-down'); // scheduled all-down, not switched yet
    expect(phaseInForce(phases, late, 10_300).id).toBe('gcp-back');
    expect(phaseInForce(phases, [], 10_300).id).toBe('recovered');
    expect(allowedWindows(phases, late).map((w) => [w.phase.id, w.fromMs, w.toMs])).toEqual([
      ['all-down', 4708, 7944],
      ['gcp-back', 7846, 10350],
    ]);
  });

  it.each([
    // [what, started, ended, outside?]
    ['failed while every cloud was down', 5_000, 5_100, false],
    ['started in normal, failed once every cloud was down (a long upload)', 919, 5_611, false],
    [
      'started while only GCP was back, timed out after the recovery (a loaded machine)',
      9_926,
      15_359,
      false,
    ],
    ['started just after the recovery, before the breakers probed', 11_000, 11_050, false],
    ['started in the last moment of the grace', 13_650, 13_700, false],
    ['started after the grace: a cloud could serve it', 13_700, 13_750, true],
    ['failed in normal', 500, 1_000, true],
    ['failed while AWS alone was down', 3_000, 3_100, true],
    ['failed on the schedule of all-down before its faults were set', 4_300, 4_500, true],
  ] as const)('%s: outside the allowed phases = %s', (_what, started, ended, outside) => {
    const summary = summarizeErrors([error(started, ended)], phases, GRACE, late);
    expect(summary.outsideAllowedPhases).toBe(outside ? 1 : 0);
  });

  it('counts errors by the phase in force when the application saw them', () => {
    const summary = summarizeErrors(
      [error(5_000, 5_100), error(9_000, 10_310), error(9_926, 15_359)],
      phases,
      GRACE,
      late,
    );
    expect(summary.byPhase).toEqual({ 'all-down': 1, 'gcp-back': 1, recovered: 1 });
    expect(summary.outsideAllowedPhases).toBe(0);
  });
});
