import { describe, expect, it } from 'vitest';
import { classifyOpening, decideResync, pairs } from '../src/fleet-decide.js';

describe('classifyOpening', () => {
  it.each([
    ['a remote trip', { remote: true, reason: 'fleet: network on b' }, 2, 'remote'],
    ['failed calls (no reason)', { remote: false }, 2, 'failures'],
    ['an ejection by judgement', { remote: false, reason: 'unresponsive' }, 2, 'judgement'],
    ['a judgement with ejectionQuorum 1', { remote: false, reason: 'unresponsive' }, 1, 'failures'],
    ['a remote trip with ejectionQuorum 1', { remote: true }, 1, 'remote'],
    ['failed calls, the last one timed out', { remote: false, kind: 'timeout' }, 2, 'judgement'],
    ['failed calls timed out, ejectionQuorum 1', { remote: false, kind: 'timeout' }, 1, 'failures'],
    ['failed calls, the last one refused or reset', { remote: false, kind: 'network' }, 2, 'failures'],
    ['failed calls, the last one a 503', { remote: false, kind: 'unavailable' }, 2, 'failures'],
    ['failed calls, the last one a 429', { remote: false, kind: 'throttled' }, 2, 'failures'],
    ['a remote trip of timeouts', { remote: true, kind: 'timeout' }, 2, 'remote'],
  ] as const)('%s', (_name, event, quorum, expected) => {
    expect(classifyOpening(event, quorum)).toBe(expected);
  });
});

describe('decideResync', () => {
  const rec = (from: string) => JSON.stringify({ from, until: 1 });
  it.each([
    ['nothing open, nothing here', [], [], { trip: [], recover: [] }],
    [
      'open by another: trip it',
      [['aws', rec('b')]],
      [],
      { trip: [{ target: 'aws', from: 'b' }], recover: [] },
    ],
    ['already tripped on its word: nothing', [['aws', rec('b')]], ['aws'], { trip: [], recover: [] }],
    ['no longer open: recover', [], ['aws'], { trip: [], recover: ['aws'] }],
    ["this instance's own opening: neither", [['aws', rec('me')]], [], { trip: [], recover: [] }],
    [
      "open here on the fleet's word, now only this instance's own record: recover",
      [['aws', rec('me')]],
      ['aws'],
      { trip: [], recover: ['aws'] },
    ],
    [
      'a record that is not JSON: open, from nobody known',
      [['gcp', 'oops']],
      [],
      { trip: [{ target: 'gcp', from: undefined }], recover: [] },
    ],
    [
      'both at once',
      [['gcp', rec('c')]],
      ['aws'],
      { trip: [{ target: 'gcp', from: 'c' }], recover: ['aws'] },
    ],
  ] as const)('%s', (_name, open, here, expected) => {
    expect(decideResync(open, 'me', new Set(here))).toEqual(expected);
  });
});

describe('pairs', () => {
  it('pairs a flat reply and drops an odd last element', () => {
    expect(pairs(['a', '1', 'b', 2, 'c'])).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });
});
