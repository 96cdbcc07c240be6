import { createGcsStore } from '@failover/gcs';
import { type BlobStore, NotFoundError, readAll } from '@failover/storage';
import type { GcsLocalServer } from '@failover/testkit';
import type { FileMetadata } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnownVersions } from '../src/known-versions.js';
import { startEmulator, uniqueBucket } from './helpers.js';

// A whole-object get of a key the store knows sends the download alone and uses the remembered
// metadata only when the server's answer names the same generation and metageneration. Every
// change made by another writer (bytes, metadata, delete) must show at once.

let server: GcsLocalServer;

beforeAll(async () => {
  server = await startEmulator();
});

afterAll(async () => {
  await server?.stop();
});

/** Two stores over one fresh bucket (two app instances), plus a third with no cache. */
async function stores(options: { metadataCacheSize?: number } = {}): Promise<{
  mine: BlobStore;
  theirs: BlobStore;
  bucketName: string;
}> {
  const bucketName = uniqueBucket('known');
  await server.createBucket(bucketName);
  const bucket = () => server.clientFor(server.origin, { sdkRetries: 0 }).bucket(bucketName);
  return {
    mine: createGcsStore({ bucket: bucket(), ...options }),
    theirs: createGcsStore({ bucket: bucket(), metadataCacheSize: 0 }),
    bucketName,
  };
}

/** The requests `run` sent for the bucket's objects, as JSON API operation names. */
async function requestsOf(bucketName: string, run: () => Promise<unknown>): Promise<string[]> {
  server.emulator.clearRequests();
  await run();
  return server.emulator.requests
    .filter((r) => r.bucket === bucketName && r.object !== undefined)
    .map((r) => r.operation);
}

async function text(
  store: BlobStore,
  key: string,
): Promise<{ text: string; metadata: Record<string, string> }> {
  const { info, body } = await store.get(key);
  return { text: (await readAll(body)).toString(), metadata: info.metadata };
}

