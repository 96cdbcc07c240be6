import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { classifyFailure } from '@failover/core';
import { classifyGcsError } from '@failover/gcs';
import { type BlobStore, ContentMismatchError, readAll, StorageError } from '@failover/storage';
import { type FaultProxy, faults, type GcsLocalServer } from '@failover/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBehindProxy } from './helpers.js';

// Integrity failures are produced for real: the fault proxy answers in the server's place with
// bytes or an object resource whose checksums do not match, and the client's own validation
// detects it.

let server: GcsLocalServer;
let proxy: FaultProxy;
let store: BlobStore;
let bucketName: string;

beforeAll(async () => {
  ({ server, proxy, bucketName, store } = await startBehindProxy('integrity'));
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

beforeEach(async () => {
  await proxy.setFault({ type: 'pass' });
});

const b64 = (hex: string | undefined) => Buffer.from(hex ?? '', 'hex').toString('base64');

describe('download validation', () => {
  it.each([
    ['no range', undefined],
    ['a range covering the whole object', { start: 0, end: 15 }],
    ['a range from 0 with no end', { start: 0 }],
  ])(
    'fails a whole-object read (%s) whose bytes do not match the checksum, with kind unavailable',
    async (_label, range) => {
      const info = await store.put('genuine', 'genuine content!');
      await proxy.setFault(
        faults.status(200, {
          match: { path: /alt=media/ },
          body: 'tampered content',
          headers: {
            'content-type': 'application/octet-stream',
            'x-goog-hash': `crc32c=${b64(info.checksums.crc32c)},md5=${b64(info.checksums.md5)}`,
            'x-goog-stored-content-encoding': 'identity',
          },
        }),
      );
      // A small body fails `get` itself (the check runs before the first byte is handed over); a
      // larger one fails its body at the end. Either way no unverified read succeeds.
      const err = await store
        .get('genuine', range ? { range } : {})
        .then(({ body }) => readAll(body))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect(err).toMatchObject({ kind: 'unavailable', key: 'genuine', target: store.name });
      // Typed, so a multi-cloud store reports and repairs the copy instead of blaming the cloud;
      // which copy failed is said when the check ran before get answered.
      expect(err).toBeInstanceOf(ContentMismatchError);
      expect(err).toMatchObject({
        checksum: 'md5',
        expected: b64(info.checksums.md5),
        info: { etag: info.etag },
      });
      const cause = (err as StorageError).cause as { code?: unknown };
      expect(cause.code).toBe('CONTENT_DOWNLOAD_MISMATCH');
      expect(classifyGcsError(cause)).toBe('unavailable');
      expect(classifyFailure(cause)).toBe('unavailable');
    },
  );
});

describe('download validation of the read that asks for the metadata and the bytes at once', () => {
  // The tampered answer names the object's real generation, so the store hands it out (checked
  // against the metadata's MD5) instead of reading the metadata first.
  it.each([
    ['a small object fails get itself', 16],
    ['a large object fails its body at the end', 200 * 1024],
  ])('%s', async (_label, size) => {
    const key = `genuine-${size}`;
    const genuine = Buffer.alloc(size, 7);
    const info = await store.put(key, genuine);
    const [meta] = await server.clientFor(server.origin).bucket(bucketName).file(key).getMetadata();
    const tampered = Buffer.from(genuine);
    tampered[size - 1] = 8;
    await proxy.setFault(
      faults.status(200, {
        match: { path: /alt=media/ },
        body: tampered,
        headers: {
          'content-type': 'application/octet-stream',
          'x-goog-generation': String(meta.generation),
          'x-goog-hash': `crc32c=${b64(info.checksums.crc32c)},md5=${b64(info.checksums.md5)}`,
          'x-goog-stored-content-encoding': 'identity',
        },
      }),
    );
    let handedOut = false;
    const err = await store
      .get(key)
      .then(({ body }) => {
        handedOut = true;
        return readAll(body);
      })
      .catch((e: unknown) => e);
    expect(handedOut).toBe(size > 64 * 1024);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ kind: 'unavailable', key, target: store.name });
    expect(((err as StorageError).cause as { code?: unknown }).code).toBe('CONTENT_DOWNLOAD_MISMATCH');
    expect(err).toBeInstanceOf(ContentMismatchError);
    // A body already handed out says nothing more: its reader has the info.
    expect((err as ContentMismatchError).info === undefined).toBe(size > 64 * 1024);
    await proxy.setFault({ type: 'pass' });
    expect((await readAll((await store.get(key)).body)).equals(genuine)).toBe(true);
  });
});

describe('upload validation', () => {
  it('a streamed upload is checked by the MD5 of the bytes sent, which the server stored', async () => {
    const data = Buffer.alloc(300 * 1024, 5);
    const info = await store.put('streamed-ok', Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
    expect(info.checksums.md5).toBe(createHash('md5').update(data).digest('hex'));
    expect((await readAll((await store.get('streamed-ok')).body)).equals(data)).toBe(true);
  });

  it.each([
    ['multipart', 'small!', { path: /uploadType=multipart/ }],
    ['resumable', 'x'.repeat(2048), { method: 'PUT' }],
    // Checked against the MD5 computed as the stream was sent (the client's crc32c is off).
    ['streamed', 'y'.repeat(2048), { method: 'PUT' }],
  ] as const)(
    'a %s upload the server stored differently is never reported as written',
    async (label, data, match) => {
      const key = `mismatch-${label}`;
      await proxy.setFault(
        faults.status(200, {
          match,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            kind: 'storage#object',
            name: key,
            bucket: bucketName,
            generation: '1',
            metageneration: '1',
            size: String(data.length),
            contentType: 'application/octet-stream',
            crc32c: 'AAAAAA==',
            md5Hash: 'AAAAAAAAAAAAAAAAAAAAAA==',
          }),
        }),
      );
      const body = label === 'streamed' ? Readable.from([Buffer.from(data)]) : data;
      const err = await store.put(key, body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect(err).toMatchObject({ kind: 'unavailable', key });
      const cause = (err as StorageError).cause as { code?: unknown };
      expect(['FILE_NO_UPLOAD', 'FILE_NO_UPLOAD_DELETE']).toContain(cause.code);
      expect(classifyFailure(cause)).toBe('unavailable');
      await proxy.setFault({ type: 'pass' });
      expect(await store.exists(key)).toBe(false);
    },
  );
});
