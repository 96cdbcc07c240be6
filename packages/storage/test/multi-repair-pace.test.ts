import { setImmediate as nextTurn } from 'node:timers/promises';
import { InvalidOptionError } from '@failover/core';
import { describe, expect, it } from 'vitest';
import {
  type BlobStore,
  createMemoryJournal,
  createMemoryStore,
  createMultiCloudStore,
  type RepairOptions,
  StorageError,
} from '../src/index.js';

/** A memory store whose puts of k/ keys are counted while in flight (each takes a turn of the event loop). */
function counted(name: string) {
  const inner = createMemoryStore({ name });
  const state = { down: false, failPuts: false, inFlight: 0, maxInFlight: 0 };
  const store = new Proxy(inner, {
    get(t, p, r) {
      const v: unknown = Reflect.get(t, p, r);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        if (state.down) throw new StorageError('unavailable', `${name} is down`, { target: name });
        // The copies of the writes under k/ (not the store's own markers).
        if (p !== 'put' || !String(args[0]).startsWith('k/')) {
          return (v as (...a: unknown[]) => unknown).apply(t, args);
        }
        state.inFlight++;
        state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
        try {
          await nextTurn();
          if (state.failPuts)
            throw new StorageError('unavailable', `${name} refused the copy`, { target: name });
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(t, args);
        } finally {
          state.inFlight--;
        }
      };
    },
  }) as BlobStore;
  return { store, state };
}

/** A store over a, b and a counted c, with a backlog of `n` writes b and c lack ('primary' writes). */
async function withBacklog(n: number, repair: RepairOptions = {}) {
  const c = counted('c');
  const store = createMultiCloudStore({
    targets: [createMemoryStore({ name: 'a' }), createMemoryStore({ name: 'b' }), c.store],
    journal: createMemoryJournal(),
    writes: 'primary',
    failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100_000 } },
    repair: { intervalMs: false, delayMs: false, onRecovery: false, settleMs: 0, ...repair },
  });
  for (let i = 0; i < n; i++) await store.put(`k/${i}`, Buffer.from(`v${i}`));
  c.state.maxInFlight = 0;
  return { store, c };
}

describe("repair's pace: more copies at once while they go well", () => {
  it('a pass speeds up past repair.concurrency while copies succeed, up to maxConcurrency', async () => {
    const { store, c } = await withBacklog(300);
    const report = await store.repair();
    expect(report.repaired).toBe(600);
    expect(report.backlog).toBe(0);
    expect(c.state.maxInFlight).toBeGreaterThan(4);
    expect(c.state.maxInFlight).toBeLessThanOrEqual(32);
    await store.close();
  });

  it('maxConcurrency equal to concurrency keeps the number fixed', async () => {
    const { store, c } = await withBacklog(100, { concurrency: 3, maxConcurrency: 3 });
    expect((await store.repair()).repaired).toBe(200);
    expect(c.state.maxInFlight).toBeLessThanOrEqual(3);
    await store.close();
  });

  it('a target that refuses every copy never gets more than repair.concurrency at once', async () => {
    const { store, c } = await withBacklog(100);
    c.state.failPuts = true;
    const report = await store.repair();
    expect(report.repaired).toBe(100); // b's copies
    expect(report.failed.length + report.skipped).toBe(100);
    expect(c.state.maxInFlight).toBeLessThanOrEqual(4);
    await store.close();
  });

  it('a maxConcurrency below concurrency is refused, naming the option', () => {
    expect(() =>
      createMultiCloudStore({
        targets: [createMemoryStore({ name: 'a' }), createMemoryStore({ name: 'b' })],
        journal: createMemoryJournal(),
        repair: { concurrency: 8, maxConcurrency: 4 },
      }),
    ).toThrow(InvalidOptionError);
    expect(() =>
      createMultiCloudStore({
        targets: [createMemoryStore({ name: 'a' }), createMemoryStore({ name: 'b' })],
        journal: createMemoryJournal(),
        repair: { concurrency: 8, maxConcurrency: 4 },
      }),
    ).toThrow(/repair\.maxConcurrency/);
  });
});
