import { expect, it } from 'vitest';
import { expectRejection } from '../expect.js';
import { deleteEntry, entry, expectPending, reopenJournal, withJournal } from './fixtures.js';
import type { JournalFactory } from './types.js';

/** What every case gets: the factory and the resolved options. */
export interface JournalCaseContext {
  readonly make: JournalFactory;
  readonly timeoutMs: number;
  readonly manyEntries: number;
}

/** Appending, reading back, backlog and resolve. */
export function basicCases(ctx: JournalCaseContext): void {
  const { make, timeoutMs } = ctx;

  it(
    'starts empty',
    () =>
      withJournal(make, async ({ journal }) => {
        expect(await journal.pending()).toEqual([]);
        expect(journal.backlog()).toBe(0);
      }),
    timeoutMs,
  );

  it(
    'gives a pending entry back with every field, oldest first',
    () =>
      withJournal(make, async ({ journal }) => {
        const put = entry({
          id: 'p1',
          key: 'photos/a b.jpg',
          version: '0001-w1',
          holders: ['aws'],
          missing: ['gcs', 'azure'],
        });
        const tombstone = deleteEntry({
          id: 'd1',
          key: 'docs/ü.txt',
          version: '0002-w1',
          holders: ['gcs'],
          missing: ['aws'],
          at: 1_700_000_000_500,
        });
        await journal.append(put);
        await journal.append(tombstone);
        const pending = await journal.pending();
        expect(pending.map((e) => e.id)).toEqual(['p1', 'd1']);
        const [p, d] = pending;
        expect({ ...p, missing: [...(p?.missing ?? [])].sort() }).toEqual({
          ...put,
          missing: ['azure', 'gcs'],
        });
        expect(d?.op).toBe('delete');
        expect(d?.key).toBe('docs/ü.txt');
        expect(d?.sha256).toBeUndefined();
        expect(d?.size).toBeUndefined();
        expect(d?.at).toBe(1_700_000_000_500);
        expect(journal.backlog()).toBe(3);
      }),
    timeoutMs,
  );

  it(
    'does not keep an entry with nothing missing, and de-duplicates targets',
    () =>
      withJournal(make, async ({ journal }) => {
        await journal.append(entry({ id: 'done', holders: ['a', 'b'], missing: [] }));
        await journal.append(
          entry({ id: 'dup', key: 'other', holders: ['a', 'a'], missing: ['b', 'b', 'c'] }),
        );
        await expectPending(journal, [{ id: 'dup', holders: ['a'], missing: ['b', 'c'] }]);
      }),
    timeoutMs,
  );

  it(
    'resolve moves a target from missing to holders and drops the entry when nothing is missing',
    () =>
      withJournal(make, async ({ journal }) => {
        await journal.append(entry({ id: 'e1', holders: ['a'], missing: ['b', 'c'] }));
        await journal.append(entry({ id: 'e2', key: 'k2', holders: ['a'], missing: ['b'] }));
        await journal.resolve('e1', 'b');
        await expectPending(journal, [
          { id: 'e1', holders: ['a', 'b'], missing: ['c'] },
          { id: 'e2', holders: ['a'], missing: ['b'] },
        ]);
        await journal.resolve('e1', 'c');
        await expectPending(journal, [{ id: 'e2', holders: ['a'], missing: ['b'] }]);
      }),
    timeoutMs,
  );

  it(
    'resolve of an unknown id, a target that is not missing, or twice is a no-op',
    () =>
      withJournal(make, async ({ journal }) => {
        await journal.append(entry({ id: 'e1', holders: ['a'], missing: ['b', 'c'] }));
        await journal.resolve('nope', 'b');
        await journal.resolve('e1', 'a');
        await journal.resolve('e1', 'zz');
        await journal.resolve('e1', 'b');
        await journal.resolve('e1', 'b');
        await expectPending(journal, [{ id: 'e1', holders: ['a', 'b'], missing: ['c'] }]);
      }),
    timeoutMs,
  );

  it(
    'pending() returns copies: later calls do not change an earlier answer',
    () =>
      withJournal(make, async ({ journal }) => {
        await journal.append(entry({ id: 'e1', holders: ['a'], missing: ['b', 'c'] }));
        const before = await journal.pending();
        await journal.resolve('e1', 'b');
        expect([...(before[0]?.missing ?? [])].sort()).toEqual(['b', 'c']);
      }),
    timeoutMs,
  );

  it(
    'keeps many entries in the order they were appended',
    () =>
      withJournal(make, async ({ journal }) => {
        const ids = Array.from(
          { length: ctx.manyEntries },
          (_, i) => `e${String(ctx.manyEntries - i).padStart(5, '0')}`,
        );
        for (const [i, id] of ids.entries()) {
          await journal.append(entry({ id, key: `key-${i}`, holders: ['a'], missing: ['b'] }));
        }
        expect((await journal.pending()).map((e) => e.id)).toEqual(ids);
        expect(journal.backlog()).toBe(ids.length);
      }),
    timeoutMs,
  );
}

