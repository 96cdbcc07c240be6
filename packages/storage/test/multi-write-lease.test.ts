import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryJournal, type Journal, type WriteLeaseAnswer } from '../src/index.js';
import type { MultiCloudCounts } from '../src/multi/types.js';
import { formatVersion, HybridClock } from '../src/multi/version.js';
import { WriteLeases } from '../src/multi/write-lease.js';

/**
 * The store's side of a fleet's write lease (write-lease.ts), over a journal whose leases live in
 * memory and lapse by `Date.now()` (fake timers: no timing is asserted). The Redis journal's own
 * leases and the store over real Redis: packages/redis/test/write-lease.test.ts.
 */
describe('WriteLeases (a fleet write lease per key)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("this process's writes of one key take turns: the next asks for the lease once the first gave it back", async () => {
    const { leases, calls } = setup();
    const first = await leases.claim('k', undefined);
    let second: { release(): void } | undefined;
    const waiting = leases.claim('k', undefined).then((c) => {
      second = c;
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(second).toBeUndefined();
    expect(calls.filter((c) => c.op === 'lease').length).toBe(1);
    first.release();
    await waiting;
    expect(calls.map((c) => c.op)).toEqual(['lease', 'release', 'lease']);
    // Another key never waits.
    await leases.claim('other', undefined);
    second!.release();
  });

  it('waits for another write that holds it, asking again after 2 ms doubling up to 50 ms, then goes on after waitMs', async () => {
    const { leases, journal, calls, counts } = setup({ ttlMs: 5000, waitMs: 1000 });
    await journal.leaseWrite!('k', 'other', 60_000);
    calls.length = 0;
    let done = false;
    const claim = leases.claim('k', undefined).then((c) => {
      done = true;
      return c;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(60);
    (await claim).release();
    expect(counts).toMatchObject({ writeLeaseSkipped: 1, writeLeaseWaits: 0 });
    const asked = calls.filter((c) => c.op === 'lease').map((c) => c.at);
    const pauses = asked.slice(1).map((at, i) => at - asked[i]!);
    expect(pauses.slice(0, 6)).toEqual([2, 4, 8, 16, 32, 50]);
    expect(Math.max(...pauses)).toBe(50);
    // Written without the lease: none to give back.
    expect(calls.filter((c) => c.op === 'release')).toEqual([]);
  });

  it('a lease whose holder stopped renewing lapses after its ttl; the waiting write takes it and counts the wait', async () => {
    const { leases, journal, counts } = setup({ ttlMs: 5000, waitMs: 30_000 });
    await journal.leaseWrite!('k', 'dead', 300);
    let done = false;
    const claim = leases.claim('k', undefined).then((c) => {
      done = true;
      return c;
    });
    await vi.advanceTimersByTimeAsync(250);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toBe(true);
    (await claim).release();
    expect(counts).toMatchObject({ writeLeaseWaits: 1, writeLeaseSkipped: 0 });
  });

  it('renews the lease every quarter of its ttl while the write runs, and stops once it is given back', async () => {
    const { leases, calls } = setup({ ttlMs: 4000, waitMs: 30_000 });
    const claim = await leases.claim('k', undefined);
    const token = calls[0]!.token;
    await vi.advanceTimersByTimeAsync(12_000);
    const renewals = calls.filter((c) => c.op === 'lease' && c.token === token).length - 1;
    expect(renewals).toBe(12);
    claim.release();
    await vi.advanceTimersByTimeAsync(12_000);
    expect(calls.filter((c) => c.op === 'lease').length).toBe(13);
    expect(calls.at(-1)).toMatchObject({ op: 'release', token });
  });

  it("a granted lease moves the clock past the key's high-water mark (another instance's clock ahead)", async () => {
    const { leases, journal, clock } = setup();
    const ahead = formatVersion(Date.now() + 3_600_000, 0, 'other');
    await journal.append({
      id: 'p1',
      op: 'put',
      key: 'k',
      version: ahead,
      sha256: 'a'.repeat(64),
      size: 1,
      holders: ['a'],
      missing: [],
      at: Date.now(),
    });
    (await leases.claim('k', undefined)).release();
    expect(clock.next() > ahead).toBe(true);
  });

  it('a write aborted while it queues behind another of this process rejects `aborted`; the next one still goes', async () => {
    const { leases } = setup();
    const first = await leases.claim('k', undefined);
    const controller = new AbortController();
    const aborted = leases.claim('k', controller.signal);
    const third = leases.claim('k', undefined);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ kind: 'aborted' });
    first.release();
    (await third).release();
  });

  it('the journal cannot tell (it rejects): the write goes on at once, counted', async () => {
    const { leases, journal, counts } = setup();
    journal.leaseWrite = () => Promise.reject(new Error('away'));
    (await leases.claim('k', undefined)).release();
    expect(counts.writeLeaseSkipped).toBe(1);
  });
});

interface Call {
  readonly op: 'lease' | 'release';
  readonly key: string;
  readonly token: string;
  readonly at: number;
}

/** A memory journal with write leases that lapse by `Date.now()`, and every lease call noted. */
function setup(limits = { ttlMs: 5000, waitMs: 30_000 }) {
  const inner = createMemoryJournal();
  const held = new Map<string, { token: string; until: number }>();
  const calls: Call[] = [];
  const journal: Journal = Object.assign(Object.create(inner) as Journal, {
    pendingOf: inner.pendingOf?.bind(inner) ?? (async () => []),
    leaseWrite: async (key: string, token: string, ttlMs: number): Promise<WriteLeaseAnswer> => {
      calls.push({ op: 'lease', key, token, at: Date.now() });
      const now = Date.now();
      const lease = held.get(key);
      if (lease !== undefined && lease.until > now && lease.token !== token) {
        return { granted: false, retryInMs: lease.until - now };
      }
      held.set(key, { token, until: now + ttlMs });
      return { granted: true, highWater: await inner.highWater!(key) };
    },
    releaseWrite: async (key: string, token: string): Promise<void> => {
      calls.push({ op: 'release', key, token, at: Date.now() });
      if (held.get(key)?.token === token) held.delete(key);
    },
  });
  const clock = new HybridClock('w', Date.now);
  const counts = { writeLeaseWaits: 0, writeLeaseSkipped: 0 } as MultiCloudCounts;
  return { leases: new WriteLeases(journal, limits, clock, counts), journal, calls, counts, clock };
}
