import { describe, expect, it } from 'vitest';
import { AppendedVersions, journalRolledBack } from '../src/multi/journal-rollback.js';

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

describe('AppendedVersions', () => {
  it('keeps the newest version noted, whatever the order; accept sets the baseline', () => {
    const a = new AppendedVersions();
    expect(a.newest).toBeUndefined();
    a.note(v(5));
    a.note(v(3));
    a.note(v(7));
    expect(a.newest).toBe(v(7));
    a.accept(v(4));
    expect(a.newest).toBe(v(4));
    expect(journalRolledBack(a.newest, v(4))).toBe(false);
    a.accept(undefined);
    expect(a.newest).toBeUndefined();
  });
});