/** Intents and the optional fields of an entry: kept as given, an intent superseding nothing until acknowledged. */
export function intentCases(ctx: JournalCaseContext): void {
  const { make, timeoutMs } = ctx;

  it(
    'an intent supersedes nothing, in either direction, until its acknowledged record replaces it',
    () =>
      withJournal(make, async ({ journal }) => {
        await journal.append(entry({ id: 'v1', version: 'v1', holders: ['a'], missing: ['b'] }));
        // A delete sent to every target, not acknowledged yet: v1 still needs b.
        await journal.append(
          deleteEntry({
            id: 'v2',
            version: 'v2',
            holders: [],
            missing: ['a', 'b', 'c'],
            intent: true,
          }),
        );
        await expectPending(journal, [
          { id: 'v1', holders: ['a'], missing: ['b'] },
          { id: 'v2', holders: [], missing: ['a', 'b', 'c'] },
        ]);
        // An older entry appended late is not cut down by a newer intent either.
        await journal.append(entry({ id: 'v0', version: 'v0', holders: ['d'], missing: ['c'] }));
        expect((await journal.pending()).find((e) => e.id === 'v0')?.missing).toEqual(['c']);
        // Acknowledged (same id): now it supersedes.
        await journal.append(deleteEntry({ id: 'v2', version: 'v2', holders: ['a', 'c'], missing: ['b'] }));
        await expectPending(journal, [{ id: 'v2', holders: ['a', 'c'], missing: ['b'] }]);
      }),
    timeoutMs,
  );

  it(
    'appendIntent (when the journal has it): written, then durable; pending as append would make it; replaced by its record; refuses bad input and a closed journal',
    () =>
      withJournal(make, async ({ journal }) => {
        if (journal.appendIntent === undefined) return;
        await journal.append(entry({ id: 'v1', version: 'v1', holders: ['a', 'b'], missing: ['c'] }));
        const noted = journal.appendIntent(
          entry({ id: 'v2', version: 'v2', holders: [], missing: ['a', 'b', 'c'], intent: true }),
        );
        await noted.written;
        await noted.durable;
        // An intent supersedes nothing: v1 still lacks c.
        await expectPending(journal, [
          { id: 'v1', holders: ['a', 'b'], missing: ['c'] },
          { id: 'v2', holders: [], missing: ['a', 'b', 'c'] },
        ]);
        expect((await journal.pending()).find((e) => e.id === 'v2')?.intent).toBe(true);
        await journal.append(entry({ id: 'v2', version: 'v2', holders: ['a', 'b'], missing: ['c'] }));
        await expectPending(journal, [{ id: 'v2', holders: ['a', 'b'], missing: ['c'] }]);
        const bad = journal.appendIntent(entry({ id: '', intent: true }));
        await expectRejection(bad.written, { name: 'InvalidArgumentError', kind: 'invalid' });
        await expectRejection(bad.durable, { name: 'InvalidArgumentError', kind: 'invalid' });
        await journal.close();
        const late = journal.appendIntent(entry({ id: 'v3', version: 'v3', intent: true }));
        await expectRejection(late.written, { name: 'JournalError', kind: 'unavailable' });
        await expectRejection(late.durable, { name: 'JournalError', kind: 'unavailable' });
      }),
    timeoutMs,
  );

  it(
    'keeps the intent, notBefore, degraded and provisional fields of an entry',
    () =>
      withJournal(make, async ({ journal }) => {
        await journal.append(entry({ id: 'i', key: 'k1', intent: true, missing: ['b'] }));
        await journal.append(
          entry({ id: 'p', key: 'k4', intent: true, provisional: true, holders: ['a'], missing: ['b'] }),
        );
        await journal.append(entry({ id: 'n', key: 'k2', notBefore: 1_700_000_010_000 }));
        await journal.append(entry({ id: 'd', key: 'k3', degraded: true }));
        const byId = new Map((await journal.pending()).map((e) => [e.id, e]));
        expect(byId.get('i')?.intent).toBe(true);
        expect(byId.get('n')?.notBefore).toBe(1_700_000_010_000);
        expect(byId.get('d')?.degraded).toBe(true);
        expect(byId.get('d')?.intent).toBeUndefined();
        expect(byId.get('p')).toMatchObject({
          intent: true,
          provisional: true,
          holders: ['a'],
          missing: ['b'],
        });
        expect(byId.get('i')?.provisional).toBeUndefined();
      }),
    timeoutMs,
  );
}

