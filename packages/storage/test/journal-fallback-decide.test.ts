import { describe, expect, it } from 'vitest';
import {
  type FallbackFacts,
  keepMerging,
  type LookupRoute,
  newerMark,
  nextMergeInMs,
  planMerge,
  primaryAnswersMayHave,
  routeLookup,
  supersededByMark,
  union,
} from '../src/journal/fallback-decide.js';
import { KeptEntries } from '../src/journal/fallback-kept.js';
import type { JournalEntry, JournalHighWater } from '../src/journal/types.js';

describe('fallback journal decisions', () => {
  // facts, pendingOf's route, primary answers mayHavePending, the merge timer keeps running
  const table: [string, FallbackFacts, LookupRoute, boolean, boolean][] = [
    ['primary up, nothing kept locally', { away: false, localBacklog: 0 }, 'primary', true, false],
    ['primary up, entries kept locally', { away: false, localBacklog: 2 }, 'both', false, true],
    ['primary away, nothing kept locally', { away: true, localBacklog: 0 }, 'reject', true, true],
    ['primary away, entries kept locally', { away: true, localBacklog: 2 }, 'reject', false, true],
  ];
  it.each(table)('%s', (_name, facts, route, mayHave, merging) => {
    expect(routeLookup(facts)).toBe(route);
    expect(primaryAnswersMayHave(facts)).toBe(mayHave);
    expect(keepMerging(facts)).toBe(merging);
  });
});

describe('nextMergeInMs (merge every 1000 ms, check every 250 ms)', () => {
  const table: [string, FallbackFacts, number, number | undefined][] = [
    ['primary up, nothing kept: the timer stops', { away: false, localBacklog: 0 }, 250, undefined],
    ['primary up, entries kept: the merge period', { away: false, localBacklog: 3 }, 250, 1000],
    ['primary away, nothing kept: the check period', { away: true, localBacklog: 0 }, 250, 250],
    ['primary away, entries kept: the check period', { away: true, localBacklog: 3 }, 250, 250],
    ['a check period longer than the merge: the merge period', { away: true, localBacklog: 1 }, 5000, 1000],
  ];
  it.each(table)('%s', (_name, facts, checkMs, expected) => {
    expect(nextMergeInMs(facts, 1000, checkMs)).toBe(expected);
  });
});

describe('supersededByMark (an entry kept locally, version 5)', () => {
  const kept: JournalEntry = {
    id: '5:k',
    op: 'delete',
    key: 'k',
    version: '5',
    holders: [],
    missing: ['a'],
    at: 1,
  };
  const table: [string, JournalHighWater | undefined, boolean][] = [
    ['no mark', undefined, false],
    ['its own version', { id: '5:k', op: 'delete', version: '5' }, false],
    ['an older one', { id: '4:k', op: 'put', version: '4' }, false],
    ['a newer acknowledged write', { id: '6:k', op: 'put', version: '6' }, true],
    [
      "a newer write's intent (it may never happen)",
      { id: '6:k', op: 'put', version: '6', intent: true },
      false,
    ],
  ];
  it.each(table)('%s', (_name, mark, expected) => {
    expect(supersededByMark(kept, mark)).toBe(expected);
  });
});

describe('newerMark', () => {
  const mark = (version: string, id = version): JournalHighWater => ({ id, op: 'put', version });
  const table: [string, JournalHighWater | undefined, JournalHighWater | undefined, string | undefined][] = [
    ['neither', undefined, undefined, undefined],
    ['the primary only', mark('2'), undefined, '2'],
    ['the fallback only', undefined, mark('3'), '3'],
    ['the primary newer', mark('5'), mark('4'), '5'],
    ['the fallback newer', mark('4'), mark('5'), '5'],
  ];
  it.each(table)('%s', (_name, shared, local, expected) => {
    expect(newerMark(shared, local)?.version).toBe(expected);
  });
  it("a tie is the primary's", () => {
    expect(newerMark(mark('7', 'shared'), mark('7', 'local'))?.id).toBe('shared');
  });
});

describe('union', () => {
  const entry = (id: string, holders: string[], missing: string[]): JournalEntry =>
    ({
      id,
      key: `k-${id}`,
      op: 'put',
      version: '1',
      holders,
      missing,
      createdAt: 0,
    }) as unknown as JournalEntry;
  it('keeps entries of either; one in both lists every target either says is missing', () => {
    const out = union(
      [entry('a', ['aws', 'gcp'], ['azure']), entry('b', ['aws'], ['gcp'])],
      [entry('a', ['aws', 'azure'], ['gcp']), entry('c', ['gcp'], ['aws'])],
    );
    expect(out.map((e) => [e.id, [...e.holders], [...e.missing]])).toEqual([
      ['a', ['aws'], ['azure', 'gcp']],
      ['b', ['aws'], ['gcp']],
      ['c', ['gcp'], ['aws']],
    ]);
  });

  it("an acknowledged record in either replaces its intent in the other (a put's record kept locally while the primary holds its intent)", () => {
    const intent = { ...entry('a', [], ['aws', 'gcp', 'azure']), intent: true } as JournalEntry;
    const record = entry('a', ['aws', 'gcp'], ['azure']);
    for (const out of [union([intent], [record]), union([record], [intent])]) {
      expect(out.map((e) => [e.id, e.intent === true, [...e.holders], [...e.missing]])).toEqual([
        ['a', false, ['aws', 'gcp'], ['azure']],
      ]);
    }
  });
});

