import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createMemoryJournal,
  createMultiCloudStore,
  getText,
  HIGH_WATER_RETENTION_MS,
  type Journal,
  type MultiCloudStore,
} from '../src/index.js';
import { type SwitchableStore, switchable } from './multi-helpers.js';

// A copy made by repair or reconcile that takes longer than the high-water mark's retention (an
// hour: a huge object, a throttled cloud) while another process deletes (or overwrites) the key.
// The delete lands everywhere before the copy does; the copy lands on the empty target (nothing
// there to refuse it) once the delete's mark has expired, so the check after the copy sees no mark.
// The copy's watch on the mark (every half retention while it runs) must still catch the delete:
// the deleted version never stays on any cloud, and reconcile does not bring it back. Fake timers
// stand for the hour; the stores are memory stores behind switchable wrappers.

const KEY = 'reports/slow.bin';
const stores: MultiCloudStore[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  vi.useRealTimers();
});

interface Clouds {
  readonly aws: SwitchableStore;
  readonly gcs: SwitchableStore;
  readonly azure: SwitchableStore;
}

function storeOn(clouds: Clouds, journal: Journal, writerId: string): MultiCloudStore {
  const store = createMultiCloudStore({
    targets: [clouds.aws, clouds.gcs, clouds.azure],
    journal,
    writerId,
    // No time limit on an attempt: the copy takes as long as the cloud holds it.
    failover: {
      attemptTimeoutMs: false,
      retry: { maxAttempts: 1 },
      budget: false,
      breaker: { volumeThreshold: 100 },
    },
    amnesia: false,
    unresponsive: false,
    repair: { intervalMs: false, delayMs: false, settleMs: 0, onRecovery: false },
  });
  stores.push(store);
  return store;
}

/** What each cloud holds of the key, read directly. */
async function held(clouds: Clouds): Promise<(string | null)[]> {
  return Promise.all(
    [clouds.aws, clouds.gcs, clouds.azure].map(async (s) =>
      (await s.inner.head(KEY)) === null ? null : getText(s.inner, KEY),
    ),
  );
}

/** Repairs with `store` until nothing is pending (a few passes at most). */
async function repairAll(store: MultiCloudStore): Promise<void> {
  for (let i = 0; i < 5; i++) if ((await store.repair()).backlog === 0) return;
  expect(store.status().journal.backlog).toBe(0);
}

type Write = 'delete' | 'put';

/**
 * Three clouds, v1 of the key on AWS and GCS only. `journal` is shared by the other process (the
 * user, who writes while the copy is held) and the process that copies.
 */
async function setup(): Promise<{
  clouds: Clouds;
  journal: Journal;
  user: MultiCloudStore;
  copier: MultiCloudStore;
}> {
  vi.useFakeTimers({ now: 1_800_000_000_000 });
  const clouds = { aws: switchable('aws'), gcs: switchable('gcs'), azure: switchable('azure') };
  const journal = createMemoryJournal(); // after the fake clock: its marks expire on it
  const user = storeOn(clouds, journal, 'user');
  const copier = storeOn(clouds, journal, 'copier');
  return { clouds, journal, user, copier };
}

/** Held before the copy reaches Azure: the user's write lands everywhere, then 61 minutes pass. */
function holdCopy(
  clouds: Clouds,
  user: MultiCloudStore,
  write: Write,
  journal: Journal,
): { ran: () => boolean } {
  let ran = false;
  clouds.azure.interpose = async () => {
    if (write === 'delete') await user.delete(KEY);
    else await user.put(KEY, 'v2');
    await user.put('reports/other.bin', 'x'); // its journal records settle with this append
    expect((await journal.pending()).filter((e) => e.key === KEY && !e.id.startsWith('behind:'))).toEqual([]);
    await vi.advanceTimersByTimeAsync(HIGH_WATER_RETENTION_MS + 60_000);
    ran = true;
  };
  return { ran: () => ran };
}

describe('a repair or reconcile copy that takes longer than the high-water retention', () => {
  it.each<Write>(['delete', 'put'])(
    "repair: another process's %s lands everywhere while the copy is held for 61 minutes: it wins on every cloud",
    async (write) => {
      const { clouds, journal, user, copier } = await setup();
      clouds.azure.down = 'unavailable';
      await copier.put(KEY, 'v1'); // Azure journaled as lacking v1
      clouds.azure.down = undefined;
      const hold = holdCopy(clouds, user, write, journal);
      await copier.repair();
      expect(hold.ran()).toBe(true);
      await repairAll(copier);
      const expected = write === 'delete' ? null : 'v2';
      expect(await held(clouds)).toEqual([expected, expected, expected]);
      for (const s of [copier, user]) expect((await s.head(KEY)) === null).toBe(write === 'delete');
      // Nothing left for reconcile to spread: the deleted (or overwritten) v1 stays gone.
      await copier.reconcile();
      expect(await held(clouds)).toEqual([expected, expected, expected]);
    },
  );

  it.each<Write>(['delete', 'put'])(
    "reconcile: another process's %s lands everywhere while the copy is held for 61 minutes: it wins on every cloud",
    async (write) => {
      const { clouds, journal, user, copier } = await setup();
      // v1 written by a process whose journal is not shared (reconcile finds Azure lacking it).
      const other = storeOn(clouds, createMemoryJournal(), 'other');
      clouds.azure.down = 'unavailable';
      await other.put(KEY, 'v1');
      clouds.azure.down = undefined;
      const hold = holdCopy(clouds, user, write, journal);
      const report = await copier.reconcile();
      expect(hold.ran()).toBe(true);
      // A put landed on Azure first refuses the copy (its condition); a delete leaves nothing there.
      expect(report.copied).toBe(write === 'delete' ? 1 : 0);
      await repairAll(copier);
      const expected = write === 'delete' ? null : 'v2';
      expect(await held(clouds)).toEqual([expected, expected, expected]);
      await copier.reconcile();
      expect(await held(clouds)).toEqual([expected, expected, expected]);
    },
  );
});