/** A newer version of a key supersedes older ones; a late older append never regresses a target. */
export function supersedingCases(ctx: JournalCaseContext): void {
  const { make, timeoutMs } = ctx;

  it(
    'a newer entry removes the targets it names from older entries of the same key',
    () =>
      withJournal(make, async ({ journal }) => {
        await journal.append(entry({ id: 'v1', version: 'v1', holders: ['a'], missing: ['b', 'c'] }));
        await journal.append(entry({ id: 'v2', version: 'v2', holders: ['a'], missing: ['b'] }));
        await expectPending(journal, [
          { id: 'v1', holders: ['a'], missing: ['c'] },
          { id: 'v2', holders: ['a'], missing: ['b'] },
        ]);
        await journal.append(entry({ id: 'v3', version: 'v3', holders: ['a', 'c'], missing: ['b'] }));
        await expectPending(journal, [{ id: 'v3', holders: ['a', 'c'], missing: ['b'] }]);
      }),
    timeoutMs,
  );

  it(
    'a newer entry counts as naming a target it holds, not just one it misses',
    () =>
      withJournal(make, async ({ journal }) => {
        await journal.append(entry({ id: 'v1', version: 'v1', holders: ['a'], missing: ['b'] }));
        await journal.append(entry({ id: 'v2', version: 'v2', holders: ['a', 'b'], missing: ['c'] }));
        await expectPending(journal, [{ id: 'v2', holders: ['a', 'b'], missing: ['c'] }]);
      }),
    timeoutMs,
  );

  it(
    'a newer tombstone replaces an older put on the targets it names',
    () =>
      withJournal(make, async ({ journal }) => {
        await journal.append(entry({ id: 'put', version: 'v1', holders: ['a'], missing: ['b', 'c'] }));
        await journal.append(
          deleteEntry({
            id: 'del',
            version: 'v2',
            holders: ['a'],
            missing: ['b', 'c'],
          }),
        );
        await expectPending(journal, [{ id: 'del', holders: ['a'], missing: ['b', 'c'] }]);
        expect((await journal.pending())[0]?.op).toBe('delete');
      }),
    timeoutMs,
  );

  it(
    'entries of other keys are not touched',
    () =>
      withJournal(make, async ({ journal }) => {
        await journal.append(entry({ id: 'x1', key: 'x', version: 'v1', holders: ['a'], missing: ['b'] }));
        await journal.append(entry({ id: 'y2', key: 'y', version: 'v2', holders: ['a'], missing: ['b'] }));
        await expectPending(journal, [
          { id: 'x1', holders: ['a'], missing: ['b'] },
          { id: 'y2', holders: ['a'], missing: ['b'] },
        ]);
      }),
    timeoutMs,
  );

  it(
    'versions compare as strings, not numbers',
    () =>
      withJournal(make, async ({ journal }) => {
        // "10" < "9" as strings: the entry with version "9" is the newer one.
        await journal.append(entry({ id: 'nine', version: '9', holders: ['a'], missing: ['b'] }));
        await journal.append(entry({ id: 'ten', version: '10', holders: ['a'], missing: ['b'] }));
        await expectPending(journal, [{ id: 'nine', holders: ['a'], missing: ['b'] }]);
      }),
    timeoutMs,
  );
}

