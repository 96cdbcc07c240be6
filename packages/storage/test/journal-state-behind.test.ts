import { describe, expect, it } from 'vitest';
import { JournalState } from '../src/journal/state.js';
import type { JournalEntry } from '../src/journal/types.js';

/** A put of `key` at version `v`, held by `holders`, missing on `missing`. */
function put(id: string, key: string, v: string, holders: string[], missing: string[]): JournalEntry {
  return { id, op: 'put', key, version: v, holders, missing, at: 0 };
}

/** Each target's count of pairs it lacks, and the backlog: they must always agree. */
function counts(s: JournalState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of ['a', 'b', 'c']) out[t] = s.behind(t);
  let pairs = 0;
  for (const e of s.entries()) pairs += e.missing.length;
  expect(s.backlog).toBe(pairs);
  expect(out.a! + out.b! + out.c!).toBe(pairs);
  return out;
}

describe('JournalState.behind: the pairs each target lacks, kept as entries come and go', () => {
  const cases: {
    name: string;
    steps: (s: JournalState) => void;
    behind: Record<string, number>;
  }[] = [
    { name: 'empty', steps: () => {}, behind: { a: 0, b: 0, c: 0 } },
    {
      name: 'appends count each missing target',
      steps: (s) => {
        s.append(put('1', 'k1', 'v1', ['a'], ['b', 'c']));
        s.append(put('2', 'k2', 'v1', ['a', 'b'], ['c']));
      },
      behind: { a: 0, b: 1, c: 2 },
    },
    {
      name: 'a resolve takes one off its target',
      steps: (s) => {
        s.append(put('1', 'k1', 'v1', ['a'], ['b', 'c']));
        s.resolve('1', 'c');
        s.resolve('1', 'c'); // twice: no change
        s.resolve('9', 'b'); // unknown id: no change
      },
      behind: { a: 0, b: 1, c: 0 },
    },
    {
      name: 'the last resolve drops the entry',
      steps: (s) => {
        s.append(put('1', 'k1', 'v1', ['a'], ['b', 'c']));
        s.resolve('1', 'b');
        s.resolve('1', 'c');
      },
      behind: { a: 0, b: 0, c: 0 },
    },
    {
      name: 'a newer write of the key supersedes an older one for the targets it names',
      steps: (s) => {
        s.append(put('1', 'k', 'v1', ['a'], ['b', 'c']));
        s.append(put('2', 'k', 'v2', ['a', 'b'], ['c']));
      },
      behind: { a: 0, b: 0, c: 1 },
    },
    {
      name: 'an older write arriving late keeps only targets the newer one does not name',
      steps: (s) => {
        s.append(put('2', 'k', 'v2', ['a', 'b'], ['c']));
        s.append(put('1', 'k', 'v1', ['a'], ['b', 'c']));
      },
      behind: { a: 0, b: 0, c: 1 },
    },
    {
      name: 'an entry appended again with its id replaces the first',
      steps: (s) => {
        s.append(put('1', 'k', 'v1', ['a'], ['b', 'c']));
        s.append(put('1', 'k', 'v1', ['a', 'b'], ['c']));
      },
      behind: { a: 0, b: 0, c: 1 },
    },
    {
      name: 'forget drops what the entry still lacked',
      steps: (s) => {
        s.append(put('1', 'k1', 'v1', ['a'], ['b', 'c']));
        s.append(put('2', 'k2', 'v1', ['b'], ['a']));
        s.forget('1');
      },
      behind: { a: 1, b: 0, c: 0 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = new JournalState();
      c.steps(s);
      expect(counts(s)).toEqual(c.behind);
    });
  }
});
