import { expect, it } from 'vitest';
import type { JournalCaseContext } from './cases.js';
import { deleteEntry, entry, withJournal } from './fixtures.js';

/**
 * `highWater` (optional: checked when the journal has it): the newest write appended for a key,
 * kept once every target holds it, never lowered by an older append, the later of two appends
 * of one version (an acknowledged record after its intent), except an intent under another id
 * (repair's `behind:` bookkeeping), which never replaces a mark of its own version.
 */
export function highWaterCases(ctx: JournalCaseContext): void {
  const { make, timeoutMs } = ctx;

  it(
    'highWater: the newest write appended for a key, also once it is settled everywhere',
    () =>
      withJournal(make, async ({ journal }) => {
        if (journal.highWater === undefined) return;
        expect(await journal.highWater('k')).toBeUndefined();
        await journal.append(entry({ id: 'p1', version: 'v1', holders: ['a'], missing: ['b'] }));
        expect(await journal.highWater('k')).toEqual({
          id: 'p1',
          op: 'put',
          version: 'v1',
          sha256: 'a'.repeat(64),
          size: 3,
        });
        // A delete that reached every target: nothing pending, but the mark remembers it.
        await journal.append(
          deleteEntry({
            id: 'd2',
            version: 'v2',
            holders: ['a', 'b'],
            missing: [],
          }),
        );
        expect(await journal.pending()).toEqual([]);
        expect(await journal.highWater('k')).toEqual({ id: 'd2', op: 'delete', version: 'v2' });
        // An older write appended late does not lower it; other keys have their own.
        await journal.append(entry({ id: 'p0', version: 'v0', holders: ['a'], missing: ['b'] }));
        expect((await journal.highWater('k'))?.id).toBe('d2');
        expect(await journal.highWater('other')).toBeUndefined();
      }),
    timeoutMs,
  );

  it(
    'highWater: an intent, then its acknowledged record (same id and version) replaces it',
    () =>
      withJournal(make, async ({ journal }) => {
        if (journal.highWater === undefined) return;
        const intent = deleteEntry({
          id: 'd1',
          version: 'v1',
          holders: [],
          missing: ['a', 'b'],
          intent: true,
        });
        await journal.append(intent);
        expect(await journal.highWater('k')).toEqual({ id: 'd1', op: 'delete', version: 'v1', intent: true });
        await journal.append({ ...intent, intent: undefined, holders: ['a', 'b'], missing: [] });
        expect(await journal.highWater('k')).toEqual({ id: 'd1', op: 'delete', version: 'v1' });
      }),
    timeoutMs,
  );

  it(
    'highWater: an intent of the same version under another id (repair bookkeeping) does not replace the mark',
    () =>
      withJournal(make, async ({ journal }) => {
        if (journal.highWater === undefined) return;
        const del = deleteEntry({
          id: 'd1',
          version: 'v1',
          holders: ['a'],
          missing: ['b'],
        });
        // Acknowledged: an intent of that version journaled after it by repair keeps it acknowledged.
        await journal.append(del);
        await journal.append({ ...del, id: 'behind:b:v1:k', holders: [], missing: ['b'], intent: true });
        expect(await journal.highWater('k')).toEqual({ id: 'd1', op: 'delete', version: 'v1' });
        // Still an intent: the mark keeps naming the writer's own intent, not the bookkeeping.
        await journal.append({ ...del, key: 'j', id: 'd2', holders: [], missing: ['a', 'b'], intent: true });
        await journal.append({
          ...del,
          key: 'j',
          id: 'behind:b:v1:j',
          holders: [],
          missing: ['b'],
          intent: true,
        });
        expect(await journal.highWater('j')).toEqual({ id: 'd2', op: 'delete', version: 'v1', intent: true });
      }),
    timeoutMs,
  );

  it(
    'highWater: a newer intent becomes the mark; the newest acknowledged version before it, when reported (`recorded`), is that one',
    () =>
      withJournal(make, async ({ journal }) => {
        if (journal.highWater === undefined) return;
        await journal.append(entry({ id: 'p1', version: 'v1', holders: ['a', 'b'], missing: [] }));
        await journal.append(deleteEntry({ id: 'd2', version: 'v2', holders: ['a', 'b'], missing: [] }));
        await journal.append(
          entry({ id: 'p3', version: 'v3', holders: [], missing: ['a', 'b'], intent: true }),
        );
        const mark = await journal.highWater('k');
        expect(mark).toMatchObject({ id: 'p3', version: 'v3', intent: true });
        if (mark?.recorded !== undefined) expect(mark.recorded).toBe('v2');
        // Once acknowledged, the mark is the write itself again.
        await journal.append(entry({ id: 'p3', version: 'v3', holders: ['a', 'b'], missing: [] }));
        expect((await journal.highWater('k'))?.recorded).toBeUndefined();
      }),
    timeoutMs,
  );
}
