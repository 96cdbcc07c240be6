import { describe, expect, it } from 'vitest';
import { HighWaterMarks, replacesMark } from '../src/journal/high-water.js';
import type { JournalEntry, JournalHighWater } from '../src/journal/types.js';
import { behindMark, intentWithdrawn } from '../src/multi/high-water.js';

const put = (version: string, key = 'k'): JournalEntry => ({
  id: `${version}:${key}`,
  op: 'put',
  key,
  version,
  holders: ['a'],
  missing: ['b'],
  at: 0,
});

describe('HighWaterMarks', () => {
  it('keeps the newest version per key, and forgets a key once its last append is older than the retention', () => {
    let now = 0;
    const marks = new HighWaterMarks(1000, () => now);
    marks.append(put('v2'));
    marks.append(put('v1')); // older, late: not lowered
    expect(marks.get('k')?.version).toBe('v2');
    now = 600;
    marks.append(put('v1', 'other'));
    now = 1100; // 'k' last appended at 0: gone; 'other' at 600: kept
    expect(marks.get('k')).toBeUndefined();
    expect(marks.get('other')?.version).toBe('v1');
    expect(marks.size).toBe(1);
    now = 1500;
    marks.append(put('v3', 'other')); // appended again: its retention starts over
    now = 2400;
    expect(marks.get('other')?.version).toBe('v3');
  });
});

describe('HighWaterMarks: what was recorded before an intent', () => {
  it('a mark that is an intent carries the newest version recorded before it (not an intent); others do not', () => {
    const marks = new HighWaterMarks();
    marks.append({ ...put('v3'), intent: true });
    expect(marks.get('k')?.recorded).toBeUndefined(); // nothing recorded yet
    marks.append(put('v1'));
    marks.append({ ...put('v2'), op: 'delete' });
    expect(marks.get('k')).toMatchObject({ version: 'v3', intent: true, recorded: 'v2' });
    marks.append({ ...put('v0') }); // older, late: changes nothing
    expect(marks.get('k')?.recorded).toBe('v2');
    marks.append(put('v3')); // the intent's acknowledged record
    expect(marks.get('k')).toEqual({ id: 'v3:k', op: 'put', version: 'v3' });
  });
});

describe('behindMark (what a copy that just landed must still get)', () => {
  const del = (version: string, intent?: true): JournalHighWater => ({
    id: `${version}:k`,
    op: 'delete',
    version,
    ...(intent ? { intent } : {}),
  });
  const cases: [
    string,
    string | undefined,
    JournalHighWater | undefined,
    boolean,
    Partial<JournalEntry> | undefined,
  ][] = [
    ['no mark', '001-a', undefined, false, undefined],
    ['the mark is the copied version', '002-a', del('002-a'), false, undefined],
    ['the mark is older than the copy', '003-a', del('002-a'), false, undefined],
    [
      'a newer delete',
      '001-a',
      del('002-b'),
      false,
      { op: 'delete', version: '002-b', missing: ['x'], holders: [] },
    ],
    ['a newer delete still an intent', '001-a', del('002-b', true), false, { op: 'delete', intent: true }],
    ['a newer intent that was withdrawn', '001-a', del('002-b', true), true, undefined],
    [
      'a newer put',
      '001-a',
      { id: '002-b:k', op: 'put', version: '002-b', sha256: 'f'.repeat(64), size: 4 },
      false,
      { op: 'put', version: '002-b', sha256: 'f'.repeat(64), size: 4 },
    ],
    [
      'a copy of an unversioned object, then a versioned write',
      undefined,
      del('001-b'),
      false,
      { op: 'delete' },
    ],
  ];
  it.each(cases)('%s', (_name, copied, mark, withdrawn, expected) => {
    const got = behindMark('k', 'x', copied, mark, withdrawn, 5);
    if (expected === undefined) expect(got).toBeUndefined();
    else
      expect(got).toMatchObject({
        id: `behind:x:${mark!.version}:k`,
        key: 'k',
        missing: ['x'],
        at: 5,
        ...expected,
      });
  });
});

describe("replacesMark (which append becomes the key's mark)", () => {
  const mark = (id: string, version: string, intent?: boolean): JournalHighWater => ({
    id,
    op: 'delete',
    version,
    ...(intent ? { intent: true } : {}),
  });
  const e = (id: string, version: string, intent?: boolean): JournalEntry => ({
    ...put(version),
    id,
    ...(intent ? { intent: true } : {}),
  });
  it.each([
    ['no mark yet', undefined, e('v1:k', 'v1'), true],
    ['a newer version', mark('v1:k', 'v1'), e('v2:k', 'v2', true), true],
    ['an older version', mark('v2:k', 'v2'), e('v1:k', 'v1'), false],
    ['its acknowledged record after the intent', mark('v1:k', 'v1', true), e('v1:k', 'v1'), true],
    ['the same intent again', mark('v1:k', 'v1', true), e('v1:k', 'v1', true), true],
    [
      'its intent after the acknowledged record (a failure record)',
      mark('v1:k', 'v1'),
      e('v1:k', 'v1', true),
      false,
    ],
    [
      'a behind: intent after the acknowledged write',
      mark('v1:k', 'v1'),
      e('behind:b:v1:k', 'v1', true),
      false,
    ],
    ['a behind: intent after the intent', mark('v1:k', 'v1', true), e('behind:b:v1:k', 'v1', true), false],
    ['a behind: entry that is no intent', mark('v1:k', 'v1'), e('behind:b:v1:k', 'v1'), true],
  ] as const)('%s: %s', (_name, m, entry, expected) => {
    expect(replacesMark(m, entry)).toBe(expected);
  });
});

describe('intentWithdrawn (a delete intent its writer took back)', () => {
  const intent: JournalHighWater = { id: 'v1:k', op: 'delete', version: 'v1', intent: true };
  it.each([
    ['not pending, the mark still names the intent', intent, false, true],
    ['still pending', intent, true, false],
    ['acknowledged (the mark lost its intent flag)', { ...intent, intent: undefined }, false, false],
    ['a newer write moved the mark on', { ...intent, id: 'v2:k', version: 'v2' }, false, false],
    ['no mark any more (retention passed)', undefined, false, false],
  ] as const)('%s', (_name, after, pending, expected) => {
    expect(intentWithdrawn('v1:k', after as JournalHighWater | undefined, pending)).toBe(expected);
  });
});
