import type { Journal } from '@failover/storage';
import { expect, it } from 'vitest';
import type { JournalCaseContext } from './cases.js';
import { entry, reopenJournal, withJournal } from './fixtures.js';

/**
 * `journalId` (optional: checked when the journal has it): a non-empty string, the same at every
 * call, kept by `compact()` and, for a durable journal (`reopen`), across close and reopen; a
 * journal over new storage (another subject) has another one.
 */
export function journalIdCases(ctx: JournalCaseContext): void {
  const { make, timeoutMs } = ctx;

  it(
    'journalId: stable across calls, compact, close and reopen',
    () =>
      withJournal(make, async (subject, track) => {
        let journal: Journal = subject.journal;
        if (journal.journalId === undefined) return;
        await journal.open?.();
        const id = await journal.journalId();
        expect(typeof id).toBe('string');
        expect(id).not.toBe('');
        expect(await journal.journalId()).toBe(id);
        await journal.append(entry({ id: 'p1', version: 'v001', holders: ['a'], missing: ['b'] }));
        await journal.append(entry({ id: 'p2', key: 'j', version: 'v002', holders: ['a'], missing: ['b'] }));
        await journal.resolve('p1', 'b');
        await journal.compact();
        expect(await journal.journalId()).toBe(id);
        const again = await reopenJournal({ ...subject, journal }, track);
        if (again === undefined) return;
        journal = again;
        expect(await journal.journalId?.()).toBe(id);
        // Compacted after the reopen (its header rewritten), then reopened once more.
        await journal.resolve('p2', 'b');
        await journal.compact();
        expect(await journal.journalId?.()).toBe(id);
        const third = await reopenJournal({ ...subject, journal }, track);
        expect(await third?.journalId?.()).toBe(id);
      }),
    timeoutMs,
  );

  it(
    'journalId: another journal over new storage has another id',
    () =>
      withJournal(make, async (first) =>
        withJournal(make, async (second) => {
          if (first.journal.journalId === undefined || second.journal.journalId === undefined) return;
          await first.journal.open?.();
          await second.journal.open?.();
          const a = await first.journal.journalId();
          const b = await second.journal.journalId();
          expect(a).toBeDefined();
          expect(b).toBeDefined();
          expect(a).not.toBe(b);
        }),
      ),
    timeoutMs,
  );
}
