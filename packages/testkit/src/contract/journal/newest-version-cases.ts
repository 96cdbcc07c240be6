import type { Journal } from '@failover/storage';
import { expect, it } from 'vitest';
import type { JournalCaseContext } from './cases.js';
import { deleteEntry, entry, reopenJournal, withJournal } from './fixtures.js';

/**
 * `newestVersion` (optional: checked when the journal has it): the newest version of every entry
 * ever appended (intents, settled and superseded entries included), never lowered by an older
 * append, kept by `compact()` and, for a durable journal (`reopen`), across close and reopen.
 */
export function newestVersionCases(ctx: JournalCaseContext): void {
  const { make, timeoutMs } = ctx;

  it(
    'newestVersion: the newest version appended, settled or not, kept by compact and by close and reopen',
    () =>
      withJournal(make, async (subject, track) => {
        let journal: Journal = subject.journal;
        if (journal.newestVersion === undefined) return;
        expect(await journal.newestVersion()).toBeUndefined();
        await journal.append(entry({ id: 'p2', version: 'v002', holders: ['a'], missing: ['b'] }));
        expect(await journal.newestVersion()).toBe('v002');
        // An intent counts (its version was stamped), on another key too.
        await journal.append(
          deleteEntry({
            id: 'd5',
            key: 'j',
            version: 'v005',
            holders: [],
            missing: ['a', 'b'],
            intent: true,
          }),
        );
        expect(await journal.newestVersion()).toBe('v005');
        // The newest is a write every target got at once: never pending, it still counts.
        await journal.append(
          entry({ id: 'p9', key: 'm', version: 'v009', holders: ['a', 'b'], missing: [] }),
        );
        // An older write appended late does not lower it.
        await journal.append(entry({ id: 'p1', version: 'v001', holders: ['a'], missing: ['c'] }));
        expect(await journal.newestVersion()).toBe('v009');
        // Settled everywhere, then compacted: none of those entries is left in storage.
        for (const [id, target] of [
          ['p2', 'b'],
          ['d5', 'a'],
          ['d5', 'b'],
          ['p1', 'c'],
        ] as const) {
          await journal.resolve(id, target);
        }
        expect(await journal.pending()).toEqual([]);
        await journal.compact();
        expect(await journal.newestVersion()).toBe('v009');
        const again = await reopenJournal({ ...subject, journal }, track);
        if (again === undefined) return;
        journal = again;
        expect(await journal.newestVersion?.()).toBe('v009');
        // Compacted again after the reopen (nothing pending), then reopened once more.
        await journal.append(entry({ id: 'p3', version: 'v003', holders: ['a', 'b'], missing: [] }));
        await journal.compact();
        const third = await reopenJournal({ ...subject, journal }, track);
        expect(await third?.newestVersion?.()).toBe('v009');
        await third?.append(entry({ id: 'p10', version: 'v010', holders: ['a'], missing: ['b'] }));
        expect(await third?.newestVersion?.()).toBe('v010');
      }),
    timeoutMs,
  );

  it(
    'newestVersion: kept when the newest entry was pending at a reopen',
    () =>
      withJournal(make, async (subject, track) => {
        if (subject.journal.newestVersion === undefined) return;
        await subject.journal.append(entry({ id: 'p7', version: 'v007', holders: ['a'], missing: ['b'] }));
        await subject.journal.append(
          entry({ id: 'p4', key: 'j', version: 'v004', holders: ['a'], missing: ['b'] }),
        );
        const again = await reopenJournal(subject, track);
        if (again === undefined) return;
        expect(await again.newestVersion?.()).toBe('v007');
      }),
    timeoutMs,
  );
}
