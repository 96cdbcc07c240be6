import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../src/journal/types.js';
import { AppendedEntries } from '../src/multi/appended.js';
import { journalRolledBack } from '../src/multi/journal-rollback.js';

const v = (ms: number, n = 0, w = 'w1') =>
  `${String(ms).padStart(15, '0')}-${String(n).padStart(6, '0')}-${w}`;

describe('journalRolledBack (pure)', () => {
  const cases: [string, string | undefined, string | undefined, boolean][] = [
    ['nothing appended here: nothing to compare', undefined, undefined, false],
    ['nothing appended here, the journal has entries', undefined, v(5), false],
    ['the journal holds this process newest append', v(5), v(5), false],
    ['the journal holds a newer one (another instance appended later)', v(5), v(9), false],
    ['the journal is older than this process newest append', v(9), v(5), true],
    ['same millisecond, an older counter', v(9, 2), v(9, 1), true],
    ['the journal holds nothing at all (every entry gone, same id)', v(9), undefined, true],
  ];
  for (const [name, appended, newest, expected] of cases) {
    it(name, () => expect(journalRolledBack(appended, newest)).toBe(expected));
  }
});

const entry = (id: string, version: string, at: number, notBefore?: number): JournalEntry => ({
  id,
  op: 'put',
  key: 'k',
  version,
  holders: [],
  missing: ['aws'],
  at,
  ...(notBefore === undefined ? {} : { notBefore }),
});

describe('AppendedEntries', () => {
  it('keeps the newest version noted, whatever the order; accept sets the baseline', () => {
    const now = 1_000;
    const a = new AppendedEntries(100, () => now);
    expect(a.newest).toBeUndefined();
    a.note(entry('a', v(5), now));
    a.note(entry('b', v(3), now));
    a.note(entry('c', v(7), now));
    expect(a.newest).toBe(v(7));
    a.accept(v(4));
    expect(a.newest).toBe(v(4));
    expect(journalRolledBack(a.newest, v(4))).toBe(false);
    a.accept(undefined);
    expect(a.newest).toBeUndefined();
  });

  it('tells its own entries by id, not by the writer in the version, for as long as a late request may land', () => {
    let now = 1_000;
    const a = new AppendedEntries(100, () => now);
    a.note(entry('mine', v(5, 0, 'api'), now));
    a.note(entry('presigned', v(6, 0, 'api'), now, now + 5_000));
    // Another process given the same writer id: its entries are not this one's.
    expect(a.isOwn('theirs')).toBe(false);
    expect(a.isOwn('mine')).toBe(true);
    now += 100; // settleMs passed: no window of it is left to skip
    expect(a.isOwn('mine')).toBe(false);
    expect(a.isOwn('presigned')).toBe(true); // its notBefore is later
    now += 5_000;
    expect(a.isOwn('presigned')).toBe(false);
  });

  it('forgets entries whose window has passed (bounded memory over a long run)', () => {
    let now = 1_000;
    const a = new AppendedEntries(10, () => now);
    for (let i = 0; i < 5_000; i++) {
      a.note(entry(`e${i}`, v(i), now));
      now += 1;
    }
    expect(a.ownCount).toBeLessThan(1_100);
    expect(a.isOwn('e4999')).toBe(true);
    expect(a.isOwn('e0')).toBe(false);
  });
});
