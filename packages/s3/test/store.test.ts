import { createHash } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  InvalidArgumentError,
  InvalidKeyError,
  isPrefixEntry,
  NotFoundError,
  PreconditionFailedError,
  readAll,
} from '@failover/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { createS3Store } from '../src/index.js';
import { collect, patternBytes, sha256, useS3rver } from './s3rver.js';

const MiB = 1024 * 1024;

describe('createS3Store against s3rver', () => {
  const s3 = useS3rver();

  it('writes bytes with one PutObject and reports size, etag, md5, type and metadata', async () => {
    const bucket = await s3.freshBucket();
    const store = createS3Store({ client: s3.server.client, bucket });
    const body = Buffer.from('hello world');
    const info = await store.put('docs/hello.txt', body, {
      contentType: 'text/plain',
      metadata: { Owner: 'ops', run_id: '42' },
    });
    const md5 = createHash('md5').update(body).digest('hex');
    expect(info).toMatchObject({
      key: 'docs/hello.txt',
      size: body.length,
      etag: md5,
      contentType: 'text/plain',
      metadata: { owner: 'ops', run_id: '42' },
      checksums: { md5 },
    });
    const head = await store.head('docs/hello.txt');
    expect(head).toMatchObject({
      size: body.length,
      etag: md5,
      contentType: 'text/plain',
      checksums: { md5 },
    });
    expect(head?.metadata).toEqual({ owner: 'ops', run_id: '42' });
    expect(head?.lastModified).toBeInstanceOf(Date);
    const got = await store.get('docs/hello.txt');
    expect(got.info).toEqual(head);
    expect((await readAll(got.body)).toString()).toBe('hello world');
  });

  it('defaults the content type to application/octet-stream', async () => {
    const store = createS3Store({ client: s3.server.client, bucket: await s3.freshBucket() });
    expect((await store.put('bin', new Uint8Array([1, 2, 3]))).contentType).toBe('application/octet-stream');
    expect((await store.head('bin'))?.contentType).toBe('application/octet-stream');
  });

  it('reads ranges with info describing the whole object, and past the end as empty', async () => {
    const store = createS3Store({ client: s3.server.client, bucket: await s3.freshBucket() });
    await store.put('r', '0123456789');
    const mid = await store.get('r', { range: { start: 2, end: 5 } });
    expect(mid.info.size).toBe(10);
    expect((await readAll(mid.body)).toString()).toBe('2345');
    const tail = await store.get('r', { range: { start: 7 } });
    expect((await readAll(tail.body)).toString()).toBe('789');
    const clamped = await store.get('r', { range: { start: 8, end: 100 } });
    expect((await readAll(clamped.body)).toString()).toBe('89');
    const past = await store.get('r', { range: { start: 10 } });
    expect(past.info.size).toBe(10);
    expect((await readAll(past.body)).length).toBe(0);
    await store.put('empty', new Uint8Array(0));
    const empty = await store.get('empty', { range: { start: 0 } });
    expect(empty.info.size).toBe(0);
    expect((await readAll(empty.body)).length).toBe(0);
    const emptyPast = await store.get('empty', { range: { start: 3 } });
    expect((await readAll(emptyPast.body)).length).toBe(0);
    await expect(store.get('missing', { range: { start: 5 } })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('validates keys, ranges and options before calling S3', async () => {
    const store = createS3Store({ client: s3.server.client, bucket: 'no-such-bucket-needed' });
    await expect(store.get('a/../b')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.put('', 'x')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.get('k', { range: { start: 5, end: 2 } })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(store.put('k', 'x', { metadata: { 'bad-key': 'v' } })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(store.put('k', 'x', { size: 2 })).rejects.toMatchObject({ argument: 'size' });
    await expect(collect(store.list({ pageSize: 0 }))).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('uploads streams and large bodies in parts, bytes intact, no md5 claimed for multipart', async () => {
    const store = createS3Store({
      client: s3.server.client,
      bucket: await s3.freshBucket(),
      partSize: 5 * MiB,
      multipartThreshold: 10 * MiB,
    });
    const big = patternBytes(12 * MiB + 17, 7);
    const fromBytes = await store.put('big-bytes', big);
    expect(fromBytes.size).toBe(big.length);
    expect(fromBytes.checksums.md5).toBeUndefined();
    const fromStream = await store.put('big-stream', Readable.from(chunks(big, 64 * 1024)), {
      size: big.length,
    });
    expect(fromStream.size).toBe(big.length);
    expect(fromStream.checksums.md5).toBeUndefined();
    for (const key of ['big-bytes', 'big-stream']) {
      expect(sha256(await readAll((await store.get(key)).body))).toBe(sha256(big));
    }
    const small = await store.put('small-stream', Readable.from([Buffer.from('a'), Buffer.from('bc')]));
    expect(small).toMatchObject({
      size: 3,
      checksums: { md5: createHash('md5').update('abc').digest('hex') },
    });
    const web = new Blob([Buffer.from('from a web stream')]).stream();
    expect((await store.put('web', web)).size).toBe(17);
    expect((await readAll((await store.get('web')).body)).toString()).toBe('from a web stream');
  });

  it('sends bodies of known size up to multipartThreshold in one PutObject, streams as they are read', async () => {
    const bucket = await s3.freshBucket();
    const store = createS3Store({
      client: s3.server.client,
      bucket,
      partSize: 5 * MiB,
      multipartThreshold: 12 * MiB,
    });
    const big = patternBytes(12 * MiB, 9);
    const requests = await requestsTo(bucket, async () => {
      const fromStream = await store.put('one-put', Readable.from(chunks(big, 64 * 1024)), {
        size: big.length,
        metadata: { run: '1' },
      });
      expect(fromStream).toMatchObject({
        size: big.length,
        checksums: { md5: createHash('md5').update(big).digest('hex') },
        metadata: { run: '1' },
      });
    });
    expect(requests).toEqual([`PUT /${bucket}/one-put`]);
    expect(sha256(await readAll((await store.get('one-put')).body))).toBe(sha256(big));
    expect((await store.head('one-put'))?.metadata).toEqual({ run: '1' });
    // One byte over the threshold: a multipart upload; no size given: a multipart upload too.
    const over = patternBytes(12 * MiB + 1, 10);
    const multipart = await requestsTo(bucket, async () => {
      await store.put('over', Readable.from(chunks(over, 64 * 1024)), { size: over.length });
      await store.put('unsized', Readable.from(chunks(big, 64 * 1024)));
    });
    expect(multipart.filter((r) => r.startsWith('POST') && r.endsWith('?uploads='))).toHaveLength(2);
    expect(multipart.filter((r) => r === `PUT /${bucket}/over` || r === `PUT /${bucket}/unsized`)).toEqual(
      [],
    );
    expect(sha256(await readAll((await store.get('over')).body))).toBe(sha256(over));
    expect(sha256(await readAll((await store.get('unsized')).body))).toBe(sha256(big));
    // Bytes up to the threshold: one PutObject with their MD5.
    const bytes = await requestsTo(bucket, () => store.put('bytes', big));
    expect(bytes).toEqual([`PUT /${bucket}/bytes`]);
  });

  it.each([
    ['fails after its last byte', 0, true],
    ['ends one byte short', -1, false],
    ['runs one chunk long', 64 * 1024, false],
  ])('a streamed PutObject whose body %s stores nothing', async (_label, extra, failAtEnd) => {
    const bucket = await s3.freshBucket();
    const store = createS3Store({ client: s3.server.client, bucket, partSize: 5 * MiB });
    const size = 6 * MiB;
    const body = patternBytes(size + Math.max(extra, 0), 11).subarray(0, size + extra);
    const boom = new Error('the source failed at its very end');
    const source = Readable.from(
      (async function* () {
        yield* chunks(body, 64 * 1024);
        // Give the request time to send every byte it was handed before the failure.
        await new Promise((r) => setTimeout(r, 200));
        if (failAtEnd) throw boom;
      })(),
    );
    // A stream of known size over one part: one streamed PutObject (as the test above shows; an
    // aborted request is never announced on the channel that test reads, so it is not seen here).
    const err = await store.put('partial', source, { size }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid', key: 'partial' });
    if (failAtEnd) expect((err as Error & { cause?: unknown }).cause).toBe(boom);
    else expect(err).toMatchObject({ argument: 'size' });
    expect(await store.exists('partial')).toBe(false);
  });

  it('fails a stream whose size differs from the size given, and writes nothing', async () => {
    const store = createS3Store({ client: s3.server.client, bucket: await s3.freshBucket() });
    const short = Readable.from([Buffer.from('abc')]);
    await expect(store.put('short', short, { size: 4 })).rejects.toMatchObject({
      kind: 'invalid',
      argument: 'size',
    });
    await expect(store.put('long', Readable.from([Buffer.from('abcde')]), { size: 4 })).rejects.toMatchObject(
      {
        argument: 'size',
      },
    );
    expect(await store.exists('short')).toBe(false);
    expect(await store.exists('long')).toBe(false);
  });

  it('reports a failing body stream as kind invalid with the stream error as cause, writes nothing', async () => {
    const store = createS3Store({ client: s3.server.client, bucket: await s3.freshBucket() });
    const boom = Object.assign(new Error('disk read failed'), { code: 'ECONNRESET' });
    const body = new Readable({
      read() {
        this.destroy(boom);
      },
    });
    const err = await store.put('broken', body).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid', key: 'broken', target: store.name, cause: boom });
    expect(await store.exists('broken')).toBe(false);
  });

  it('lists objects and common prefixes in key order, page by page', async () => {
    const store = createS3Store({ client: s3.server.client, bucket: await s3.freshBucket() });
    // s3rver misses a common prefix whose objects all sit deeper (c/x/y alone): keep c/x.
    const keys = ['b/2', 'a', 'b/1', 'c/x', 'd', 'é', 'z'];
    for (const key of keys) await store.put(key, key);
    const all = await collect(store.list({ pageSize: 2 }));
    expect(all.map((e) => (isPrefixEntry(e) ? e.prefix : e.key))).toEqual([...keys].sort());
    const first = all[0];
    expect(first).toMatchObject({ key: 'a', size: 1, metadata: {}, checksums: {} });
    expect(first && !isPrefixEntry(first) ? first.lastModified : undefined).toBeInstanceOf(Date);
    // s3rver loses common prefixes across pages (real S3 does not), so one page here.
    const grouped = await collect(store.list({ delimiter: '/' }));
    expect(grouped.map((e) => (isPrefixEntry(e) ? `prefix:${e.prefix}` : e.key))).toEqual([
      'a',
      'prefix:b/',
      'prefix:c/',
      'd',
      'z',
      'é',
    ]);
    const underB = await collect(store.list({ prefix: 'b/' }));
    expect(underB.map((e) => (isPrefixEntry(e) ? e.prefix : e.key))).toEqual(['b/1', 'b/2']);
  });

  it('keeps a prefix invisible and other keys out of reach', async () => {
    const bucket = await s3.freshBucket();
    const app = createS3Store({ client: s3.server.client, bucket, prefix: 'app/' });
    const other = createS3Store({ client: s3.server.client, bucket, prefix: 'other/' });
    const root = createS3Store({ client: s3.server.client, bucket });
    expect(app.name).toBe(`s3:${bucket}/app/`);
    await app.put('dir/one', '1');
    await other.put('dir/one', 'other');
    await root.put('top', 't');
    expect((await app.head('dir/one'))?.key).toBe('dir/one');
    const raw = await s3.server.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'app/dir/one' }));
    expect(raw.ContentLength).toBe(1);
    expect(await app.exists('top')).toBe(false);
    expect((await collect(app.list())).map((e) => (isPrefixEntry(e) ? e.prefix : e.key))).toEqual([
      'dir/one',
    ]);
    expect(
      (await collect(app.list({ delimiter: '/' }))).map((e) => (isPrefixEntry(e) ? e.prefix : '')),
    ).toEqual(['dir/']);
    const copied = await app.copy('dir/one', 'dir/two');
    expect(copied.key).toBe('dir/two');
    expect((await readAll((await app.get('dir/two')).body)).toString()).toBe('1');
    await app.delete('dir/one');
    expect((await readAll((await other.get('dir/one')).body)).toString()).toBe('other');
    expect((await collect(root.list())).map((e) => (isPrefixEntry(e) ? e.prefix : e.key))).toEqual([
      'app/dir/two',
      'other/dir/one',
      'top',
    ]);
    // 4 + 1021 bytes: over S3's 1024 with the prefix; refused before any request.
    await expect(app.put('k'.repeat(1021), 'x')).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it('copies with content type and metadata, keys with spaces, unicode and punctuation', async () => {
    const store = createS3Store({ client: s3.server.client, bucket: await s3.freshBucket() });
    const from = "dir one/ünï cödé (1)*!~'.txt";
    await store.put(from, 'payload', { contentType: 'text/x-test', metadata: { tag: 'v1' } });
    const info = await store.copy(from, 'dst/copy of it.txt');
    expect(info).toMatchObject({
      key: 'dst/copy of it.txt',
      size: 7,
      contentType: 'text/x-test',
      metadata: { tag: 'v1' },
    });
    expect((await readAll((await store.get('dst/copy of it.txt')).body)).toString()).toBe('payload');
    await expect(store.copy('nope', 'x')).rejects.toMatchObject({ kind: 'not_found', key: 'nope' });
    await expect(store.copy('nope', 'x')).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.copy(from, from)).toMatchObject({ key: from, size: 7 });
    await expect(store.copy(from, from, { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
  });

  it('copies keys with reserved characters (CopySource encoded as S3 requires)', async () => {
    const bucket = await s3.freshBucket();
    const from = 'from ?#&= 😀+%/a;b,c:d@e$f';
    const store = createS3Store({ client: s3.server.client, bucket });
    await store.put(from, 'payload');
    expect((await store.copy(from, 'to/日本語 [x]')).size).toBe(7);
    expect((await readAll((await store.get('to/日本語 [x]')).body)).toString()).toBe('payload');
  });

  it('deletes, and deleting a missing key is fine', async () => {
    const store = createS3Store({ client: s3.server.client, bucket: await s3.freshBucket() });
    await store.put('gone', 'x');
    await store.delete('gone');
    expect(await store.exists('gone')).toBe(false);
    expect(await store.head('gone')).toBeNull();
    await store.delete('gone');
    await expect(store.get('gone')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reports a missing bucket as not_found and says so', async () => {
    const store = createS3Store({ client: s3.server.client, bucket: 'bucket-that-does-not-exist' });
    const err = await store.get('k').catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'not_found', target: store.name });
    expect(String((err as Error).message)).toMatch(/bucket "bucket-that-does-not-exist" does not exist/);
    await expect(store.delete('k')).rejects.toMatchObject({ kind: 'not_found' });
  });
});

describe('ifNoneMatch on s3rver', () => {
  const s3 = useS3rver();

  it("native (the default): S3's If-None-Match refuses to overwrite, for bytes, streams and copies", async () => {
    const store = createS3Store({
      client: s3.server.client,
      bucket: await s3.freshBucket(),
      partSize: 5 * MiB,
    });
    await store.put('k', 'first');
    await expect(store.put('k', 'second', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    // A stream over one part goes through a multipart upload: checked at CompleteMultipartUpload.
    const big = Readable.from([Buffer.alloc(6 * MiB, 1)]);
    await expect(store.put('k', big, { ifNoneMatch: '*' })).rejects.toMatchObject({
      kind: 'precondition',
      key: 'k',
    });
    await store.put('src', 'source');
    await expect(store.copy('src', 'k', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect((await store.copy('src', 'new', { ifNoneMatch: '*' })).size).toBe(6);
    expect((await readAll((await store.get('k')).body)).toString()).toBe('first');
  });

  it('native: of concurrent conditional writes from separate stores, exactly one wins', async () => {
    const bucket = await s3.freshBucket();
    const stores = Array.from({ length: 8 }, () => createS3Store({ client: s3.server.client, bucket }));
    const results = await Promise.allSettled(
      stores.map((store, i) => store.put('once', `w${i}`, { ifNoneMatch: '*' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailedError);
  });

  it('emulated: refuses to overwrite, for bytes, streams and copies', async () => {
    const store = createS3Store({
      client: s3.server.client,
      bucket: await s3.freshBucket(),
      conditionalWrites: 'emulated',
    });
    expect((await store.put('k', 'first', { ifNoneMatch: '*' })).size).toBe(5);
    await expect(store.put('k', 'second', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    const refused = Readable.from([Buffer.from('x')]);
    await expect(store.put('k', refused, { ifNoneMatch: '*' })).rejects.toMatchObject({
      kind: 'precondition',
      key: 'k',
      target: store.name,
    });
    expect(refused.destroyed).toBe(true);
    await store.put('src', 'source');
    await expect(store.copy('src', 'k', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect((await store.copy('src', 'new', { ifNoneMatch: '*' })).size).toBe(6);
    expect((await readAll((await store.get('k')).body)).toString()).toBe('first');
  });

  it('emulated: of concurrent conditional writes through one store, exactly one wins', async () => {
    const store = createS3Store({
      client: s3.server.client,
      bucket: await s3.freshBucket(),
      conditionalWrites: 'emulated',
    });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => store.put('race', `writer ${i}`, { ifNoneMatch: '*' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailedError);
    }
  });
});

describe('ifMatch on s3rver', () => {
  const s3 = useS3rver();

  it("native: S3's If-Match, also on a multipart upload's CompleteMultipartUpload; a missing key is a failed precondition", async () => {
    const store = createS3Store({
      client: s3.server.client,
      bucket: await s3.freshBucket(),
      partSize: 5 * MiB,
    });
    const first = await store.put('k', 'first');
    const second = await store.put('k', 'second');
    // A stream over one part goes through a multipart upload: checked when it completes.
    const stale = Readable.from([Buffer.alloc(6 * MiB, 1)]);
    await expect(store.put('k', stale, { ifMatch: first.etag! })).rejects.toMatchObject({
      name: 'PreconditionFailedError',
      kind: 'precondition',
      key: 'k',
    });
    expect((await readAll((await store.get('k')).body)).toString()).toBe('second');
    const fresh = await store.put('k', Readable.from([Buffer.alloc(6 * MiB, 2)]), { ifMatch: second.etag! });
    expect(fresh.size).toBe(6 * MiB);
    expect((await store.head('k'))?.etag).toBe(fresh.etag);
    const missing = await store.put('nothing-here', 'x', { ifMatch: first.etag! }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(PreconditionFailedError);
    expect(String((missing as Error).message)).toMatch(/no object exists/);
  });

  it('emulated: checks the etag with a HeadObject first and still sends If-Match', async () => {
    const store = createS3Store({
      client: s3.server.client,
      bucket: await s3.freshBucket(),
      conditionalWrites: 'emulated',
    });
    const first = await store.put('k', 'first');
    await store.put('k', 'second');
    const refused = Readable.from([Buffer.from('late')]);
    await expect(store.put('k', refused, { ifMatch: first.etag! })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect(refused.destroyed).toBe(true);
    await expect(store.put('gone', 'x', { ifMatch: first.etag! })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    const current = await store.head('k');
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) => store.put('k', `writer ${i}`, { ifMatch: current!.etag! })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});

describe('conditional deletes and metadata replaces on s3rver', () => {
  const s3 = useS3rver();
  const clients: S3Client[] = [];
  afterAll(() => {
    for (const client of clients.splice(0)) client.destroy();
  });

  /**
   * A client of the server whose next command named `command` first runs `hook` (once): what lands
   * between the store's HeadObject and its next request. The hook goes through the official SDK's
   * own middleware stack; the requests still reach s3rver.
   */
  function hookedClient(): {
    client: S3Client;
    before: (command: string, hook: () => Promise<unknown>) => void;
  } {
    const client = s3.server.clientFor(s3.server.origin);
    clients.push(client);
    let pending: { command: string; hook: () => Promise<unknown> } | undefined;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const p = pending;
        if (p !== undefined && context.commandName === p.command) {
          pending = undefined;
          await p.hook();
        }
        return next(args);
      },
      { step: 'initialize', name: 'failoverTestInterpose' },
    );
    const before = (command: string, hook: () => Promise<unknown>): void => {
      pending = { command, hook };
    };
    return { client, before };
  }

  for (const mode of ['native', 'emulated'] as const) {
    it(`${mode}: delete with ifMatch deletes the version seen, refuses another one (kept), and a missing key is no error`, async () => {
      const bucket = await s3.freshBucket();
      const store = createS3Store({ client: s3.server.client, bucket, conditionalWrites: mode });
      const seen = await store.put('k', 'seen');
      const newer = await store.put('k', 'newer', { metadata: { by: 'other' } });
      const refused = await store.delete('k', { ifMatch: seen.etag! }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(PreconditionFailedError);
      expect(refused).toMatchObject({ kind: 'precondition', key: 'k', target: store.name });
      expect((await readAll((await store.get('k')).body)).toString()).toBe('newer');
      await store.delete('k', { ifMatch: newer.etag! });
      expect(await store.head('k')).toBeNull();
      await store.delete('k', { ifMatch: newer.etag! });
      await store.delete('never', { ifMatch: newer.etag! });
    });
  }

  it('native: a newer version landing between a look and the delete survives (If-Match on DeleteObject)', async () => {
    const bucket = await s3.freshBucket();
    const { client, before } = hookedClient();
    const store = createS3Store({ client, bucket });
    const seen = await store.put('k', 'v1');
    before('DeleteObjectCommand', () =>
      s3.server.client.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v2 from another writer' }),
      ),
    );
    await expect(store.delete('k', { ifMatch: seen.etag! })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect((await readAll((await store.get('k')).body)).toString()).toBe('v2 from another writer');
  });

  it('setMetadata with ifMatch: a newer version landing between its HeadObject and its CopyObject keeps its own bytes and metadata', async () => {
    const bucket = await s3.freshBucket();
    const { client, before } = hookedClient();
    const store = createS3Store({ client, bucket });
    const seen = await store.put('k', 'v1', { metadata: { version: '1' } });
    before('CopyObjectCommand', () =>
      s3.server.client.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v2', Metadata: { version: '2' } }),
      ),
    );
    const refused = await store.setMetadata!(
      'k',
      { version: '1', stamped: 'yes' },
      { ifMatch: seen.etag! },
    ).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PreconditionFailedError);
    const now = await store.get('k');
    expect((await readAll(now.body)).toString()).toBe('v2');
    expect(now.info.metadata).toEqual({ version: '2' });
    // With the current etag it goes through.
    const stamped = await store.setMetadata!(
      'k',
      { version: '2', stamped: 'yes' },
      { ifMatch: now.info.etag! },
    );
    expect(stamped.metadata).toEqual({ version: '2', stamped: 'yes' });
  });
});

describe('checksum modes of the client', () => {
  const s3 = useS3rver();

  it.each([
    ['WHEN_SUPPORTED (the SDK default)', true],
    ['WHEN_REQUIRED', false],
  ])('with %s every body shape arrives intact', async (_mode, sdkDefault) => {
    const bucket = await s3.freshBucket();
    const client = sdkDefault ? s3.defaultChecksumClient() : s3.server.client;
    const store = createS3Store({ client, bucket, partSize: 5 * MiB });
    const shapes: [string, () => Parameters<typeof store.put>[1], Buffer][] = [];
    const small = patternBytes(100_000, 3);
    const big = patternBytes(11 * MiB + 5, 4);
    shapes.push(['small-bytes', () => small, small]);
    shapes.push(['small-stream', () => Readable.from(chunks(small, 10_000)), small]);
    shapes.push(['big-bytes', () => big, big]);
    shapes.push(['big-stream', () => Readable.from(chunks(big, 256 * 1024)), big]);
    shapes.push(['string', () => 'text body', Buffer.from('text body')]);
    for (const [key, body, expected] of shapes) {
      const info = await store.put(key, body());
      expect(info.size).toBe(expected.length);
      // Read back through the WHEN_REQUIRED client too: the stored bytes, not the SDK's view.
      const raw = await s3.server.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(sha256(Buffer.from(await raw.Body!.transformToByteArray()))).toBe(sha256(expected));
      expect(sha256(await readAll((await store.get(key)).body))).toBe(sha256(expected));
    }
  });

  it('shows why: a stream sent straight to PutObject by the default client is stored corrupted', async () => {
    const bucket = await s3.freshBucket();
    const client = s3.defaultChecksumClient();
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'direct',
        Body: Readable.from([Buffer.from('hello stream')]),
        ContentLength: 12,
      }),
    );
    const stored = await readAll((await createS3Store({ client, bucket }).get('direct')).body);
    expect(stored.toString()).not.toBe('hello stream');
    expect(stored.toString()).toContain('x-amz-checksum-crc32');
  });
});

/** Where {@link requestsTo} records the requests it sees. */
let recording: { bucket: string; into: string[] } | undefined;
// Subscribed once: on Node 20, subscribing again after an unsubscribe can miss publications.
diagnostics.subscribe('http.client.request.start', (message) => {
  const { request } = message as { request: { method: string; path: string } };
  const path = request.path.replace(/\?x-id=\w+$/, '');
  if (recording && path.startsWith(`/${recording.bucket}/`)) recording.into.push(`${request.method} ${path}`);
});

/**
 * The requests (`METHOD /path?query`, without the SDK's `x-id`) sent to `bucket` while `fn` runs,
 * seen on Node's `http.client.request.start` channel (`into` keeps them when `fn` fails).
 */
async function requestsTo<T>(bucket: string, fn: () => Promise<T>, into: string[] = []): Promise<string[]> {
  recording = { bucket, into };
  try {
    await fn();
  } finally {
    recording = undefined;
  }
  return into;
}

function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
