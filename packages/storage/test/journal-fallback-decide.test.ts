import { describe, expect, it } from 'vitest';
import {
  type FallbackFacts,
  keepMerging,
  type LookupRoute,
  newerMark,
  primaryAnswersMayHave,
  routeLookup,
  union,
} from '../src/journal/fallback-decide.js';
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
});