/** Appends out of order: a late older entry, a repeated id, calls not awaited one by one. */
export function orderingCases(ctx: JournalCaseContext): void {
  const { make, timeoutMs } = ctx;

  it(
    'an older entry appended late keeps only the targets the newer pending entry does not mention',
    () =>
      withJournal(make, async ({ journal }) => {
        await journal.append(entry({ id: 'v2', version: 'v2', holders: ['a'], missing: ['b'] }));
        await journal.append(entry({ id: 'v1', version: 'v1', holders: ['a'], missing: ['b', 'c'] }));
        await expectPending(journal, [
          { id: 'v2', holders: ['a'], missing: ['b'] },
          { id: 'v1', holders: ['a'], missing: ['c'] },
        ]);
        await journal.append(entry({ id: 'v0', version: 'v0', holders: ['a'], missing: ['b'] }));
        await expectPending(journal, [
          { id: 'v2', holders: ['a'], missing: ['b'] },
          { id: 'v1', holders: ['a'], missing: ['c'] },
        ]);
      }),
    timeoutMs,
  );

  it(
    'appending the id of a pending entry replaces it',
    () =>
      withJournal(make, async ({ journal }) => {
        await journal.append(entry({ id: 'e1', holders: ['a'], missing: ['b', 'c'] }));
        await journal.append(entry({ id: 'e1', holders: ['a', 'b'], missing: ['c'], size: 7 }));
        await expectPending(journal, [{ id: 'e1', holders: ['a', 'b'], missing: ['c'] }]);
        expect((await journal.pending())[0]?.size).toBe(7);
        await journal.append(entry({ id: 'e1', holders: ['a', 'b', 'c'], missing: [] }));
        await expectPending(journal, []);
      }),
    timeoutMs,
  );

  it(
    'calls take effect in the order they are made, even when not awaited one by one',
    () =>
      withJournal(make, async ({ journal }) => {
        const calls = [
          journal.append(entry({ id: 'v1', version: 'v1', holders: ['a'], missing: ['b', 'c'] })),
          journal.resolve('v1', 'b'),
          journal.append(entry({ id: 'v2', version: 'v2', holders: ['a'], missing: ['c'] })),
          journal.append(entry({ id: 'w1', key: 'w', holders: ['a'], missing: ['b'] })),
          journal.resolve('w1', 'b'),
          journal.append(entry({ id: 'w1', key: 'w', holders: ['a'], missing: ['c'] })),
        ];
        const pending = journal.pending();
        await Promise.all(calls);
        const rows = [
          { id: 'v2', holders: ['a'], missing: ['c'] },
          { id: 'w1', holders: ['a'], missing: ['c'] },
        ];
        expect((await pending).map((e) => e.id)).toEqual(rows.map((r) => r.id));
        await expectPending(journal, rows);
      }),
    timeoutMs,
  );
}

