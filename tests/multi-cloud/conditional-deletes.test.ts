import { getText, type MultiCloudStore, NotFoundError } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { type Buckets, useClouds } from './harness.js';
import {
  behindCloud,
  CLOUDS,
  expectEverywhere,
  expectNowhere,
  otherWriter,
  repairOnce,
} from './interposed.js';

// Repair and reconcile settle a delete on a cloud that missed it (it was down) after looking at
// what that cloud holds. Against the real servers (s3rver, the GCS emulator, Azurite) through the
// official SDKs: a newer version that lands there between the look and the delete (another
// writer's write, or a late request of a newer write) is never deleted, because the delete is
// conditional on the copy seen (S3 If-Match on DeleteObject, GCS ifGenerationMatch +
// ifMetagenerationMatch, Azure If-Match); a late request of the deleted version itself is
// deleted after a second look.

describe('multi-cloud store: conditional deletes on the real servers', () => {
  const env = useClouds();

  /** `key` at v1 everywhere, then deleted while cloud `behind` is down: it still holds v1. */
  const deleteBehind = (behind: number) =>
    behindCloud(env, 'cond-del', behind, {
      before: (store, key) => store.put(key, 'v1'),
      during: (store, key) => store.delete(key),
    });

  /**
   * Moves `other`'s clock past the delete's version (a read of a key the store wrote after it), so
   * what `other` writes next is newer than the delete, as a write made after it would be.
   */
  async function after(store: MultiCloudStore, other: MultiCloudStore): Promise<void> {
    await store.put('clock', 'after the delete');
    expect(await getText(other, 'clock')).toBe('after the delete');
  }

  /** Runs repair or reconcile; what it reports, in the same shape. */
  async function settle(store: MultiCloudStore, during: 'repair' | 'reconcile') {
    if (during === 'repair') {
      const r = await repairOnce(store);
      return { errors: r.failed, conflicts: r.conflicts, done: r.repaired };
    }
    const r = await store.reconcile({ prefix: 'k/' });
    return { errors: r.errors, conflicts: r.conflicts, done: r.deleted };
  }

  /** Replays, straight onto cloud `to`, the copy of `key` that cloud `from` holds: a request landing late. */
  async function landLate(buckets: Buckets, key: string, from: number, to: number): Promise<void> {
    const { info, body } = await buckets.direct[from]!.get(key);
    const bytes = Buffer.concat(await body.toArray());
    await buckets.direct[to]!.put(key, bytes, { contentType: info.contentType!, metadata: info.metadata });
  }

  describe.each(CLOUDS.map((name, i) => [name, i] as const))('the cloud behind is %s', (_name, behind) => {
    for (const during of ['repair', 'reconcile'] as const) {
      it(`${during}: another writer's newer version landing before the delete stays`, async () => {
        const { store, targets, buckets, key } = await deleteBehind(behind);
        const other = otherWriter(env, buckets, behind);
        await after(store, other);
        targets[behind]!.interpose = () => other.put(key, 'v3');
        const report = await settle(store, during);
        expect(targets[behind]!.interpose, JSON.stringify(report)).toBeUndefined(); // it ran // it ran
        expect(report.errors).toEqual([]);
        expect(report.conflicts).toBe(1);
        expect(report.done).toBe(0);
        expect(store.status().journal.backlog).toBe(0);
        await expectEverywhere(buckets, key, 'v3');
        expect(await getText(store, key)).toBe('v3');
      });

      it(`${during}: a late request of a newer write landing before the delete stays`, async () => {
        const { store, targets, buckets, key } = await deleteBehind(behind);
        const other = otherWriter(env, buckets, behind, true);
        await after(store, other);
        // After the look: a newer write reaches the two other clouds, and its request to this one
        // lands late, just before the delete.
        targets[behind]!.interpose = async () => {
          await other.put(key, 'v3');
          await landLate(buckets, key, behind === 0 ? 1 : 0, behind);
        };
        const report = await settle(store, during);
        expect(targets[behind]!.interpose, JSON.stringify(report)).toBeUndefined(); // it ran
        expect(report.errors).toEqual([]);
        expect(report.conflicts).toBe(1);
        expect(store.status().journal.backlog).toBe(0);
        await expectEverywhere(buckets, key, 'v3');
      });

      it(`${during}: a late request of v1 landing again before the delete: it looks again and deletes it`, async () => {
        const { store, targets, buckets, key } = await deleteBehind(behind);
        const direct = buckets.direct[behind]!;
        const v1 = await direct.head(key);
        targets[behind]!.interpose = () =>
          direct.put(key, 'v1', { contentType: v1!.contentType!, metadata: v1!.metadata });
        const report = await settle(store, during);
        expect(targets[behind]!.interpose, JSON.stringify(report)).toBeUndefined(); // it ran
        expect(report.errors).toEqual([]);
        expect(report.done).toBe(1);
        expect(store.status().journal.backlog).toBe(0);
        await expectNowhere(buckets, key);
        await expect(store.get(key)).rejects.toBeInstanceOf(NotFoundError);
      });
    }
  });
});
