import { randomBytes } from 'node:crypto';
import { getBytes, IntegrityError, type MultiCloudEvents } from '@failover/storage';
import { faults } from '@failover/testkit';
import { describe, expect, it } from 'vitest';
import {
  CLOUD_NAMES,
  type CloudIndex,
  freshBuckets,
  multiStore,
  objectDownloads,
  useClouds,
} from './harness.js';

/**
 * A copy that went bad at rest: the sick cloud's object downloads answer whole, with the right
 * status, headers and length, and one byte's bits flipped (the fault proxy's `corrupt`). Real S3,
 * GCS and Azure through the proxy, each as the first cloud in turn. No read may return those bytes
 * as good (read whole and verified below `reads.bufferBytes`, streamed and verified as it ends
 * above it), the bad copy is reported (`integrityError`), and repair never copies it to a cloud
 * that lacks the write. Asserted by content and counts, never by time.
 */
const fixture = useClouds();

type Sick = CloudIndex;

/** The object downloads of each cloud, for keys under `c/`. */
const downloads = (sick: Sick, bucket: string): RegExp => objectDownloads(sick, bucket, 'c/');

async function setup(sick: Sick, label: string) {
  const { clouds, stores } = fixture;
  const buckets = await freshBuckets(clouds, `corrupt-${sick}-${label}`);
  const order = [sick, ...([0, 1, 2] as const).filter((i) => i !== sick)];
  const { store } = await multiStore(clouds, buckets, {
    targets: order.map((i) => buckets.viaProxy[i]),
    writes: 'mirror',
  });
  stores.push(store);
  const corrupt = (afterBytes: number) =>
    clouds.proxies[sick].setFault(
      faults.corrupt({ afterBytes, match: { method: 'GET', path: downloads(sick, buckets.name) } }),
    );
  const integrity: MultiCloudEvents['integrityError'][] = [];
  store.on('integrityError', (e) => integrity.push(e));
  return { buckets, store, corrupt, integrity, sickName: buckets.viaProxy[sick].name };
}

describe('a cloud that serves corrupted copies (real S3, GCS and Azure through the fault proxy)', () => {
  for (const sick of [0, 1, 2] as const) {
    it(`${CLOUD_NAMES[sick]} first: reads, whole and streamed, never return the bad bytes`, async () => {
      const { store, corrupt, integrity, sickName } = await setup(sick, 'reads');
      const bodies = new Map<string, Buffer>();
      // Below reads.bufferBytes (64 KiB): read whole and verified before get answers. Above it:
      // streamed, and verified as the stream ends.
      for (const [i, size] of [1024, 3000, 100 * 1024, 300 * 1024].entries()) {
        const key = `c/${i}`;
        const body = randomBytes(size);
        await store.put(key, body);
        bodies.set(key, body);
      }
      await corrupt(40);
      const failures: unknown[] = [];
      for (const [key, body] of bodies) {
        await getBytes(store, key).then(
          (got) => {
            // Either the right bytes or an error: never other bytes presented as the object.
            if (!got.equals(body)) failures.push(new Error(`${key}: other bytes returned as good`));
          },
          (err: unknown) => failures.push(err),
        );
      }
      expect(failures.filter((f) => f instanceof Error && f.message.includes('returned as good'))).toEqual(
        [],
      );
      // The small objects fail over before a byte reached the reader: never an error for them. A
      // streamed one (100 and 300 KiB) has handed its bytes over when the check fails at its end:
      // the stream fails with an IntegrityError instead of ending (the next read avoids the copy).
      for (const f of failures) {
        expect(f).toBeInstanceOf(IntegrityError);
        expect((f as IntegrityError).key).toMatch(/^c\/[23]$/);
      }
      // The bad copy is noticed and reported (integrityError), and queued for repair, on every
      // cloud alike: the GCS adapter checks each whole-object read against GCS's own MD5 first and
      // fails it (a ContentMismatchError), which the store treats as its own SHA-256 mismatch.
      // The copy is bad, not the cloud: its breaker counts nothing.
      expect(integrity.length).toBeGreaterThan(0);
      const sickFailures = store.status().targets.find((t) => t.name === sickName)!.failures;
      expect(Object.values(sickFailures).reduce((sum, n) => sum + n, 0)).toBe(0);
      expect(integrity.every((e) => e.target === sickName)).toBe(true);
      for (const key of ['c/0', 'c/1']) {
        expect((await getBytes(store, key)).equals(bodies.get(key)!)).toBe(true);
      }
    });

    it(`${CLOUD_NAMES[sick]} first: repair copies a missed write from a cloud that verifies, never the bad copy`, async () => {
      const { buckets, store, corrupt, sickName } = await setup(sick, 'repair');
      const lagging = ([0, 1, 2] as const).find((i) => i !== sick)!;
      const body = randomBytes(2048);
      // The lagging cloud misses the write (its proxy refuses); the sick one and the third take it.
      await fixture.clouds.proxies[lagging].setFault(faults.refuse());
      await store.put('c/missed', body);
      await fixture.clouds.proxies[lagging].setFault(faults.pass());
      await corrupt(10);
      fixture.clouds.proxies[sick].resetCounts();
      store.recover(buckets.viaProxy[lagging].name);
      await store.repair();
      await store.repair();
      // Repair asked the sick cloud (the first) for the bytes, and got the damaged ones.
      expect(fixture.clouds.proxies[sick].counts.byFault.corrupt).toBeGreaterThan(0);
      const copy = await getBytes(buckets.direct[lagging], 'c/missed');
      expect(copy.equals(body)).toBe(true);
      // The sick cloud's copy is intact on its server: only its answers were damaged.
      expect((await getBytes(buckets.direct[sick], 'c/missed')).equals(body)).toBe(true);
      expect(sickName).toBe(buckets.viaProxy[sick].name);
    });
  }
});
