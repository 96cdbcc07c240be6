import { describe, expect, it } from 'vitest';
import { type ClaimState, nextClaim } from '../src/multi/writer-claim.js';

describe('nextClaim: whether another live process uses this writer id (lease 30 s, renewed every 10 s)', () => {
  const times = { leaseMs: 30_000, renewMs: 10_000 };
  const fresh: ClaimState = { refusedSince: undefined, shared: false };
  // name, answers in order ([granted?, sent at ms]), shared at the end, refused since
  const table: [string, [boolean | undefined, number][], boolean, number | undefined][] = [
    ['granted', [[true, 0]], false, undefined],
    ['refused once: a predecessor that died may still hold it', [[false, 0]], false, 0],
    [
      'refused for a lease and a renewal period: its holder is alive',
      [
        [false, 0],
        [false, 10_000],
        [false, 20_000],
        [false, 30_000],
        [false, 40_001],
      ],
      true,
      0,
    ],
    [
      "refused until the predecessor's lease ended, then granted: not shared",
      [
        [false, 0],
        [false, 10_000],
        [false, 20_000],
        [true, 30_000],
      ],
      false,
      undefined,
    ],
    [
      'a grant between refusals starts the count again',
      [
        [false, 0],
        [true, 20_000],
        [false, 30_000],
        [false, 60_000],
      ],
      false,
      30_000,
    ],
    [
      'journal away (no answer) changes nothing',
      [
        [false, 0],
        [undefined, 50_000],
      ],
      false,
      0,
    ],
    [
      'once found shared, it stays shared until a grant',
      [
        [false, 0],
        [false, 41_000],
        [undefined, 50_000],
        [false, 51_000],
      ],
      true,
      0,
    ],
  ];
  it.each(table)('%s', (_name, answers, shared, since) => {
    let state = fresh;
    for (const [got, at] of answers) state = nextClaim(state, got, at, times);
    expect(state).toEqual({ refusedSince: since, shared });
  });
});
