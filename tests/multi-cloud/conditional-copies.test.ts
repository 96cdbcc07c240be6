import { getText } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { useClouds } from './harness.js';
import {
  behindCloud,
  CLOUDS,
  expectEverywhere,
  otherWriter,
  reconcileOnce,
  repairOnce,
} from './interposed.js';

// Repair and reconcile copy a version to a cloud after looking at what it holds. Against the real
// servers (s3rver, the GCS emulator, Azurite) through the official SDKs: whatever lands on that
// cloud between the look and the copy (another writer's newer version, a late request of an older
// one) is never replaced by an older version, because the copy is a provider conditional write
// (S3 If-Match / If-None-Match, GCS ifGenerationMatch, Azure If-Match) on what was seen.

describe('multi-cloud store: conditional copies on the real servers', () => {
  const env = useClouds();

  /** `key` at v1 everywhere (unless `behindHoldsV1` is false), then v2 while cloud `behind` is down. */
  const v2Behind = (behind: number, behindHoldsV1: boolean) =>
    behindCloud(env, 'cond', behind, {
      before: (store, key) => (behindHoldsV1 ? store.put(key, 'v1') : Promise.resolve()),
      during: async (store, key) => {
        if (!behindHoldsV1) await store.put(key, 'v1');
        await store.put(key, 'v2');
      },
    });

  describe.each(CLOUDS.map((name, i) => [name, i] as const))('the cloud behind is %s', (_name, behind) => {
    for (const during of ['repair', 'reconcile'] as const) {
      for (const holdsV1 of [true, false]) {
        it(`${during}: another writer's newer version landing before the copy stays (the cloud held ${holdsV1 ? 'v1' : 'nothing'})`, async () => {
          const { store, targets, buckets, key } = await v2Behind(behind, holdsV1);
          const other = otherWriter(env, buckets, behind);
          targets[behind]!.interpose = async () => {
            expect(await getText(other, key)).toBe('v2');
            await other.put(key, 'v3');
          };
          if (during === 'repair') {
            const report = await repairOnce(store);
            expect(report.failed).toEqual([]);
            expect(report.conflicts).toBe(1);
          } else {
            const report = await reconcileOnce(store);
            expect(report.errors).toEqual([]);
            expect(report.copied).toBe(0);
            expect(report.conflicts).toBe(1);
          }
          expect(targets[behind]!.interpose).toBeUndefined(); // it ran
          expect(store.status().journal.backlog).toBe(0);
          await expectEverywhere(buckets, key, 'v3');
          expect(await getText(store, key)).toBe('v3');
        });
      }

      it(`${during}: a late request of v1 landing again before the copy: it looks again and copies v2`, async () => {
        const { store, targets, buckets, key } = await v2Behind(behind, true);
        const direct = buckets.direct[behind]!;
        const v1 = await direct.head(key);
        targets[behind]!.interpose = () =>
          direct.put(key, 'v1', { contentType: v1!.contentType!, metadata: v1!.metadata });
        if (during === 'repair') {
          const report = await repairOnce(store);
          expect(report.failed).toEqual([]);
          expect(report.repaired).toBe(1);
        } else {
          const report = await reconcileOnce(store);
          expect(report.errors).toEqual([]);
          expect(report.copied).toBe(1);
        }
        expect(targets[behind]!.interpose).toBeUndefined();
        expect(store.status().journal.backlog).toBe(0);
        await expectEverywhere(buckets, key, 'v2');
      });
    }
  });
});