describe('KeptEntries: what a fallback journal keeps until its merge', () => {
  const e = (id: string, key: string): JournalEntry => ({
    id,
    op: 'put',
    key,
    version: id,
    holders: ['a'],
    missing: ['b'],
    at: 1,
  });

  it('knows the keys it keeps, per entry, until each is dropped', () => {
    const kept = new KeptEntries();
    kept.keep(e('1', 'x'));
    kept.keep(e('2', 'x'));
    kept.keep(e('2', 'x')); // twice is once
    kept.keep(e('3', 'y'));
    expect([kept.hasKey('x'), kept.hasKey('y'), kept.hasKey('z')]).toEqual([true, true, false]);
    kept.drop('1');
    expect(kept.hasKey('x')).toBe(true);
    kept.drop('2');
    expect(kept.hasKey('x')).toBe(false);
    expect(kept.size).toBe(1);
  });

  it('dropIfSame keeps an entry appended again under its id since a merge read it', () => {
    const kept = new KeptEntries();
    const intent = { ...e('1', 'x'), intent: true };
    kept.keep(intent);
    const [read] = kept.entries();
    kept.keep({ ...e('1', 'x'), missing: [] }); // its record, while the merge runs
    kept.dropIfSame('1', read);
    expect(kept.size).toBe(1);
    expect(kept.settled).toBe(1);
    const [now] = kept.entries();
    kept.dropIfSame('1', now);
    expect(kept.size).toBe(0);
  });

  it('keeps each entry as last appended under its id, in the order first kept', () => {
    const kept = new KeptEntries();
    kept.keep({ ...e('1', 'x'), intent: true });
    kept.keep(e('2', 'y'));
    kept.keep({ ...e('1', 'x'), holders: ['a', 'b'], missing: [] }); // its acknowledged record
    expect(kept.entries().map((k) => [k.id, k.intent === true, k.missing])).toEqual([
      ['1', false, []],
      ['2', false, ['b']],
    ]);
    expect(kept.size).toBe(2);
    expect(kept.settled).toBe(1); // '1': every target took it
    kept.drop('1');
    expect(kept.settled).toBe(0);
  });

  it('collects the resolves of a kept entry for its merge, also those that arrive while it applies them', () => {
    const kept = new KeptEntries();
    expect(kept.resolve('1', 'b')).toBe(false); // not kept: the caller resolves it itself
    kept.keep(e('1', 'x'));
    expect(kept.resolve('1', 'b')).toBe(true);
    const done = new Set<string>();
    expect(kept.nextResolve('1', done)).toBe('b');
    done.add('b');
    expect(kept.nextResolve('1', done)).toBeUndefined();
    kept.resolve('1', 'c');
    expect(kept.nextResolve('1', done)).toBe('c');
    kept.drop('1');
    expect(kept.nextResolve('1', new Set())).toBeUndefined();
  });
});

describe('planMerge: what a merge moves to the primary', () => {
  const put = (version: string, key: string, more: Partial<JournalEntry> = {}): JournalEntry => ({
    id: `${version}:${key}`,
    op: 'put',
    key,
    version,
    holders: ['a'],
    missing: ['b'],
    at: 1,
    ...more,
  });
  const settled = { holders: ['a', 'b'], missing: [] };
  // name, kept (in order), pending locally, moved (id, pending here), skipped
  const table: [string, JournalEntry[], JournalEntry[], [string, boolean][], string[]][] = [
    ['nothing kept, nothing pending', [], [], [], []],
    [
      'a kept entry pending locally moves as held there',
      [put('1', 'k')],
      [put('1', 'k')],
      [['1:k', true]],
      [],
    ],
    [
      'a kept entry every target took (pending nowhere) moves',
      [put('1', 'k', settled)],
      [],
      [['1:k', false]],
      [],
    ],
    [
      'one a newer acknowledged kept entry of its key supersedes does not',
      [put('1', 'k', settled), put('2', 'k', settled)],
      [],
      [['2:k', false]],
      ['1:k'],
    ],
    [
      'a newer intent supersedes nothing: both move',
      [put('1', 'k', settled), put('2', 'k', { intent: true })],
      [put('2', 'k', { intent: true })],
      [
        ['1:k', false],
        ['2:k', true],
      ],
      [],
    ],
    [
      'an intent pending nowhere (withdrawn) does not move',
      [put('1', 'k', { intent: true })],
      [],
      [],
      ['1:k'],
    ],
    [
      'an entry of another key is not superseded',
      [put('1', 'k', settled), put('2', 'j', settled)],
      [],
      [
        ['1:k', false],
        ['2:j', false],
      ],
      [],
    ],
    [
      'entries pending locally but not kept (appended after the kept ones were read) move last',
      [put('1', 'k', settled)],
      [put('3', 'm'), put('2', 'j')],
      [
        ['1:k', false],
        ['3:m', true],
        ['2:j', true],
      ],
      [],
    ],
  ];
  it.each(table)('%s', (_name, kept, local, moved, skipped) => {
    const plan = planMerge(kept, local);
    expect(plan.moves.map((m) => [m.entry.id, m.pendingHere])).toEqual(moved);
    expect(plan.skip).toEqual(skipped);
  });

  it('a kept entry pending locally moves as the local journal holds it (its superseded targets gone)', () => {
    const reduced = put('1', 'k', { missing: [], holders: ['a'] });
    expect(planMerge([put('1', 'k', { missing: ['b', 'c'] })], [reduced]).moves[0]?.entry).toBe(reduced);
  });
});