describe('GCS store: remembered metadata', () => {
  it('reads a key it wrote with one request, and its bytes and metadata are the ones written', async () => {
    const { mine, bucketName } = await stores();
    const put = await mine.put('k', 'first', { metadata: { v: '1' } });
    const got: Awaited<ReturnType<BlobStore['get']>>[] = [];
    const sent = await requestsOf(bucketName, async () => {
      got.push(await mine.get('k'));
    });
    expect(sent).toEqual(['objects.download']);
    const [{ info, body }] = got as [Awaited<ReturnType<BlobStore['get']>>];
    expect(info.etag).toBe(put.etag);
    expect(info.metadata).toEqual({ v: '1' });
    expect(info.checksums).toEqual(put.checksums);
    expect((await readAll(body)).toString()).toBe('first');
  });

  it('sees bytes another writer replaced, and then knows the new version', async () => {
    const { mine, theirs, bucketName } = await stores();
    await mine.put('k', 'first', { metadata: { v: '1' } });
    await theirs.put('k', 'second!', { metadata: { v: '2' } });
    expect(await text(mine, 'k')).toEqual({ text: 'second!', metadata: { v: '2' } });
    expect(await requestsOf(bucketName, () => text(mine, 'k'))).toEqual(['objects.download']);
  });

  it('sees metadata another writer changed on the same bytes (a new metageneration)', async () => {
    const { mine, theirs } = await stores();
    const first = await mine.put('k', 'same bytes', { metadata: { v: '1' } });
    if (theirs.setMetadata === undefined) throw new Error('the GCS store has setMetadata');
    const changed = await theirs.setMetadata('k', { v: '2', stamp: 'x' });
    expect(changed.etag).not.toBe(first.etag);
    const { info, body } = await mine.get('k');
    expect(info.metadata).toEqual({ v: '2', stamp: 'x' });
    expect(info.etag).toBe(changed.etag);
    expect((await readAll(body)).toString()).toBe('same bytes');
  });

  it('finds nothing once another writer deleted the key, and the new object when it is written again', async () => {
    const { mine, theirs } = await stores();
    await mine.put('k', 'first');
    await theirs.delete('k');
    await expect(mine.get('k')).rejects.toBeInstanceOf(NotFoundError);
    await theirs.put('k', 'again');
    expect((await text(mine, 'k')).text).toBe('again');
  });

  it('remembers what it read, not only what it wrote', async () => {
    const { mine, theirs, bucketName } = await stores();
    await theirs.put('k', 'theirs');
    expect((await requestsOf(bucketName, () => text(mine, 'k'))).sort()).toEqual([
      'objects.download',
      'objects.get',
    ]);
    expect(await requestsOf(bucketName, () => text(mine, 'k'))).toEqual(['objects.download']);
  });

  it('with metadataCacheSize 0, reads the metadata beside the bytes on every get', async () => {
    const { mine, bucketName } = await stores({ metadataCacheSize: 0 });
    await mine.put('k', 'first');
    for (let i = 0; i < 2; i++) {
      expect(await requestsOf(bucketName, () => text(mine, 'k'))).toHaveLength(2);
    }
  });

  it('keeps at most metadataCacheSize keys, dropping the least recently used', async () => {
    const { mine, bucketName } = await stores({ metadataCacheSize: 2 });
    await mine.put('a', 'a');
    await mine.put('b', 'b');
    await text(mine, 'a'); // a is now the most recent
    await mine.put('c', 'c'); // b goes
    expect(await requestsOf(bucketName, () => text(mine, 'a'))).toHaveLength(1);
    expect(await requestsOf(bucketName, () => text(mine, 'c'))).toHaveLength(1);
    expect(await requestsOf(bucketName, () => text(mine, 'b'))).toHaveLength(2);
  });

  it('a range read still reads the metadata first', async () => {
    const { mine } = await stores();
    await mine.put('k', '0123456789');
    const { body } = await mine.get('k', { range: { start: 2, end: 4 } });
    expect((await readAll(body)).toString()).toBe('234');
  });
});

describe('KnownVersions', () => {
  const resource = (generation: unknown, metageneration: unknown): FileMetadata =>
    ({
      name: 'x',
      size: 1,
      generation,
      metageneration,
      md5Hash: 'abc',
      kmsKeyName: 'dropped',
    }) as unknown as FileMetadata;

  it.each([
    ['numbers', 5, 1, { generation: '5', metageneration: '1' }],
    ['decimal strings', '1700000000000001', '3', { generation: '1700000000000001', metageneration: '3' }],
    ['no metageneration', '5', undefined, undefined],
    ['no generation', undefined, '1', undefined],
    ['a generation that is not a number', 'x5', '1', undefined],
  ])('remembers a resource with %s: %j', (_label, generation, metageneration, expected) => {
    const known = new KnownVersions(4);
    known.remember('k', resource(generation, metageneration));
    const got = known.get('k');
    expect(
      got === undefined ? undefined : { generation: got.generation, metageneration: got.metageneration },
    ).toEqual(expected);
  });

  it('keeps only the fields it reads', () => {
    const known = new KnownVersions(4);
    known.remember('k', resource('5', '1'));
    expect(known.get('k')?.resource).toEqual({
      name: 'x',
      size: 1,
      generation: '5',
      metageneration: '1',
      md5Hash: 'abc',
    });
  });

  it('a resource without a version replaces the remembered one by nothing', () => {
    const known = new KnownVersions(4);
    known.remember('k', resource('5', '1'));
    known.remember('k', resource(undefined, undefined));
    expect(known.get('k')).toBeUndefined();
  });

  it('capacity 0 keeps nothing', () => {
    const known = new KnownVersions(0);
    known.remember('k', resource('5', '1'));
    expect(known.size).toBe(0);
  });
});
