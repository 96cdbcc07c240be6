import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getBytes, IntegrityError, type MultiCloudStore, SHA256_KEY } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { freshBuckets, multiStore, useClouds } from './harness.js';

// Big bodies against the real servers (s3rver, the GCS emulator, Azurite) through the official
// SDKs: a stream of known size goes to S3 in one streamed PutObject (the adapter's default
// multipartThreshold is 100 MiB), a copy streams its source, and a corrupt source leaves no copy.

const MiB = 1024 * 1024;
/** Over the S3 adapter's 8 MiB part size: a stream of this size is one streamed PutObject. */
const BODY = randomBytes(12 * MiB + 321);
const HASH = createHash('sha256').update(BODY).digest('hex');

function streamOf(bytes: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 64 * 1024) chunks.push(bytes.subarray(at, at + 64 * 1024));
  return Readable.from(chunks, { objectMode: false });
}

async function settled(store: MultiCloudStore): Promise<void> {
  for (let i = 0; i < 400 && store.status().journal.backlog > 0; i++)
    await new Promise((r) => setTimeout(r, 10));
}

describe('multi-cloud store: big objects on the real servers', () => {
  const env = useClouds();

  it('a stream of known size reaches every cloud (S3: one streamed PutObject); copy streams it with its hash', async () => {
    const buckets = await freshBuckets(env.clouds, 'big');
    const { store } = await multiStore(env.clouds, buckets, { writes: 'mirror' });
    env.stores.push(store);
    const info = await store.put('big', streamOf(BODY), {
      size: BODY.length,
      contentType: 'application/x-big',
    });
    expect(info.checksums.sha256).toBe(HASH);
    await settled(store);
    expect(store.status().journal.backlog).toBe(0);
    for (const direct of buckets.direct) {
      expect((await direct.head('big'))!.metadata[SHA256_KEY]).toBe(HASH);
      expect((await getBytes(direct, 'big')).equals(BODY)).toBe(true);
    }
    const copy = await store.copy('big', 'copy');
    expect(copy.checksums.sha256).toBe(HASH);
    expect(copy.contentType).toBe('application/x-big');
    // Written with the source's hash at once: nothing was left to stamp.
    expect(store.status().journal.backlog).toBe(0);
    for (const direct of buckets.direct) {
      const head = (await direct.head('copy'))!;
      expect(head.metadata[SHA256_KEY]).toBe(HASH);
      expect(head.size).toBe(BODY.length);
      expect((await getBytes(direct, 'copy')).equals(BODY)).toBe(true);
    }
    expect((await getBytes(store, 'copy')).equals(BODY)).toBe(true);
  });

  it('a copy whose source is corrupt on S3 fails and leaves the copy on no cloud; the next copy reads a good holder', async () => {
    const buckets = await freshBuckets(env.clouds, 'corrupt-src');
    const { store } = await multiStore(env.clouds, buckets, { writes: 'mirror' });
    env.stores.push(store);
    await store.put('src', BODY);
    // Behind the store's back, through the S3 SDK: the last byte flipped, the metadata kept.
    const s3 = env.clouds.direct.s3;
    const head = await s3.send(new HeadObjectCommand({ Bucket: buckets.name, Key: 'src' }));
    const bad = Buffer.from(BODY);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    await s3.send(
      new PutObjectCommand({ Bucket: buckets.name, Key: 'src', Body: bad, Metadata: head.Metadata }),
    );
    const err = await store.copy('src', 'dst').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err).toMatchObject({ key: 'src', target: 'aws' });
    for (const direct of buckets.direct) expect(await direct.head('dst')).toBeNull();
    const info = await store.copy('src', 'dst');
    expect(info.checksums.sha256).toBe(HASH);
    for (const direct of buckets.direct) expect((await getBytes(direct, 'dst')).equals(BODY)).toBe(true);
  });
});
