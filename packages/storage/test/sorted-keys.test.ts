import { describe, expect, it } from 'vitest';
import { JournalState } from '../src/journal/state.js';
import type { JournalEntry } from '../src/journal/types.js';
import { PendingIndex } from '../src/multi/pending.js';
import { compareUtf8 } from '../src/order.js';
import { SortedKeys } from '../src/sorted-keys.js';

/** What the set must answer: its keys with the prefix, sorted from scratch. */
function expected(model: ReadonlySet<string>, prefix: string): string[] {
  return [...model].filter((k) => k.startsWith(prefix)).sort(compareUtf8);
}

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('SortedKeys: the keys with a prefix in byte order, without sorting all of them again', () => {
  const cases: { name: string; steps: [string, boolean][]; prefix: string; keys: string[] }[] = [
    { name: 'empty', steps: [], prefix: '', keys: [] },
    {
      name: 'keys added, all',
      steps: [
        ['b', true],
        ['a', true],
        ['c', true],
      ],
      prefix: '',
      keys: ['a', 'b', 'c'],
    },
    {
      name: 'a prefix',
      steps: [
        ['x/2', true],
        ['y/1', true],
        ['x/1', true],
        ['x', true],
      ],
      prefix: 'x/',
      keys: ['x/1', 'x/2'],
    },
    {
      name: 'a key removed',
      steps: [
        ['a', true],
        ['b', true],
        ['a', false],
      ],
      prefix: '',
      keys: ['b'],
    },
    {
      name: 'a key removed and added again',
      steps: [
        ['a', true],
        ['b', true],
        ['a', false],
        ['a', true],
      ],
      prefix: '',
      keys: ['a', 'b'],
    },
    {
      // UTF-16 order would put the emoji (a surrogate pair) before U+FFFD; byte order puts it after.
      name: 'byte order, not UTF-16 order',
      steps: [
        ['k/\u{1F600}', true],
        ['k/\uFFFD', true],
        ['k/a', true],
      ],
      prefix: 'k/',
      keys: ['k/a', 'k/\uFFFD', 'k/\u{1F600}'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = new SortedKeys();
      for (const [key, present] of c.steps) s.note(key, present);
      expect(s.withPrefix(c.prefix)).toEqual(c.keys);
    });
  }

  it('agrees with a full sort through thousands of random changes, folds and lookups', () => {
    const next = random(20261206);
    const names = ['a', 'a/', 'a/b', 'b', 'b/c', 'ab', '\u{1F600}', '\uFFFD', 'é', 'z'];
    const s = new SortedKeys();
    const model = new Set<string>();
    for (let step = 0; step < 20_000; step++) {
      const key = `${names[Math.floor(next() * names.length)]}/${Math.floor(next() * 3000)}`;
      const present = !model.has(key);
      if (present) model.add(key);
      else model.delete(key);
      s.note(key, present);
      if (step % 97 === 0) {
        const prefix = next() < 0.3 ? '' : names[Math.floor(next() * names.length)]!;
        expect(s.withPrefix(prefix)).toEqual(expected(model, prefix));
      }
      // Every key, folded: a few changes by splicing, more (from step 10,000) by merging.
      if (step % (step < 10_000 ? 13 : 211) === 0) expect(s.sorted()).toEqual(expected(model, ''));
      expect(s.size).toBe(model.size);
    }
    expect(s.withPrefix('')).toEqual(expected(model, ''));
  });

  it("the store's pending index lists its keys in order as entries come and go", () => {
    const put = (id: string, key: string, v: string): JournalEntry => ({
      id,
      op: 'put',
      key,
      version: v,
      holders: ['a'],
      missing: ['b'],
      at: 0,
    });
    const index = new PendingIndex();
    index.append(put('1', 'k/2', 'v1'));
    index.append(put('2', 'k/1', 'v2'));
    index.append(put('3', 'j/1', 'v3'));
    expect(index.keysWithPrefix('k/')).toEqual(['k/1', 'k/2']);
    index.resolve('2', 'b'); // k/1 has nothing pending any more
    expect(index.keysWithPrefix('')).toEqual(['j/1', 'k/2']);
    index.load([put('4', 'm', 'v4')]);
    expect(index.keysWithPrefix('')).toEqual(['m']);
    // The journal state reports each key joining and leaving (a newer entry that supersedes the
    // key's only one drops it first: the key leaves and joins again).
    const seen: [string, boolean][] = [];
    const state = new JournalState((key, present) => seen.push([key, present]));
    state.append(put('5', 'x', 'v5'));
    state.append(put('6', 'x', 'v6'));
    state.resolve('6', 'b');
    expect(seen).toEqual([
      ['x', true],
      ['x', false],
      ['x', true],
      ['x', false],
    ]);
  });
});
