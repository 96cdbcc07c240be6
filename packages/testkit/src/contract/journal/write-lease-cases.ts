import { expect, it } from 'vitest';
import type { JournalCaseContext } from './cases.js';
import { entry, withJournal } from './fixtures.js';

/**
 * `leaseWrite` / `releaseWrite` (optional: checked when the journal has them): one token holds a
 * key's write lease at a time; it is granted with the key's high-water mark, renewed by its holder,
 * refused to another token (with the time left on it), given back only by its holder, and lapses
 * after its `ttlMs` unrenewed. Keys have their own leases.
 */
export function writeLeaseCases(ctx: JournalCaseContext): void {
  const { make, timeoutMs } = ctx;

  it(
    'leaseWrite: one token at a time, granted with the high-water mark, given back by its holder only',
    () =>
      withJournal(make, async ({ journal }) => {
        if (journal.leaseWrite === undefined || journal.releaseWrite === undefined) return;
        expect(await journal.leaseWrite('k', 't1', 60_000)).toEqual({ granted: true, highWater: undefined });
        const refused = await journal.leaseWrite('k', 't2', 60_000);
        expect(refused.granted).toBe(false);
        if (!refused.granted) {
          expect(refused.retryInMs).toBeGreaterThan(0);
          expect(refused.retryInMs).toBeLessThanOrEqual(60_000);
        }
        // Its holder renews it, with the mark of what was appended meanwhile.
        await journal.append(entry({ id: 'p1', version: 'v1' }));
        const renewed = await journal.leaseWrite('k', 't1', 60_000);
        expect(renewed).toMatchObject({ granted: true, highWater: { id: 'p1', version: 'v1' } });
        // Another key has its own lease.
        expect((await journal.leaseWrite('other', 't2', 60_000)).granted).toBe(true);
        // Given back by another token: no effect.
        await journal.releaseWrite('k', 't2');
        expect((await journal.leaseWrite('k', 't2', 60_000)).granted).toBe(false);
        await journal.releaseWrite('k', 't1');
        expect(await journal.leaseWrite('k', 't2', 60_000)).toMatchObject({
          granted: true,
          highWater: { id: 'p1', version: 'v1' },
        });
      }),
    timeoutMs,
  );

  it(
    'leaseWrite: a lease not renewed lapses after its ttlMs',
    () =>
      withJournal(make, async ({ journal }) => {
        if (journal.leaseWrite === undefined) return;
        expect((await journal.leaseWrite('k', 't1', 100)).granted).toBe(true);
        // Not before: at most the ttl is left on it.
        const first = await journal.leaseWrite('k', 't2', 60_000);
        if (!first.granted) expect(first.retryInMs).toBeLessThanOrEqual(100);
        let granted = first.granted;
        while (!granted) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          granted = (await journal.leaseWrite('k', 't2', 60_000)).granted;
        }
        expect((await journal.leaseWrite('k', 't1', 100)).granted).toBe(false);
      }),
    timeoutMs,
  );

  it(
    'leaseWrite: refuses a malformed key, token or ttlMs',
    () =>
      withJournal(make, async ({ journal }) => {
        if (journal.leaseWrite === undefined || journal.releaseWrite === undefined) return;
        await expect(journal.leaseWrite('', 't', 1000)).rejects.toMatchObject({ kind: 'invalid' });
        await expect(journal.leaseWrite('k', '', 1000)).rejects.toMatchObject({ kind: 'invalid' });
        await expect(journal.leaseWrite('k', 't', 0)).rejects.toMatchObject({ kind: 'invalid' });
        await expect(journal.leaseWrite('k', 't', 1.5)).rejects.toMatchObject({ kind: 'invalid' });
        await expect(journal.releaseWrite('k', '')).rejects.toMatchObject({ kind: 'invalid' });
      }),
    timeoutMs,
  );
}
