import type { Journal, JournalEntry } from '@failover/storage';
import { expect, it } from 'vitest';
import type { JournalCaseContext } from './cases.js';
import { deleteEntry, entry, withJournal } from './fixtures.js';

/** What `pendingWithPrefix(prefix)` must answer: pending()'s entries under the prefix, as ids per key. */
async function expectUnder(journal: Journal, prefix: string): Promise<void> {
  const byKey = (entries: readonly JournalEntry[]): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    for (const e of entries) {
      const ids = out[e.key] ?? [];
      ids.push(e.id);
      out[e.key] = ids;
    }
    return out;
  };
  const all = (await journal.pending()).filter((e) => e.key.startsWith(prefix));
  const under = await journal.pendingWithPrefix!(prefix);
  expect(byKey(under)).toEqual(byKey(all));
  expect(under.length).toBe(all.length);
}

/**
 * `pendingWithPrefix` (optional: checked when the journal has it): the pending entries whose key
 * starts with the prefix, each key's oldest first, as `pending()` names them; a prefix is plain
 * text (no pattern), compared byte by byte.
 */
export function prefixCases(ctx: JournalCaseContext): void {
  const { make, timeoutMs, manyEntries } = ctx;

  it(
    "pendingWithPrefix: the pending entries of the prefix's keys, as pending() names them",
    () =>
      withJournal(make, async ({ journal }) => {
        if (journal.pendingWithPrefix === undefined) return;
        expect(await journal.pendingWithPrefix('a/')).toEqual([]);
        const keys = ['a/1', 'a/2', 'a/', 'ab', 'b/a/1', 'a/\u{1F600}', 'x*1', 'x[1]', 'xy', 'x?'];
        let n = 0;
        for (const key of keys) {
          await journal.append(entry({ id: `p${n}`, key, version: `v${String(n).padStart(3, '0')}` }));
          n++;
        }
        // A key with two pending entries (other targets), one settled, one superseded by a delete.
        await journal.append(
          entry({ id: 'p-more', key: 'a/1', version: 'v100', holders: ['c'], missing: ['d'] }),
        );
        await journal.resolve('p1', 'b'); // a/2: nothing pending any more
        await journal.append(
          deleteEntry({ id: 'd-ab', key: 'ab', version: 'v101', holders: ['a', 'b'], missing: [] }),
        );
        for (const prefix of ['a/', 'a', 'a/1', 'b/', 'x*', 'x[', 'x?', 'x', 'zzz', 'a/\u{1F600}', '']) {
          await expectUnder(journal, prefix);
        }
        const under = await journal.pendingWithPrefix('a/');
        expect(under.filter((e) => e.key === 'a/1').map((e) => e.id)).toEqual(['p0', 'p-more']);
        expect(under.map((e) => e.key).sort()).toEqual(['a/', 'a/1', 'a/1', 'a/\u{1F600}']);
        expect((await journal.pendingWithPrefix('x*')).map((e) => e.key)).toEqual(['x*1']);
      }),
    timeoutMs,
  );

  it(
    'pendingWithPrefix: many keys, each named once',
    () =>
      withJournal(make, async ({ journal }) => {
        if (journal.pendingWithPrefix === undefined) return;
        for (let i = 0; i < manyEntries; i++) {
          const key = `${i % 2 === 0 ? 'even' : 'odd'}/${i}`;
          await journal.append(entry({ id: `p${i}`, key, version: `v${String(i).padStart(6, '0')}` }));
        }
        const even = await journal.pendingWithPrefix('even/');
        expect(even.length).toBe(Math.ceil(manyEntries / 2));
        expect(new Set(even.map((e) => e.id)).size).toBe(even.length);
        await expectUnder(journal, 'odd/');
      }),
    timeoutMs,
  );

  it(
    'pendingWithPrefix: a prefix that is not a string is refused',
    () =>
      withJournal(make, async ({ journal }) => {
        if (journal.pendingWithPrefix === undefined) return;
        await expect(journal.pendingWithPrefix(7 as unknown as string)).rejects.toThrow(/prefix/);
      }),
    timeoutMs,
  );
}
