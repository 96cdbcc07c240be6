import {
  createFallbackJournal,
  createMemoryJournal,
  type Journal,
  type JournalEntry,
  JournalError,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';

/** A memory journal that can be switched into an outage (every call rejects with `unavailable`). */
function switchableJournal(): Journal & { down: boolean } {
  const inner = createMemoryJournal();
  const gate = <R>(fn: () => Promise<R>): Promise<R> =>
    j.down
      ? Promise.reject(new JournalError('unavailable', 'the shared journal is down', { target: 'shared' }))
      : fn();
  const j = {
    down: false,
    open: () => gate(() => inner.open?.() ?? Promise.resolve()),
    append: (e: JournalEntry) => gate(() => inner.append(e)),
    resolve: (id: string, t: string) => gate(() => inner.resolve(id, t)),
    pending: () => gate(() => inner.pending()),
    backlog: () => inner.backlog(),
    compact: () => gate(() => inner.compact()),
    close: () => inner.close(),
  };
  return j;
}

const entry = (n: number): JournalEntry => ({
  id: `v${n}:k${n}`,
  op: 'put',
  key: `k${n}`,
  version: `v${n}`,
  holders: ['a'],
  missing: ['b'],
  at: n,
});

describe('createFallbackJournal', () => {
  it('appends to the primary while it answers', async () => {
    const primary = switchableJournal();
    const fallback = createMemoryJournal();
    const j = createFallbackJournal({ primary, fallback, mergeIntervalMs: 60_000 });
    await j.append(entry(1));
    expect(primary.backlog()).toBe(1);
    expect(j.fallbackBacklog()).toBe(0);
    await j.close();
  });

  it('keeps entries locally while the primary is down, and merges them back, none lost', async () => {
    const primary = switchableJournal();
    const fallback = createMemoryJournal();
    const j = createFallbackJournal({ primary, fallback, mergeIntervalMs: 60_000 });
    await j.append(entry(1));
    primary.down = true;
    await j.append(entry(2));
    await j.append(entry(3));
    expect(j.fallbackBacklog()).toBe(2);
    expect((await j.pending()).map((e) => e.id)).toEqual(['v2:k2', 'v3:k3']);
    await expect(j.merge()).rejects.toBeInstanceOf(JournalError);
    primary.down = false;
    expect(await j.merge()).toBe(2);
    expect(j.fallbackBacklog()).toBe(0);
    expect((await primary.pending()).map((e) => e.id)).toEqual(['v1:k1', 'v2:k2', 'v3:k3']);
    expect(j.backlog()).toBe(3);
    await j.close();
  });

  it('a resolve reaches whichever journal holds the entry', async () => {
    const primary = switchableJournal();
    const fallback = createMemoryJournal();
    const j = createFallbackJournal({ primary, fallback, mergeIntervalMs: 60_000 });
    primary.down = true;
    await j.append(entry(1));
    await j.resolve('v1:k1', 'b');
    expect(j.backlog()).toBe(0);
    await j.close();
  });

  it('throws what is not an outage (a malformed entry)', async () => {
    const j = createFallbackJournal({ primary: switchableJournal(), fallback: createMemoryJournal() });
    await expect(j.append({ ...entry(1), op: 'nope' as 'put' })).rejects.toMatchObject({ kind: 'invalid' });
    await j.close();
  });
});
