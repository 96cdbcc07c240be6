import { describe, expect, it } from 'vitest';
import { decideJournalId, mostCommon } from '../src/multi/journal-identity.js';

describe('decideJournalId: the markers’ journal ids against the journal’s own', () => {
  it.each([
    // markers (of the targets holding the epoch), the journal's id -> decision
    [[], 'J2', { type: 'adopt' }],
    [[undefined, undefined, undefined], 'J2', { type: 'adopt' }],
    [['J1', 'J1', 'J1'], 'J1', { type: 'same', incomplete: false }],
    [['J1', undefined, 'J1'], 'J1', { type: 'same', incomplete: true }],
    // A rewrite after a reset's reconcile cut short by a crash: the new id is on some markers.
    [['J2', 'J1', 'J1'], 'J2', { type: 'same', incomplete: true }],
    [['J1', 'J1', 'J1'], 'J2', { type: 'reset', previous: 'J1' }],
    [['J1', undefined, undefined], 'J2', { type: 'reset', previous: 'J1' }],
    [['J0', 'J1', 'J1'], 'J2', { type: 'reset', previous: 'J1' }],
    [['J0', 'J1'], 'J2', { type: 'reset', previous: 'J0' }],
    [['J1', 'J1'], undefined, { type: 'unknown', keep: 'J1' }],
    [[undefined], undefined, { type: 'unknown', keep: undefined }],
    [[], undefined, { type: 'unknown', keep: undefined }],
  ] as const)('%j with %s -> %j', (markers, current, decision) => {
    expect(decideJournalId(markers, current)).toEqual(decision);
  });

  it('mostCommon: the id most markers hold, the first one’s on a tie, none without ids', () => {
    expect(mostCommon([undefined, 'b', 'a', 'a'])).toBe('a');
    expect(mostCommon(['b', 'a'])).toBe('b');
    expect(mostCommon([undefined])).toBeUndefined();
  });
});