/** Bad input and closed journals. */
export function errorCases(ctx: JournalCaseContext): void {
  const { make, timeoutMs } = ctx;

  it(
    'refuses a malformed entry with InvalidArgumentError naming the field, and records nothing',
    () =>
      withJournal(make, async ({ journal }) => {
        const bad: [string, unknown][] = [
          ['entry.id', entry({ id: '' })],
          ['entry.op', { ...entry({ id: 'x' }), op: 'copy' }],
          ['entry.key', entry({ id: 'x', key: '' })],
          ['entry.version', entry({ id: 'x', version: '' })],
          ['entry.missing', entry({ id: 'x', holders: ['a'], missing: ['a'] })],
          ['entry.holders', { ...entry({ id: 'x' }), holders: 'a' }],
          ['entry.at', { ...entry({ id: 'x' }), at: -1 }],
          ['entry.sha256', entry({ id: 'x', sha256: 'nothex' })],
        ];
        for (const [argument, value] of bad) {
          const error = await expectRejection(journal.append(value as never), {
            name: 'InvalidArgumentError',
            kind: 'invalid',
          });
          expect((error as unknown as { argument?: string }).argument, JSON.stringify(value)).toBe(argument);
        }
        await expectRejection(journal.resolve('', 'b'), { name: 'InvalidArgumentError', kind: 'invalid' });
        await expectPending(journal, []);
      }),
    timeoutMs,
  );

  it(
    'rejects calls after close with JournalError (unavailable); close twice is safe',
    () =>
      withJournal(make, async ({ journal }) => {
        await journal.append(entry({ id: 'e1' }));
        await journal.close();
        await journal.close();
        await expectRejection(journal.append(entry({ id: 'e2' })), {
          name: 'JournalError',
          kind: 'unavailable',
        });
        await expectRejection(journal.pending(), { name: 'JournalError', kind: 'unavailable' });
        await expectRejection(journal.resolve('e1', 'b'), { name: 'JournalError', kind: 'unavailable' });
      }),
    timeoutMs,
  );
}

/** Everything acknowledged before close is there after a reopen (for factories with `reopen`). */
export function durabilityCases(ctx: JournalCaseContext): void {
  const { make, timeoutMs } = ctx;

  const reopened = reopenJournal;

  it(
    'after close and reopen: the same pending entries, holders, missing targets and backlog',
    () =>
      withJournal(make, async (subject, track) => {
        const { journal } = subject;
        const n = ctx.manyEntries;
        for (let i = 0; i < n; i++) {
          await journal.append(
            entry({
              id: `e${i}`,
              key: `k${i % 50}`,
              version: `v${String(i).padStart(5, '0')}`,
              holders: ['a'],
              missing: ['b', 'c'],
            }),
          );
        }
        await journal.resolve(`e${n - 1}`, 'b');
        await journal.append(
          deleteEntry({
            id: 'tomb',
            key: 'gone',
            holders: ['a'],
            missing: ['c'],
          }),
        );
        await journal.compact();
        const before = await journal.pending();
        const backlog = journal.backlog();
        const again = await reopened(subject, track);
        if (again === undefined) return;
        expect(again.backlog()).toBe(backlog);
        const after = await again.pending();
        const shape = (list: typeof before) =>
          list.map((e) => ({ ...e, holders: [...e.holders].sort(), missing: [...e.missing].sort() }));
        expect(shape(after)).toEqual(shape(before));
      }),
    timeoutMs,
  );

  it(
    'a reopened journal goes on applying the rules to what it replayed',
    () =>
      withJournal(make, async (subject, track) => {
        await subject.journal.append(entry({ id: 'v1', version: 'v1', holders: ['a'], missing: ['b', 'c'] }));
        const again = await reopened(subject, track);
        if (again === undefined) return;
        await again.append(entry({ id: 'v2', version: 'v2', holders: ['a'], missing: ['b'] }));
        await again.resolve('v1', 'c');
        await expectPending(again, [{ id: 'v2', holders: ['a'], missing: ['b'] }]);
      }),
    timeoutMs,
  );
}
