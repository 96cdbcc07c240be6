import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGcsStore } from '@failover/gcs';
import {
  type BlobInfo,
  type BlobStore,
  InvalidArgumentError,
  InvalidKeyError,
  isPrefixEntry,
  type ListEntry,
  NotFoundError,
  PreconditionFailedError,
  readAll,
} from '@failover/storage';
import { createFaultProxy, type FaultProxy, type GcsLocalServer } from '@failover/testkit';
import type { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteStream, recordingProxy, startEmulator, text, uniqueBucket } from './helpers.js';

let server: GcsLocalServer;
let proxy: FaultProxy;
let seen: string[];
let client: Storage;

beforeAll(async () => {
  server = await startEmulator();
  ({ proxy, seen } = await recordingProxy(server.origin));
  client = server.clientFor(proxy.url, { sdkRetries: 0 });
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

async function freshStore(
  options: { prefix?: string; resumableThreshold?: number; chunkSize?: number } = {},
) {
  const name = uniqueBucket('store');
  await server.createBucket(name);
  const bucket = client.bucket(name);
  return { bucket, name, store: createGcsStore({ bucket, ...options }) };
}

async function collect(
  store: BlobStore,
  options: Parameters<BlobStore['list']>[0] = {},
): Promise<ListEntry[]> {
  const out: ListEntry[] = [];
  for await (const e of store.list(options)) out.push(e);
  return out;
}

const hex = (algo: 'md5', data: Buffer) => createHash(algo).update(data).digest('hex');

describe('put paths', () => {
  it('sends small byte bodies as one multipart request and large ones through a resumable session', async () => {
    const { store, name } = await freshStore({ resumableThreshold: 1024 });
    seen.length = 0;
    await store.put('small.bin', Buffer.alloc(100, 1));
    expect(seen.filter((s) => s.includes('uploadType=multipart'))).toHaveLength(1);
    expect(seen.some((s) => s.includes('uploadType=resumable'))).toBe(false);

    seen.length = 0;
    const big = randomBytes(5000);
    const info = await store.put('big.bin', big, { contentType: 'application/x-test', metadata: { a: '1' } });
    expect(seen.filter((s) => s.startsWith('POST') && s.includes('uploadType=resumable'))).toHaveLength(1);
    expect(seen.some((s) => s.startsWith('PUT'))).toBe(true);
    expect(info).toMatchObject({
      key: 'big.bin',
      size: 5000,
      contentType: 'application/x-test',
      metadata: { a: '1' },
    });
    expect(info.checksums.md5).toBe(hex('md5', big));
    const got = await store.get('big.bin');
    expect(Buffer.compare(await readAll(got.body), big)).toBe(0);
    expect(name).toBeTruthy();
  });

  it('uploads streams resumably, and in chunks when chunkSize is set', async () => {
    const { store } = await freshStore({ chunkSize: 256 * 1024 });
    const data = randomBytes(600 * 1024);
    seen.length = 0;
    const info = await store.put('chunked.bin', byteStream(data));
    const puts = seen.filter((s) => s.startsWith('PUT'));
    expect(puts.length).toBe(3);
    expect(info.size).toBe(data.length);
    expect(info.checksums.md5).toBe(hex('md5', data));
    expect(Buffer.compare(await readAll((await store.get('chunked.bin')).body), data)).toBe(0);
  });

  it('uses a multipart upload for a stream whose size hint is below the threshold', async () => {
    const { store } = await freshStore();
    seen.length = 0;
    const info = await store.put('hinted.txt', Readable.from([Buffer.from('hello '), Buffer.from('world')]), {
      size: 11,
    });
    expect(seen.filter((s) => s.includes('uploadType=multipart'))).toHaveLength(1);
    expect(info.size).toBe(11);
    expect(await text(await store.get('hinted.txt'))).toBe('hello world');
  });

  it('writes empty bodies on both paths', async () => {
    const { store } = await freshStore({ resumableThreshold: 0 });
    expect((await store.put('empty-resumable', new Uint8Array(0))).size).toBe(0);
    expect((await store.put('empty-stream', Readable.from([]))).size).toBe(0);
    const { store: simple } = await freshStore();
    expect((await simple.put('empty-simple', '')).size).toBe(0);
    expect(await text(await store.get('empty-resumable'))).toBe('');
  });

  it('defaults the content type to application/octet-stream, not a guess from the key', async () => {
    const { store } = await freshStore();
    expect((await store.put('page.html', '<p>')).contentType).toBe('application/octet-stream');
    expect((await store.head('page.html'))?.contentType).toBe('application/octet-stream');
  });

  it('ifNoneMatch writes only when the key is free, on both paths', async () => {
    const { store } = await freshStore({ resumableThreshold: 10 });
    await store.put('once', 'short', { ifNoneMatch: '*' });
    await expect(store.put('once', 'again', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    await store.put('once-big', 'a body over ten bytes', { ifNoneMatch: '*' });
    const err = await store.put('once-big', 'another long body', { ifNoneMatch: '*' }).catch((e) => e);
    expect(err).toBeInstanceOf(PreconditionFailedError);
    expect(err).toMatchObject({ kind: 'precondition', key: 'once-big', target: store.name });
    expect(await text(await store.get('once-big'))).toBe('a body over ten bytes');
  });
});

describe('checksums and metadata', () => {
  it('reports md5 and crc32c as hex and round-trips metadata and content type', async () => {
    const { store } = await freshStore();
    const body = Buffer.from('The quick brown fox jumps over the lazy dog');
    const info = await store.put('fox.txt', body, {
      contentType: 'text/plain; charset=utf-8',
      metadata: { Owner: 'Ada', trace_id: 'x y z' },
    });
    const expected = {
      key: 'fox.txt',
      size: body.length,
      contentType: 'text/plain; charset=utf-8',
      metadata: { owner: 'Ada', trace_id: 'x y z' },
      checksums: { md5: hex('md5', body), crc32c: '22620404' },
    };
    expect(info).toMatchObject(expected);
    expect(await store.head('fox.txt')).toMatchObject(expected);
    expect((await store.get('fox.txt')).info).toMatchObject(expected);
    const listed = (await collect(store)).find(
      (e): e is BlobInfo => !isPrefixEntry(e) && e.key === 'fox.txt',
    );
    expect(listed).toMatchObject(expected);
    expect(info.lastModified).toBeInstanceOf(Date);
    expect(typeof info.etag).toBe('string');
  });

  it('lowercases metadata keys written by other tools', async () => {
    const { store, bucket } = await freshStore();
    await bucket
      .file('foreign')
      .save('x', { resumable: false, metadata: { metadata: { MixedCase: 'v', n: 1 } } });
    expect((await store.head('foreign'))?.metadata).toEqual({ mixedcase: 'v', n: '1' });
  });

  it('rejects bad metadata and keys before any request', async () => {
    const { store } = await freshStore();
    seen.length = 0;
    await expect(store.put('k', 'x', { metadata: { 'bad-key': 'v' } })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(store.put('a/../b', 'x')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.get('')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.copy('ok', 'a/./b')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.put('k', 42 as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(seen).toEqual([]);
  });
});

describe('get', () => {
  it('reads ranges with an inclusive end, clamps the end and returns whole-object info', async () => {
    const { store } = await freshStore();
    await store.put('digits', '0123456789');
    const r = await store.get('digits', { range: { start: 2, end: 4 } });
    expect(await text(r)).toBe('234');
    expect(r.info.size).toBe(10);
    expect(await text(await store.get('digits', { range: { start: 7 } }))).toBe('789');
    expect(await text(await store.get('digits', { range: { start: 8, end: 100 } }))).toBe('89');
    expect(await text(await store.get('digits', { range: { start: 0, end: 9 } }))).toBe('0123456789');
  });

  it('returns an empty body for a range starting at or past the end', async () => {
    const { store } = await freshStore();
    await store.put('digits', '0123456789');
    for (const start of [10, 11, 1000]) {
      const r = await store.get('digits', { range: { start } });
      expect(await text(r)).toBe('');
      expect(r.info.size).toBe(10);
    }
  });

  it('throws NotFoundError for a missing key and validates ranges', async () => {
    const { store } = await freshStore();
    const err = await store.get('missing').catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ kind: 'not_found', key: 'missing', target: store.name });
    await expect(store.get('missing', { range: { start: 5, end: 2 } })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  /**
   * Runs `replace` with a store over a fault proxy that holds the first media download 1.5 s
   * (held before it is forwarded), once it is held: the object can then be replaced between its
   * metadata and its bytes. Returns the number of media downloads the proxy saw.
   */
  async function replacedMidGet(
    bucketName: string,
    key: string,
    replace: () => Promise<unknown>,
    check: (r: Awaited<ReturnType<BlobStore['get']>>) => Promise<void>,
  ): Promise<number> {
    const slow = await createFaultProxy({ target: server.origin, flavor: 'gcs' });
    try {
      let media = 0;
      let held!: () => void;
      const heldNow = new Promise<void>((resolve) => {
        held = resolve;
      });
      await slow.setFault({
        type: 'latency',
        ms: 1500,
        match: (r) => {
          if (!/alt=media/.test(r.url) || ++media !== 1) return false;
          held();
          return true;
        },
      });
      const slowStore = createGcsStore({ bucket: server.clientFor(slow.url).bucket(bucketName) });
      const pending = slowStore.get(key);
      await heldNow;
      await replace();
      await check(await pending);
      return media;
    } finally {
      await slow.close();
    }
  }

  it('keeps info and bytes of the same generation when the object is replaced mid-get', async () => {
    const { store, bucket, name } = await freshStore();
    await store.put('v', 'first');
    await replacedMidGet(
      name,
      'v',
      () => bucket.file('v').save('second version', { resumable: false }),
      async (r) => {
        const body = await text(r);
        expect(body.length).toBe(r.info.size);
        expect(body).toBe('second version');
      },
    );
  });

  it('re-reads a large object replaced mid-get: the download released unread resets nothing', async () => {
    // The first download (the new generation) is released after its first bytes; the client used
    // to destroy its whole keep-alive pool then, resetting the re-read's requests (ECONNRESET).
    const { store, bucket, name } = await freshStore();
    const second = randomBytes(4 * 1024 * 1024);
    await store.put('big', randomBytes(4 * 1024 * 1024));
    const media = await replacedMidGet(
      name,
      'big',
      () => bucket.file('big').save(second, { resumable: false }),
      async (r) => {
        expect(Buffer.compare(await readAll(r.body), second)).toBe(0);
      },
    );
    expect(media).toBe(2);
  });
});

describe('head, exists, delete', () => {
  it('answers null / false for missing keys and deletes idempotently', async () => {
    const { store } = await freshStore();
    expect(await store.head('nope')).toBeNull();
    expect(await store.exists('nope')).toBe(false);
    await store.put('here', 'x');
    expect(await store.exists('here')).toBe(true);
    await store.delete('here');
    await store.delete('here');
    expect(await store.exists('here')).toBe(false);
  });
});

describe('delete with ifMatch', () => {
  it("sends the seen version's ifGenerationMatch and ifMetagenerationMatch, so GCS refuses it if anything changed meanwhile", async () => {
    const { store, bucket } = await freshStore();
    const written = await store.put('k', 'v1', { metadata: { n: '1' } });
    const [resource] = await bucket.file('k').getMetadata();
    seen.length = 0;
    await store.delete('k', { ifMatch: written.etag! });
    const deletes = seen.filter((r) => r.startsWith('DELETE '));
    expect(deletes).toHaveLength(1);
    const query = new URL(deletes[0]!.slice('DELETE '.length), 'http://x').searchParams;
    expect(query.get('ifGenerationMatch')).toBe(String(resource.generation));
    expect(query.get('ifMetagenerationMatch')).toBe(String(resource.metageneration));
    expect(await store.exists('k')).toBe(false);
  });

  it('a stale etag (a newer generation, or the same generation with new metadata) deletes nothing', async () => {
    const { store } = await freshStore();
    const first = await store.put('k', 'v1');
    const second = await store.put('k', 'v2');
    await expect(store.delete('k', { ifMatch: first.etag! })).rejects.toBeInstanceOf(PreconditionFailedError);
    const patched = await store.setMetadata!('k', { n: '2' });
    expect(patched.etag).not.toBe(second.etag);
    await expect(store.delete('k', { ifMatch: second.etag! })).rejects.toMatchObject({
      name: 'PreconditionFailedError',
      kind: 'precondition',
      key: 'k',
    });
    expect(await text(await store.get('k'))).toBe('v2');
    await store.delete('k', { ifMatch: patched.etag! });
    expect(await store.exists('k')).toBe(false);
  });
});

describe('list', () => {
  it('merges objects and common prefixes in key order, across pages', async () => {
    const { store } = await freshStore();
    for (const k of ['a.txt', 'b/1', 'b/2', 'c.txt', 'd/x/y', 'e']) await store.put(k, k);
    for (const pageSize of [1, 2, 3, 1000]) {
      const entries = await collect(store, { delimiter: '/', pageSize });
      expect(entries.map((e) => (isPrefixEntry(e) ? `P:${e.prefix}` : e.key))).toEqual([
        'a.txt',
        'P:b/',
        'c.txt',
        'P:d/',
        'e',
      ]);
    }
    const flat = await collect(store, { prefix: 'b/', pageSize: 1 });
    expect(flat.map((e) => (isPrefixEntry(e) ? e.prefix : e.key))).toEqual(['b/1', 'b/2']);
    expect(flat[0]).toMatchObject({ size: 3, metadata: {}, contentType: 'application/octet-stream' });
  });

  it('lists in UTF-8 byte order', async () => {
    const { store } = await freshStore();
    const keys = ['z', '\u00e9', '\uff21', '\u{1f600}', 'A'];
    for (const k of keys) await store.put(k, 'x');
    const listed = (await collect(store, { pageSize: 2 })).map((e) => (isPrefixEntry(e) ? e.prefix : e.key));
    expect(listed).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });
});

describe('prefix isolation', () => {
  it('keeps keys of two prefixed stores apart in one bucket and never shows the prefix', async () => {
    const name = uniqueBucket('prefix');
    await server.createBucket(name);
    const bucket = client.bucket(name);
    const a = createGcsStore({ bucket, prefix: 'tenant-a/' });
    const b = createGcsStore({ bucket, prefix: 'tenant-b/' });
    const whole = createGcsStore({ bucket });

    const info = await a.put('doc/1', 'from a', { metadata: { who: 'a' } });
    expect(info.key).toBe('doc/1');
    await b.put('doc/1', 'from b');
    await whole.put('root', 'r');

    expect(await text(await a.get('doc/1'))).toBe('from a');
    expect(await text(await b.get('doc/1'))).toBe('from b');
    expect(await a.exists('root')).toBe(false);
    expect((await collect(a)).map((e) => (isPrefixEntry(e) ? e.prefix : e.key))).toEqual(['doc/1']);
    expect(await collect(a, { delimiter: '/' })).toEqual([{ prefix: 'doc/' }]);
    expect(
      (await collect(whole, { delimiter: '/' })).map((e) => (isPrefixEntry(e) ? e.prefix : e.key)),
    ).toEqual(['root', 'tenant-a/', 'tenant-b/']);
    const [files] = await bucket.getFiles({ prefix: 'tenant-a/' });
    expect(files.map((f) => f.name)).toEqual(['tenant-a/doc/1']);

    const copied = await a.copy('doc/1', 'doc/2');
    expect(copied).toMatchObject({ key: 'doc/2', metadata: { who: 'a' } });
    expect(await b.exists('doc/2')).toBe(false);
    await a.delete('doc/1');
    expect(await b.exists('doc/1')).toBe(true);
  });
});

describe('copy', () => {
  it('copies content, content type and metadata; missing source is NotFoundError', async () => {
    const { store } = await freshStore();
    await store.put('src', 'payload', { contentType: 'text/x', metadata: { k: 'v' } });
    const info = await store.copy('src', 'dst');
    expect(info).toMatchObject({ key: 'dst', size: 7, contentType: 'text/x', metadata: { k: 'v' } });
    expect(await text(await store.get('dst'))).toBe('payload');
    const err = await store.copy('nothing', 'dst2').catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.key).toBe('nothing');
  });

  it('ifNoneMatch refuses to overwrite the destination', async () => {
    const { store } = await freshStore();
    await store.put('src', 'new');
    await store.put('dst', 'old');
    const err = await store.copy('src', 'dst', { ifNoneMatch: '*' }).catch((e) => e);
    expect(err).toBeInstanceOf(PreconditionFailedError);
    expect(err.key).toBe('dst');
    expect(await text(await store.get('dst'))).toBe('old');
    expect((await store.copy('src', 'fresh', { ifNoneMatch: '*' })).key).toBe('fresh');
  });
});
