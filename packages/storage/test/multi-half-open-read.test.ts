import { setTimeout as sleep } from 'node:timers/promises';
import { type BlobStore, createMemoryJournal, createMultiCloudStore } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { switchable } from './multi-helpers.js';

/**
 * A read of a missing key whose probe of a half-open target needs that target's epoch marker
 * checked (is its "not found" trusted?). The marker read went through the router, which made it
 * wait for the target's half-open probe: the read's own attempt. The probe then ran out its
 * attempt time and opened the breaker again, doubled, so reads alone never let a recovered cloud
 * back in (found in the repair bench once half-open probes were no longer cancelled by the hedge
 * race). The marker read is now part of the attempt: the probe answers and closes the breaker.
 */
/** Two targets, breakers that open at the first failure and half-open after 20 ms, no repair. */
function storeOver(aws: BlobStore, gcp: BlobStore) {
  return createMultiCloudStore({
    targets: [aws, gcp],
    journal: createMemoryJournal(),
    failover: {
      retry: { maxAttempts: 1 },
      budget: false,
      hedge: false,
      attemptTimeoutMs: 60_000,
      breaker: { volumeThreshold: 1, resetTimeoutMs: 20, maxResetTimeoutMs: 20 },
    },
    amnesia: { recheckMs: 1 },
    repair: { intervalMs: false, delayMs: false, onRecovery: false },
  });
}

describe('a read whose half-open probe needs the target marker checked', () => {
  it('answers, and closes the breaker', async () => {
    const aws = switchable('aws');
    const gcp = switchable('gcp');
    const store = storeOver(aws, gcp);
    await store.put('k', 'v');
    aws.down = 'network';
    // aws fails (gcp answers) until its breaker opens.
    for (let i = 0; i < 10 && store.status().targets[0]?.state === 'closed'; i++) await store.head('k');
    expect(store.status().targets[0]?.state).not.toBe('closed');
    aws.down = undefined;
    while (store.status().targets[0]?.state !== 'halfOpen') await sleep(5);
    await sleep(5); // the marker seen last is older than recheckMs: a "not found" needs it again
    // The probe: aws says "not found"; trusting it takes aws's marker. Without the fix this call
    // waits out the 60 s attempt time (the marker read queued behind the probe itself).
    expect(await store.head('missing')).toBeNull();
    expect(store.status().targets[0]?.state).toBe('closed');
    await store.close();
  });

  it("answers, and closes the breaker, when the target still lacks the marker (it was away when the epoch was created): the probe's attempt writes it", async () => {
    const aws = switchable('aws');
    const gcp = switchable('gcp');
    aws.down = 'network'; // away when the store opens: the epoch is created on gcp alone
    const store = storeOver(aws, gcp);
    await store.put('k', 'v');
    for (let i = 0; i < 10 && store.status().targets[0]?.state === 'closed'; i++) await store.head('k');
    expect(store.status().targets[0]?.state).not.toBe('closed');
    aws.down = undefined;
    while (store.status().targets[0]?.state !== 'halfOpen') await sleep(5);
    // The probe: aws says "not found"; trusting it finds no marker there, and the store gives aws
    // the epoch's marker (it was away at creation). Without the fix that write went through the
    // router and waited for the probe itself, the 60 s attempt time.
    expect(await store.head('missing')).toBeNull();
    expect(store.status().targets[0]?.state).toBe('closed');
    expect(await aws.head('_failover/epoch')).not.toBeNull();
    await store.close();
  });
});
