import {
  type BlobStore,
  getText,
  type MultiCloudBlobInfo,
  type MultiCloudStore,
  readAll,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { freshBuckets, multiStore, useClouds } from './harness.js';
import { CLOUDS, expectEverywhere, expectNowhere, repairOnce } from './interposed.js';

// A request that ended without an answer may still land on its cloud much later than the store's
// settle window (`repair.settleMs`): a paused server, a proxy that held it. Against the real
// servers through the official SDKs, such a landing is replayed by writing the older copy (its
// bytes and metadata, as the store's own request carried them) straight to one server after a
// newer write was acknowledged everywhere and the window had passed. The store's reads must not
// serve it, and repair must bring the cloud back to the newest version.

/** What the store's request of the current version of `key` to `cloud` carried: replayed later. */
async function requestOf(cloud: BlobStore, key: string): Promise<() => Promise<void>> {
  const got = await cloud.get(key);
  if (got === null) throw new Error(`${key} is not on ${cloud.name}`);
  const bytes = await readAll(got.body);
  const { metadata, contentType } = got.info;
  return async () => {
    await cloud.put(key, bytes, { metadata, contentType });
  };
}

/** The objects a listing of the whole store returns. */
async function listed(store: MultiCloudStore): Promise<MultiCloudBlobInfo[]> {
  const out: MultiCloudBlobInfo[] = [];
  for await (const e of store.list()) if (!('prefix' in e)) out.push(e);
  return out;
}

async function listedKeys(store: MultiCloudStore): Promise<string[]> {
  return (await listed(store)).map((e) => e.key);
}

describe('multi-cloud store: a request that lands after the settle window', () => {
  const env = useClouds();

  /** The store reads `late`'s cloud first (its target order), so every read meets the late copy. */
  const setup = async (
    label: string,
    late: number,
  ): Promise<{
    store: MultiCloudStore;
    buckets: Awaited<ReturnType<typeof freshBuckets>>;
    stale: { key: string; target: string; version: string | undefined; newest: string }[];
  }> => {
    const buckets = await freshBuckets(env.clouds, label);
    // No automatic repair: the test runs it, after the read.
    const targets = [buckets.viaProxy[late]!, ...buckets.viaProxy.filter((_, i) => i !== late)];
    const { store } = await multiStore(env.clouds, buckets, {
      targets,
      repair: { intervalMs: false, delayMs: false, onRecovery: false, settleMs: 0 },
      // Every read must meet the late copy: no hold of a cloud slow on a loaded machine.
      unresponsive: false,
    });
    env.stores.push(store);
    const stale: { key: string; target: string; version: string | undefined; newest: string }[] = [];
    store.on('staleCopy', (e) => stale.push({ ...e }));
    return { store, buckets, stale };
  };

  describe.each(CLOUDS.map((name, i) => [name, i] as const))('landing on %s', (name, late) => {
    it('an overwritten version landing again is not read, and repair replaces it', async () => {
      const { store, buckets, stale } = await setup(`late-put-${late}`, late);
      const key = 'k';
      await store.put(key, 'v1');
      const replay = await requestOf(buckets.direct[late]!, key);
      await store.put(key, 'v2');
      await expectEverywhere(buckets, key, 'v2');
      await replay(); // v1's request lands on one cloud, long after its window

      expect(await getText(store, key)).toBe('v2');
      expect((await store.head(key))?.size).toBe(2);
      for (let i = 0; i < 5; i++) expect(await getText(store, key)).toBe('v2');
      expect(stale.length).toBeGreaterThan(0);
      expect(stale[0]).toMatchObject({ key, target: name });
      expect(store.status().counts.staleCopies).toBe(stale.length);
      expect(store.status().journal.backlog).toBe(1); // journaled once, however many reads met it

      const report = await repairOnce(store);
      expect(report.failed).toEqual([]);
      await expectEverywhere(buckets, key, 'v2');
      expect(store.status().journal.backlog).toBe(0);
    });

    it('a deleted version landing again is not listed, before any read met it', async () => {
      const { store, buckets, stale } = await setup(`late-list-del-${late}`, late);
      await store.put('a', 'kept');
      await store.put('k', 'v1');
      const replay = await requestOf(buckets.direct[late]!, 'k');
      await store.delete('k');
      await expectNowhere(buckets, 'k');
      expect((await repairOnce(store)).failed).toEqual([]);
      await replay();

      // The listed cloud (read first) holds the late copy: a listing must not bring the key back.
      expect(await listedKeys(store)).toEqual(['a']);
      expect(stale).toEqual([expect.objectContaining({ key: 'k', target: name })]);

      expect((await repairOnce(store)).failed).toEqual([]);
      await expectNowhere(buckets, 'k');
      expect(await listedKeys(store)).toEqual(['a']);
      expect(store.status().journal.backlog).toBe(0);
    });

    it('an overwritten version landing again is listed as the newest write', async () => {
      const { store, buckets, stale } = await setup(`late-list-put-${late}`, late);
      await store.put('k', 'v1');
      const replay = await requestOf(buckets.direct[late]!, 'k');
      const newest = await store.put('k', 'v2-longer');
      await expectEverywhere(buckets, 'k', 'v2-longer');
      await replay();

      const [entry] = await listed(store);
      expect(entry?.key).toBe('k');
      if (entry?.target !== name && entry?.target !== '') {
        // The listing moved on from the late cloud (its first page later than an attempt may take,
        // on a loaded machine): the next cloud lists the newest write.
        expect(entry).toMatchObject({ version: newest.version, size: 9 });
      } else if (name === 'aws') {
        // S3 lists no metadata, so no version: the entry is the cloud's (a put's key is not looked
        // at; every key written in the last hour would be). Reads still skip the copy.
        expect(entry?.version).toBeUndefined();
        expect(stale).toEqual([]);
      } else {
        expect(entry).toMatchObject({ version: newest.version, size: 9, target: '' });
        expect(entry?.checksums.sha256).toBe(newest.checksums.sha256);
        expect(stale).toEqual([expect.objectContaining({ key: 'k', target: name })]);
      }
      expect(await getText(store, 'k')).toBe('v2-longer');
      expect((await repairOnce(store)).failed).toEqual([]);
      await expectEverywhere(buckets, 'k', 'v2-longer');
      expect((await listed(store))[0]).toMatchObject({ key: 'k', size: 9 });
    });

    it('a deleted version landing again reads as not found, and repair deletes it', async () => {
      const { store, buckets, stale } = await setup(`late-del-${late}`, late);
      const key = 'k';
      await store.put(key, 'v1');
      const replay = await requestOf(buckets.direct[late]!, key);
      await store.delete(key);
      await expectNowhere(buckets, key);
      // Whatever the delete left pending (reads answer by it without asking a cloud) is settled.
      expect((await repairOnce(store)).failed).toEqual([]);
      expect(store.status().journal.backlog).toBe(0);
      await replay();

      await expect(store.get(key)).rejects.toMatchObject({ kind: 'not_found' });
      expect(await store.head(key)).toBeNull();
      expect(stale.length).toBeGreaterThan(0);
      expect(stale[0]).toMatchObject({ key, target: name });

      const report = await repairOnce(store);
      expect(report.failed).toEqual([]);
      await expectNowhere(buckets, key);
      expect(store.status().journal.backlog).toBe(0);
    });
  });
});
