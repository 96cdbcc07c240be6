import {
  createFallbackJournal,
  createMemoryJournal,
  type Journal,
  type JournalEntry,
  JournalError,
} from '@failover/storage';
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
});

/**
 * A memory journal that can be switched into an outage (every call rejects with `unavailable`),
 * counting the calls that reach it (`calls`), with a shared journal's `pendingOf`.
 */
type Switchable = Journal & {
  down: boolean;
  calls: number;
  appendGate?: Promise<void>;
  /** Runs after a read of pending entries, before it answers (another process's write lands). */
  afterRead?: () => Promise<void>;
};

function switchableJournal(): Switchable {
  const inner = createMemoryJournal();
  const gate = <R>(fn: () => Promise<R>): Promise<R> => {
    j.calls++;
    return j.down
      ? Promise.reject(new JournalError('unavailable', 'the shared journal is down', { target: 'shared' }))
      : fn();
  };
  const read = async (keep: (e: JournalEntry) => boolean): Promise<JournalEntry[]> => {
    const answer = (await inner.pending()).filter(keep);
    await j.afterRead?.();
    return answer;
  };
  const j: Switchable = {
    down: false,
    calls: 0,
    open: () => gate(() => inner.open?.() ?? Promise.resolve()),
    append: (e: JournalEntry) =>
      gate(async () => {
        await j.appendGate;
        return inner.append(e);
      }),
    highWater: (key: string) => gate(() => inner.highWater!(key)),
    resolve: (id: string, t: string) => gate(() => inner.resolve(id, t)),
    pending: () => gate(() => read(() => true)),
    pendingOf: (key: string) => gate(() => read((e) => e.key === key)),
    pendingWithPrefix: (prefix: string) => gate(() => read((e) => e.key.startsWith(prefix))),
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
  it("journalId is the primary's; undefined while the primary is away (no check then); absent when the primary has none", async () => {
    const primary = switchableJournal();
    primary.journalId = () =>
      primary.down ? Promise.reject(new JournalError('unavailable', 'down')) : Promise.resolve('shared-1');
    const fallback = createMemoryJournal();
    const j = createFallbackJournal({ primary, fallback, mergeIntervalMs: 60_000 });
    expect(await j.journalId?.()).toBe('shared-1');
    primary.down = true;
    expect(await j.journalId?.()).toBeUndefined(); // the failure marks it away
    expect(j.primaryAway()).toBe(true);
    expect(await j.journalId?.()).toBeUndefined();
    await j.close();
    const without = createFallbackJournal({ primary: switchableJournal(), fallback: createMemoryJournal() });
    expect(without.journalId).toBeUndefined();
    await without.close();
  });

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

  it('a resolve of an entry kept locally waits for the merge, which applies it in the primary', async () => {
    const primary = switchableJournal();
    const fallback = createMemoryJournal();
    const j = createFallbackJournal({ primary, fallback, mergeIntervalMs: 60_000 });
    primary.down = true;
    await j.append(entry(1));
    await j.resolve('v1:k1', 'b');
    expect(j.fallbackBacklog()).toBe(1); // kept until merged
    primary.down = false;
    expect(await j.merge()).toBe(1);
    expect(j.backlog()).toBe(0);
    expect(await primary.pending()).toEqual([]);
    await j.close();
  });

  it("an entry kept locally and resolved before the merge still supersedes the primary's older entries of its key", async () => {
    const primary = switchableJournal();
    const fallback = createMemoryJournal();
    const j = createFallbackJournal({ primary, fallback, mergeIntervalMs: 60_000 });
    const older: JournalEntry = { ...entry(1), id: 'v1:k', key: 'k', op: 'delete', version: 'v1' };
    const newer: JournalEntry = { ...entry(2), id: 'v2:k', key: 'k', version: 'v2' };
    await j.append(older); // in the primary: b lacks the delete
    primary.down = true;
    await j.append(newer); // kept locally
    await j.resolve('v2:k', 'b'); // b took the newer put: every target holds it
    primary.down = false;
    await j.merge();
    // Without the newer entry, the primary would still name the delete as the key's newest write.
    expect(await primary.pending()).toEqual([]);
    expect(j.backlog()).toBe(0);
    await j.close();
  });

  it('a write that every target took while the primary was away (its record pending nowhere) still reaches the primary: it supersedes and is the mark', async () => {
    const primary = switchableJournal();
    const fallback = createMemoryJournal();
    const j = createFallbackJournal({ primary, fallback, mergeIntervalMs: 60_000 });
    // Another process's put, still pending in the primary (b lacks it).
    await primary.append({ ...entry(1), id: 'v1:k', key: 'k', version: 'v1' });
    primary.down = true;
    // This process overwrites the key while the primary is away: its intent, then its record
    // once every target took it (pending nowhere: the local journal drops it at once).
    const put = { ...entry(2), id: 'v2:k', key: 'k', version: 'v2' };
    await j.append({ ...put, holders: [], missing: ['a', 'b'], intent: true });
    await j.append({ ...put, holders: ['a', 'b'], missing: [] });
    // A delete of another key, every target took it.
    await j.append({ ...entry(3), id: 'v3:k3', op: 'delete', holders: ['a', 'b'], missing: [] });
    expect(j.fallbackBacklog()).toBe(2); // not in the primary yet, though pending nowhere
    expect(await fallback.pending()).toEqual([]);
    primary.down = false;
    expect(await j.merge()).toBe(2);
    expect(j.fallbackBacklog()).toBe(0);
    // Without them, the primary would still name v1 as the key's newest write (repair, finding it
    // on no target, would report it lost) and know nothing of the delete of k3.
    expect(await primary.pending()).toEqual([]);
    expect(await primary.highWater?.('k')).toMatchObject({ id: 'v2:k', version: 'v2' });
    expect((await primary.highWater?.('k'))?.intent).toBeUndefined();
    expect(await primary.highWater?.('k3')).toMatchObject({ op: 'delete', version: 'v3' });
    await j.close();
  });

  it('a write that every target took while the primary was away reaches it with the timer merge too (nothing pending locally)', async () => {
    vi.useFakeTimers();
    const primary = switchableJournal();
    const fallback = createMemoryJournal();
    const j = createFallbackJournal({ primary, fallback, mergeIntervalMs: 1000, checkIntervalMs: 250 });
    await primary.append({ ...entry(1), id: 'v1:k', key: 'k', version: 'v1' });
    primary.down = true;
    await j.append({ ...entry(2), id: 'v2:k', key: 'k', version: 'v2', holders: ['a', 'b'], missing: [] });
    primary.down = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(j.fallbackBacklog()).toBe(0);
    expect(await primary.pending()).toEqual([]);
    expect(await primary.highWater?.('k')).toMatchObject({ id: 'v2:k' });
    await j.close();
  });

  it('an append to the primary supersedes older entries of its key kept locally: they do not come back with the merge', async () => {
    const primary = switchableJournal();
    const fallback = createMemoryJournal();
    // A process restarted with a delete kept locally (Redis was away when it was journaled).
    await fallback.append({ ...entry(1), id: 'v1:k', key: 'k', op: 'delete', version: 'v1' });
    const j = createFallbackJournal({ primary, fallback, mergeIntervalMs: 60_000 });
    await j.open?.();
    // The primary answers again before the merge ran: a newer put of the key goes there.
    await j.append({ ...entry(2), id: 'v2:k', key: 'k', version: 'v2' });
    await j.resolve('v2:k', 'b'); // every target holds it
    expect((await j.pending()).filter((e) => e.op === 'delete')).toEqual([]);
    await j.merge();
    expect(await primary.pending()).toEqual([]);
    expect(j.backlog()).toBe(0);
    await j.close();
  });

  it("a lookup leaves out an entry kept locally that the primary's mark shows superseded (another process wrote the key since)", async () => {
    const primary = switchableJournal();
    const fallback = createMemoryJournal();
    // A process restarted with a delete kept locally; meanwhile another process put the key
    // again, everywhere (nothing pending for it in the primary, only its mark).
    await fallback.append({ ...entry(1), id: 'v1:k', key: 'k', op: 'delete', version: 'v1' });
    await primary.append({ ...entry(2), id: 'v2:k', key: 'k', version: 'v2' });
    await primary.resolve('v2:k', 'b');
    // The merge the journal starts when it opens waits at its first append to the primary.
    let release = () => {};
    primary.appendGate = new Promise<void>((r) => {
      release = r;
    });
    const j = createFallbackJournal({ primary, fallback, mergeIntervalMs: 60_000 });
    await j.open?.();
    expect(await j.pendingOf!('k')).toEqual([]);
    release();
    await j.merge();
    expect(j.fallbackBacklog()).toBe(0);
    await j.close();
  });

  it("the primary's marks are read before its entries: a write acknowledged between the two does not leave out the entry kept locally that its intent does not supersede", async () => {
    // Redis came back; this process's put of `k` (v3) is still kept locally. In the primary: an
    // older delete of `k` (v2, another process's) and a newer put's intent (v4). Just after the
    // primary's entries are read, that put is acknowledged (its mark moves to v4). Read after
    // the entries, that mark left v3 out while the entries showed v4 as an intent only: the
    // listing forgot its own acknowledged put, and the delete hid the key (fleet soak, seed 7005).
    const setUp = async () => {
      const primary = switchableJournal();
      const fallback = createMemoryJournal();
      await fallback.append({ ...entry(3), id: 'v3:k', key: 'k', version: 'v3' });
      await primary.append({ ...entry(2), id: 'v2:k', key: 'k', op: 'delete', version: 'v2' });
      const put = { ...entry(4), id: 'v4:k', key: 'k', version: 'v4' };
      await primary.append({ ...put, intent: true, holders: [], missing: ['a', 'b'] });
      let release = () => {};
      primary.appendGate = new Promise<void>((r) => {
        release = r;
      });
      const j = createFallbackJournal({ primary, fallback, mergeIntervalMs: 60_000 });
      await j.open?.(); // its merge waits at the gate: v3 stays kept locally
      primary.afterRead = async () => {
        primary.afterRead = undefined;
        primary.appendGate = undefined;
        await primary.append(put); // acknowledged: the mark is v4 now
      };
      return { j, release };
    };
    const lookups: [string, (j: Journal) => Promise<JournalEntry[]>][] = [
      ['pending', (j) => j.pending()],
      ['pendingWithPrefix', (j) => j.pendingWithPrefix!('k')],
      ['pendingOf', (j) => j.pendingOf!('k')],
    ];
    for (const [name, lookup] of lookups) {
      const { j, release } = await setUp();
      const ids = (await lookup(j)).map((e) => `${e.id}${e.intent === true ? ' (intent)' : ''}`);
      // v3 (or the acknowledged v4 that supersedes it) is there: never the delete alone.
      expect({ name, ids: ids.sort() }).toEqual({ name, ids: ['v2:k', 'v3:k', 'v4:k (intent)'] });
      release();
      await j.merge();
      await j.close();
    }
  });

  it("the whole backlog (a listing's lookup) leaves out entries kept locally that the primary's marks show superseded, as a key's lookup does", async () => {
    const primary = switchableJournal();
    const fallback = createMemoryJournal();
    // A process restarted with two deletes kept locally; meanwhile another process put one key
    // again, everywhere (nothing pending for it in the primary, only its mark), and has a put of
    // a third key pending in the primary.
    await fallback.append({ ...entry(1), id: 'v1:k', key: 'k', op: 'delete', version: 'v1' });
    await fallback.append({ ...entry(3), id: 'v3:j', key: 'j', op: 'delete', version: 'v3' });
    await primary.append({ ...entry(2), id: 'v2:k', key: 'k', version: 'v2' });
    await primary.resolve('v2:k', 'b');
    await primary.append(entry(4));
    // The merge the journal starts when it opens waits at its first append to the primary.
    let release = () => {};
    primary.appendGate = new Promise<void>((r) => {
      release = r;
    });
    const j = createFallbackJournal({ primary, fallback, mergeIntervalMs: 60_000 });
    await j.open?.();
    expect(j.primaryAway()).toBe(false);
    // The older delete of `k` would hide the newer put from every listing of this process (the
    // fleet soak's stale listing); the delete of `j`, which nothing superseded, stays.
    expect((await j.pending()).map((e) => e.id).sort()).toEqual(['v3:j', 'v4:k4']);
    expect(await j.pendingOf!('k')).toEqual([]);
    release();
    await j.merge();
    expect(j.fallbackBacklog()).toBe(0);
    await j.close();
  });

  it('after an outage the primary is skipped (no call waits for it) until a check finds it back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const primary = switchableJournal();
    const fallback = createMemoryJournal();
    const j = createFallbackJournal({ primary, fallback, mergeIntervalMs: 1000, checkIntervalMs: 1000 });
    await j.append(entry(1));
    expect(j.primaryAway()).toBe(false);
    primary.down = true;
    // The first call finds the outage...
    await expect(j.pendingOf!('k1')).rejects.toMatchObject({ kind: 'unavailable' });
    expect(j.primaryAway()).toBe(true);
    const reached = primary.calls;
    // ...and later calls skip the primary: appends are kept locally at once, lookups reject at
    // once, pending() and resolves use the fallback.
    await j.append(entry(2));
    await j.append(entry(3));
    await expect(j.pendingOf!('k2')).rejects.toMatchObject({ kind: 'unavailable' });
    expect((await j.pending()).map((e) => e.id)).toEqual(['v2:k2', 'v3:k3']);
    await j.resolve('v3:k3', 'b'); // waits for the merge (v3 stays kept)
    await j.compact();
    expect(primary.calls).toBe(reached);
    expect(j.fallbackBacklog()).toBe(2);
    // The check every checkIntervalMs: still down, still away.
    await vi.advanceTimersByTimeAsync(1000);
    expect(primary.calls).toBe(reached + 1);
    expect(j.primaryAway()).toBe(true);
    // Back: the next check finds it, the kept entry moves over, calls reach the primary again.
    primary.down = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(j.primaryAway()).toBe(false);
    expect(j.fallbackBacklog()).toBe(0);
    expect((await j.pendingOf!('k2')).map((e) => e.id)).toEqual(['v2:k2']);
    await j.append(entry(4));
    expect(primary.backlog()).toBe(3);
    await j.close();
  });

  it('a check with nothing kept locally still runs while the primary is away', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const primary = switchableJournal();
    const j = createFallbackJournal({ primary, fallback: createMemoryJournal(), mergeIntervalMs: 1000 });
    primary.down = true;
    await expect(j.pendingOf!('k1')).rejects.toMatchObject({ kind: 'unavailable' });
    expect(j.fallbackBacklog()).toBe(0);
    primary.down = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(j.primaryAway()).toBe(false);
    expect(await j.pendingOf!('k1')).toEqual([]);
    await j.close();
  });

  it('while the primary is away it is checked every checkIntervalMs (default 250 ms), kept entries merged every mergeIntervalMs once it is back; the timer stops when nothing is left', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const primary = switchableJournal();
    const j = createFallbackJournal({ primary, fallback: createMemoryJournal(), mergeIntervalMs: 1000 });
    primary.down = true;
    await j.append(entry(1)); // kept locally: the primary is away
    expect(j.primaryAway()).toBe(true);
    const reached = primary.calls;
    await vi.advanceTimersByTimeAsync(250);
    expect(primary.calls).toBe(reached + 1); // one check, still down
    await vi.advanceTimersByTimeAsync(250);
    expect(primary.calls).toBe(reached + 2);
    // Back: the next check (within 250 ms, not the merge's 1000) finds it and merges the entry.
    primary.down = false;
    await vi.advanceTimersByTimeAsync(250);
    expect(j.primaryAway()).toBe(false);
    expect(j.fallbackBacklog()).toBe(0);
    expect(primary.backlog()).toBe(1);
    // Nothing kept, the primary answering: no more runs.
    const after = primary.calls;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(primary.calls).toBe(after);
    await j.close();
  });

  it('throws what is not an outage (a malformed entry)', async () => {
    const j = createFallbackJournal({ primary: switchableJournal(), fallback: createMemoryJournal() });
    await expect(j.append({ ...entry(1), op: 'nope' as 'put' })).rejects.toMatchObject({ kind: 'invalid' });
    await j.close();
  });
});
