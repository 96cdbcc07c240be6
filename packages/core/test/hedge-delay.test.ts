import { describe, expect, it } from 'vitest';
import { autoHedgeDelay, type LatencyFacts } from '../src/hedge-delay.js';
import { HEDGE_AUTO } from '../src/index.js';

const known = (p50: number, p95: number, samples = 100): LatencyFacts => ({ samples, p50, p95 });
const fresh: LatencyFacts = { samples: 0, p50: 0, p95: 0 };
const never = () => false;
const always = () => true;

describe('autoHedgeDelay', () => {
  const table: [string, LatencyFacts, LatencyFacts[], () => boolean, number][] = [
    ['its own p95, rounded up to 5 ms', known(40, 81), [], never, 85],
    [
      'too few samples: twice their tail, at least coldMs',
      known(40, 81, HEDGE_AUTO.minSamples - 1),
      [],
      never,
      HEDGE_AUTO.coldMs,
    ],
    ['too few samples, slow ones: twice their tail', known(400, 900, 3), [], never, 1800],
    ['too few samples, very slow: never later than maxMs', known(1500, 1900, 3), [], never, HEDGE_AUTO.maxMs],
    ['enough samples', known(40, 81, HEDGE_AUTO.minSamples), [], never, 85],
    ['never sooner than minMs', known(1, 2), [], never, HEDGE_AUTO.minMs],
    ['never later than maxMs', known(4000, 9000), [], never, HEDGE_AUTO.maxMs],
    ['another target 3x faster than our p95: 3 x its median', known(300, 320), [known(9, 15)], never, 30],
    ['another target not faster: our own p95', known(10, 20), [known(9, 15)], never, 20],
    ['the fastest other target counts', known(300, 320), [known(50, 60), known(20, 30)], never, 60],
    [
      'another target faster, but our median within 3x of its: our own p95 (a tail, not a slow target)',
      known(32, 61),
      [known(14, 30)],
      never,
      65,
    ],
    ['our median above 3x another median: 3 x its median', known(50, 61), [known(14, 30)], never, 45],
    [
      'our own latency unknown: 3 x a known median',
      known(50, 61, HEDGE_AUTO.minSamples - 1),
      [known(14, 30)],
      never,
      45,
    ],
    ['an unknown other target, no exploring: our p95', known(40, 81), [fresh], never, 85],
    [
      'an unknown other target, exploring: as soon as allowed',
      known(40, 81),
      [fresh],
      always,
      HEDGE_AUTO.minMs,
    ],
    [
      'a target that never answered yet, others unknown: coldMs without exploring',
      fresh,
      [fresh],
      never,
      HEDGE_AUTO.coldMs,
    ],
    ['a target that never answered yet, another known: 3 x its median', fresh, [known(14, 30)], never, 45],
  ];
  it.each(table)('%s', (_name, running, others, explore, expected) => {
    expect(autoHedgeDelay(running, others, explore)).toBe(expected);
  });

  it('asks whether to explore only when another target is unknown', () => {
    let asked = 0;
    const explore = () => {
      asked++;
      return true;
    };
    autoHedgeDelay(known(40, 81), [known(9, 15)], explore);
    expect(asked).toBe(0);
    autoHedgeDelay(known(40, 81), [known(9, 15), fresh], explore);
    expect(asked).toBe(1);
  });
});
