import { describe, expect, it } from 'vitest';
import { ExplorePacer } from '../src/explore-pacer.js';
import { HEDGE_AUTO } from '../src/index.js';

/** The calls (1-based) on which the pacer explored, asking with `samples(call)` each time. */
function explorations(calls: number, samples: (call: number) => number): number[] {
  const pacer = new ExplorePacer();
  const out: number[] = [];
  for (let call = 1; call <= calls; call++) if (pacer.explore(samples(call))) out.push(call);
  return out;
}

describe('ExplorePacer', () => {
  const every = HEDGE_AUTO.exploreEvery;
  const table: [string, number, (call: number) => number, number[]][] = [
    [
      'learning on every exploration: one call in exploreEvery',
      5 * every,
      (call) => call, // the count moves between explorations
      [every, 2 * every, 3 * every, 4 * every, 5 * every],
    ],
    [
      'nothing learned: the interval doubles after each exploration',
      15 * every,
      () => 0,
      [every, 2 * every, 4 * every, 8 * every],
    ],
    [
      'learning again brings the interval back',
      12 * every,
      (call) => (call > 6 * every ? 1 : 0),
      // at 8x the count has moved (at 7x): back to every; at 9x it has not: doubling again
      [every, 2 * every, 4 * every, 8 * every, 9 * every, 11 * every],
    ],
  ];
  it.each(table)('%s', (_name, calls, samples, expected) => {
    expect(explorations(calls, samples)).toEqual(expected);
  });

  it('never waits longer than exploreMaxEvery calls', () => {
    const pacer = new ExplorePacer();
    let last = 0;
    let longest = 0;
    for (let call = 1; call <= 40 * HEDGE_AUTO.exploreMaxEvery; call++) {
      if (pacer.explore(0)) {
        longest = Math.max(longest, call - last);
        last = call;
      }
    }
    expect(longest).toBe(HEDGE_AUTO.exploreMaxEvery);
    expect(pacer.every).toBe(HEDGE_AUTO.exploreMaxEvery);
  });
});
