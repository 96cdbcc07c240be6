import { getText } from '@failover/storage';
import { faults } from '@failover/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Clouds, freshBuckets, multiStore, startClouds } from './harness.js';

/**
 * Clouds that are back while their breakers stay open, through the real SDKs and servers. Seen in
 * the fleet soak: an instance SIGKILLed while it held aws's probe lease kept the other instance from
 * probing aws for 3 s after aws was back; gcp was throttled, so writes were acknowledged by azure
 * alone (one copy while two clouds were up), and failed once azure refused, without trying aws. A
 * write short of its copies and a listing whose admitted clouds failed now probe early the open
 * cloud most likely back (panic routing's last resort: its last failure a second old or more).
 * No timing is asserted: the waits only let that second pass.
 */

/** Past `EARLY_PROBE_AFTER_MS` (1 s) since the breakers opened: an early probe may go. */
function aSecondLater(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1100));
}

describe('clouds back behind open breakers (S3, GCS, Azure through the fault proxy)', () => {
  let clouds: Clouds;
  beforeAll(async () => {
    clouds = await startClouds();
  });
  afterAll(async () => {
    await clouds?.stop();
  });

  /** A default-mode store whose breakers, once opened, stay open for a minute unless probed. */
  async function openStore(label: string) {
    const buckets = await freshBuckets(clouds, label);
    const { store } = await multiStore(clouds, buckets, {
      failover: {
        attemptTimeoutMs: 5000,
        retry: { maxAttempts: 1 },
        breaker: { volumeThreshold: 100, consecutiveFailures: 0, resetTimeoutMs: 60_000 },
      },
      repair: { delayMs: false, intervalMs: false, onRecovery: false },
    });
    return { store, buckets };
  }

  it('a put one cloud took goes to an open cloud that is back as its early probe: two copies, not degraded', async () => {
    const { store, buckets } = await openStore('back-degraded');
    try {
      const degraded: string[] = [];
      store.on('degraded', (e) => degraded.push(e.key));
      // Another instance's word opened aws and gcp; both are up.
      store.trip('aws');
      store.trip('gcp');
      await aSecondLater();
      await store.put('k', 'v1');
      expect(degraded).toEqual([]);
      const held = await Promise.all(buckets.direct.map((s) => s.head('k')));
      expect(held.filter((h) => h !== null).length).toBeGreaterThanOrEqual(2);
      expect(await getText(store, 'k')).toBe('v1');
    } finally {
      await store.close();
    }
  }, 60_000);

  it('puts, deletes and listings whose only admitted cloud refuses are served by an open cloud that is back', async () => {
    const { store, buckets } = await openStore('back-refused');
    const azure = clouds.proxies[2];
    try {
      await store.put('a/1', 'one');
      await store.put('a/2', 'two');
      store.trip('aws');
      store.trip('gcp');
      await aSecondLater();
      await azure.setFault(faults.refuse());
      const panics: string[] = [];
      store.on('panic', (e) => panics.push(e.target));
      await store.put('a/3', 'three');
      expect(panics.length).toBe(1);
      // The other open cloud may still be open: each of its calls is probed early once a second.
      const reopen = store.status().targets.filter((t) => t.state === 'open' && t.name !== 'azure');
      if (reopen.length > 0) await aSecondLater();
      await store.delete('a/1');
      expect(await getText(store, 'a/3')).toBe('three');
      const keys: string[] = [];
      for await (const e of store.list({ prefix: 'a/' })) if ('key' in e) keys.push(e.key);
      expect(keys).toEqual(['a/2', 'a/3']);
      await azure.setFault(faults.pass());
      // Nothing acknowledged is lost: the clouds that took the writes hold them.
      const holders = await Promise.all(buckets.direct.slice(0, 2).map((s) => s.head('a/3')));
      expect(holders.some((h) => h !== null)).toBe(true);
    } finally {
      await azure.setFault(faults.pass());
      await store.close();
    }
  }, 60_000);
});
