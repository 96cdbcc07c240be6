import { expect, it } from 'vitest';
import type { JournalCaseContext } from './cases.js';
import { deleteEntry, entry, withJournal } from './fixtures.js';

/**
 * `settleIntent` (optional: checked when the journal has it): a pending intent is withdrawn
 * (dropped) or confirmed (replaced by its acknowledged record, superseding older entries and
 * becoming the key's mark) once, and only while it is still an intent, so that a writer's withdraw
 * and another process's confirm of one intent cannot both take effect.
 */
export function settleIntentCases(ctx: JournalCaseContext): void {
  const { make, timeoutMs } = ctx;
  const intent = () =>
    deleteEntry({
      id: 'd2',
      version: 'v2',
      holders: [],
      missing: ['a', 'b'],
      intent: true,
    });

  it(
    'settleIntent: withdraw drops a pending intent once; a confirmed intent is not withdrawn',
    () =>
      withJournal(make, async ({ journal }) => {
        if (journal.settleIntent === undefined) return;
        await journal.append(intent());
        expect(await journal.settleIntent('d2', 'withdraw')).toBe(true);
        expect(await journal.pending()).toEqual([]);
        expect(journal.backlog()).toBe(0);
        expect(await journal.settleIntent('d2', 'withdraw')).toBe(false);
        expect(await journal.settleIntent('d2', 'confirm')).toBe(false);
        expect(await journal.pending()).toEqual([]);
        await journal.append({ ...intent(), id: 'd3', version: 'v3' });
        expect(await journal.settleIntent('d3', 'confirm')).toBe(true);
        expect(await journal.settleIntent('d3', 'withdraw')).toBe(false);
        expect(await journal.pending()).toEqual([
          expect.objectContaining({ id: 'd3', op: 'delete', missing: ['a', 'b'] }),
        ]);
        expect((await journal.pending())[0]?.intent).not.toBe(true);
        expect(await journal.settleIntent('unknown', 'withdraw')).toBe(false);
      }),
    timeoutMs,
  );

  it(
    'settleIntent: confirm supersedes older entries of the key, keeps resolved targets, becomes the mark',
    () =>
      withJournal(make, async ({ journal }) => {
        if (journal.settleIntent === undefined) return;
        await journal.append(entry({ id: 'p1', version: 'v1', holders: ['a'], missing: ['b'] }));
        await journal.append(intent());
        // An intent supersedes nothing: p1 still lacks b.
        expect((await journal.pending()).map((e) => e.id)).toEqual(['p1', 'd2']);
        await journal.resolve('d2', 'a');
        expect(await journal.settleIntent('d2', 'confirm')).toBe(true);
        const pending = await journal.pending();
        expect(pending.map((e) => e.id)).toEqual(['d2']);
        expect(pending[0]).toEqual(expect.objectContaining({ holders: ['a'], missing: ['b'] }));
        expect(journal.backlog()).toBe(1);
        if (journal.highWater !== undefined) {
          expect(await journal.highWater('k')).toEqual({ id: 'd2', op: 'delete', version: 'v2' });
        }
        // An acknowledged entry is not an intent: neither applies.
        await journal.append(entry({ id: 'p3', version: 'v3', holders: ['a'], missing: ['b'] }));
        expect(await journal.settleIntent('p3', 'withdraw')).toBe(false);
        expect((await journal.pending()).map((e) => e.id)).toEqual(['p3']);
      }),
    timeoutMs,
  );

  it(
    'an intent never replaces the acknowledged record of its id (a confirmed put stays confirmed when its writer then journals its failure)',
    () =>
      withJournal(make, async ({ journal }) => {
        const put = (fields: { holders: string[]; missing: string[]; intent?: true }) =>
          entry({ id: 'p2', version: 'v2', ...fields });
        await journal.append(put({ holders: [], missing: ['a', 'b', 'c'], intent: true }));
        if (journal.settleIntent !== undefined)
          expect(await journal.settleIntent('p2', 'confirm')).toBe(true);
        else await journal.append(put({ holders: [], missing: ['a', 'b', 'c'] }));
        // The writer's failure record: an intent under the same id.
        await journal.append(put({ holders: ['a'], missing: ['b', 'c'], intent: true }));
        const pending = await journal.pending();
        expect(pending.map((e) => e.id)).toEqual(['p2']);
        expect(pending[0]?.intent).not.toBe(true);
        expect([...(pending[0]?.missing ?? [])].sort()).toEqual(['a', 'b', 'c']);
        if (journal.highWater !== undefined) {
          expect((await journal.highWater('k'))?.intent).not.toBe(true);
        }
        // Its acknowledged record still replaces it.
        await journal.append(put({ holders: ['a', 'b'], missing: ['c'] }));
        expect((await journal.pending())[0]).toEqual(
          expect.objectContaining({ holders: ['a', 'b'], missing: ['c'] }),
        );
      }),
    timeoutMs,
  );
}
