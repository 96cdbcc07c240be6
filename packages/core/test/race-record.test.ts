import { describe, expect, it } from 'vitest';
import { LatencyWindow } from '../src/latency.js';
import { LOST_RACES_TO_DEMOTE, RaceRecord } from '../src/race-record.js';

function window(ms: number, samples: number): LatencyWindow {
  const w = new LatencyWindow();
  for (let i = 0; i < samples; i++) w.record(ms);
  return w;
}

describe('RaceRecord', () => {
  it('demotes after the races lost in a row to a target faster as a rule; a won race ends the streak', () => {
    const r = new RaceRecord();
    const slow = window(300, 20);
    const fast = window(10, 20);
    for (let i = 1; i < LOST_RACES_TO_DEMOTE; i++) expect(r.lost(slow, fast)).toBe(false);
    r.won();
    for (let i = 1; i < LOST_RACES_TO_DEMOTE; i++) expect(r.lost(slow, fast)).toBe(false);
    expect(r.lost(slow, fast)).toBe(true);
    expect(r.lost(slow, fast)).toBe(false); // the streak starts again
  });

  it('a race lost in the tail of a target as fast as the winner says nothing and ends the streak', () => {
    const r = new RaceRecord();
    const a = window(10, 20);
    const b = window(10, 20);
    const slow = window(300, 20);
    expect(r.lost(slow, a)).toBe(false);
    expect(r.lost(slow, a)).toBe(false);
    expect(r.lost(a, b)).toBe(false);
    expect(r.lost(slow, a)).toBe(false);
  });
});
