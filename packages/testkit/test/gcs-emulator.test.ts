import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ApiError, FileMetadata, GetFilesOptions, Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { crc32cBase64 } from '../src/gcs/crc32c.js';
import { type GcsLocalServer, startGcsServer } from '../src/servers/gcs.js';

const MiB = 1024 * 1024;

let gcs: GcsLocalServer;
let storage: Storage;
let bucketCounter = 0;

beforeAll(async () => {
  gcs = await startGcsServer();
  storage = gcs.client;
});

afterAll(async () => {
  await gcs.stop();
});

/** A fresh bucket per test, so tests do not see each other's objects. */
async function freshBucket(): Promise<string> {
  bucketCounter += 1;
  const name = `bkt-${bucketCounter}`;
  await gcs.createBucket(name);
  return name;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Deterministic pseudo-random content (random bytes repeated), cheap to make at 20 MB. */
function content(size: number): Buffer {
  const block = randomBytes(64 * 1024);
  const out = Buffer.allocUnsafe(size);
  for (let at = 0; at < size; at += block.length) block.copy(out, at, 0, Math.min(block.length, size - at));
  return out;
}

/** Streams `data` in `piece`-byte chunks, like an application writing a large stream. */
function chunks(data: Buffer, piece = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < data.length; at += piece) yield data.subarray(at, at + piece);
    })(),
  );
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        parts.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(parts);
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected the call to fail');
}

describe('GCS emulator with @google-cloud/storage: buckets', () => {
  it('creates, finds, lists and deletes buckets', async () => {
    const [bucket] = await storage.createBucket('made-by-client');
    expect(bucket.name).toBe('made-by-client');
    expect((await storage.bucket('made-by-client').exists())[0]).toBe(true);
    expect((await storage.bucket('never-made').exists())[0]).toBe(false);
    const [metadata] = await storage.bucket('made-by-client').getMetadata();
    expect(metadata).toMatchObject({
      kind: 'storage#bucket',
      name: 'made-by-client',
      storageClass: 'STANDARD',
    });
    const [buckets] = await storage.getBuckets();
    expect(buckets.map((b) => b.name)).toContain('made-by-client');
    await storage.bucket('made-by-client').delete();
    expect((await storage.bucket('made-by-client').exists())[0]).toBe(false);
  });

  it('answers 409 for an existing bucket and for deleting a non-empty one', async () => {
    const name = await freshBucket();
    const exists = await rejection(storage.createBucket(name));
    expect(exists.code).toBe(409);
    expect(exists.errors?.[0]).toMatchObject({ reason: 'conflict' });
    await storage.bucket(name).file('keep').save('x', { resumable: false });
    const notEmpty = await rejection(storage.bucket(name).delete());
    expect(notEmpty.code).toBe(409);
    expect(notEmpty.message).toContain('not empty');
  });

  it('answers 400 invalid for a bad bucket name and 404 for a missing bucket', async () => {
    const bad = await rejection(storage.createBucket('Bad_Name!'));
    expect(bad.code).toBe(400);
    expect(bad.errors?.[0]).toMatchObject({ reason: 'invalid' });
    const missing = await rejection(storage.bucket('no-such-bucket').getFiles());
    expect(missing.code).toBe(404);
    expect(missing.message).toBe('The specified bucket does not exist.');
  });
});

describe('GCS emulator with @google-cloud/storage: upload and download', () => {
  let bucketName: string;
  beforeEach(async () => {
    bucketName = await freshBucket();
  });

  it.each([
    ['0 B', 0],
    ['1 B', 1],
    ['300 KB', 300 * 1024],
    ['5 MB', 5 * MiB],
  ])(
    'round-trips %s through save() multipart and resumable, with the client validating',
    async (_label, size) => {
      const data = content(size);
      for (const resumable of [false, true]) {
        const file = storage.bucket(bucketName).file(`obj-${size}-${resumable}`);
        await file.save(data, { resumable, contentType: 'application/x-test' });
        const [downloaded] = await file.download();
        expect(downloaded.length).toBe(size);
        expect(sha256(downloaded)).toBe(sha256(data));
        const [metadata] = await file.getMetadata();
        expect(metadata.size).toBe(String(size));
        expect(metadata.contentType).toBe('application/x-test');
        expect(metadata.crc32c).toBe(crc32cBase64(data));
        expect(metadata.md5Hash).toBe(createHash('md5').update(data).digest('base64'));
      }
    },
  );

  it('writes 20 MB through createWriteStream (one resumable request) and reads it back', async () => {
    const data = content(20 * MiB);
    const file = storage.bucket(bucketName).file('big/stream.bin');
    await pipeline(chunks(data), file.createWriteStream());
    const read = await readAll(file.createReadStream());
    expect(read.length).toBe(data.length);
    expect(sha256(read)).toBe(sha256(data));
    const puts = gcs.emulator.requests.filter(
      (r) => r.operation === 'uploads.put' && r.object === 'big/stream.bin',
    );
    expect(puts).toHaveLength(1);
  });

  it('writes 20 MB in 1 MiB chunks (308 until the last) and 1 MB in 256 KiB chunks', async () => {
    for (const [size, chunkSize] of [
      [20 * MiB, MiB],
      [MiB + 17, 256 * 1024],
    ] as const) {
      const data = content(size);
      const file = storage.bucket(bucketName).file(`chunked-${size}`);
      gcs.emulator.clearRequests();
      await pipeline(chunks(data, 100_000), file.createWriteStream({ chunkSize }));
      const puts = gcs.emulator.requests.filter((r) => r.operation === 'uploads.put');
      expect(puts.length).toBe(Math.ceil(size / chunkSize));
      expect(puts.slice(0, -1).every((r) => r.status === 308)).toBe(true);
      expect(puts.at(-1)?.status).toBe(200);
      const [downloaded] = await file.download();
      expect(sha256(downloaded)).toBe(sha256(data));
    }
  });

  it('writes an empty object through a chunked stream', async () => {
    const file = storage.bucket(bucketName).file('empty-chunked');
    await pipeline(Readable.from([]), file.createWriteStream({ chunkSize: 256 * 1024 }));
    const [metadata] = await file.getMetadata();
    expect(metadata.size).toBe('0');
    expect((await file.download())[0].length).toBe(0);
  });

  it('passes md5 validation on upload and download', async () => {
    const data = content(100_000);
    const file = storage.bucket(bucketName).file('md5-checked');
    await file.save(data, { validation: 'md5', resumable: false });
    const [downloaded] = await file.download({ validation: 'md5' });
    expect(sha256(downloaded)).toBe(sha256(data));
  });

  it('stores gzip uploads encoded and serves them so the client decompresses and validates', async () => {
    const text = 'compress me '.repeat(5000);
    const file = storage.bucket(bucketName).file('zipped.txt');
    await file.save(text, { gzip: true, contentType: 'text/plain', resumable: false });
    const [metadata] = await file.getMetadata();
    expect(metadata.contentEncoding).toBe('gzip');
    expect(Number(metadata.size)).toBeLessThan(text.length);
    const [downloaded] = await file.download();
    expect(downloaded.toString('utf8')).toBe(text);
  });

  it('serves byte ranges: start/end, open end, suffix, and 416 past the end', async () => {
    const data = Buffer.from('0123456789abcdef');
    const file = storage.bucket(bucketName).file('ranged');
    await file.save(data, { resumable: false });
    expect((await file.download({ start: 4, end: 7 }))[0].toString()).toBe('4567');
    expect((await file.download({ start: 10 }))[0].toString()).toBe('abcdef');
    expect((await file.download({ start: 12, end: 100 }))[0].toString()).toBe('cdef');
    expect((await file.download({ end: -3 }))[0].toString()).toBe('def');
    const past = await rejection(file.download({ start: 16 }));
    expect(past.code).toBe(416);
    const empty = storage.bucket(bucketName).file('empty');
    await empty.save('', { resumable: false });
    expect((await empty.download())[0].length).toBe(0);
    expect((await rejection(empty.download({ start: 0 }))).code).toBe(416);
  });

  it('refuses to overwrite with ifGenerationMatch: 0, and honours a matching generation', async () => {
    const file = storage.bucket(bucketName).file('once');
    await file.save('first', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const multipart = await rejection(
      file.save('second', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
    );
    expect(multipart.code).toBe(412);
    expect(multipart.errors?.[0]).toMatchObject({ domain: 'global', reason: 'conditionNotMet' });
    // The resumable path fails when the session is opened; the client surfaces gaxios' error.
    const resumable = (await rejection(
      file.save('second', { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } }),
    )) as unknown as { response?: { status?: number } };
    expect(resumable.response?.status).toBe(412);
    expect((await file.download())[0].toString()).toBe('first');

    const [metadata] = await file.getMetadata();
    const generation = Number(metadata.generation);
    const stale = await rejection(
      file.save('third', { resumable: false, preconditionOpts: { ifGenerationMatch: generation + 1 } }),
    );
    expect(stale.code).toBe(412);
    await file.save('third', { resumable: false, preconditionOpts: { ifGenerationMatch: generation } });
    expect((await file.download())[0].toString()).toBe('third');
    const [after] = await file.getMetadata();
    expect(Number(after.generation)).toBeGreaterThan(generation);
  });

  it('keeps object names exact: unicode, spaces, +, %, #, ?, emoji, slashes', async () => {
    const names = [
      'with space.txt',
      'plus+sign',
      'percent%20literal',
      'hash#and?question',
      'dir/sub dir/ünïcødé.txt',
      'emoji-😀/🚀.bin',
      'trailing/',
      'quote"\'&=;,',
      '日本語/ファイル',
    ];
    const bucket = storage.bucket(bucketName);
    for (const name of names) {
      await bucket.file(name).save(`content of ${name}`, { resumable: name.length % 2 === 0 });
    }
    for (const name of names) {
      expect((await bucket.file(name).download())[0].toString()).toBe(`content of ${name}`);
      expect((await bucket.file(name).getMetadata())[0].name).toBe(name);
    }
    const [files] = await bucket.getFiles();
    expect(files.map((f) => f.name).sort()).toEqual([...names].sort());
  });
});

describe('GCS emulator with @google-cloud/storage: metadata, exists, delete', () => {
  let bucketName: string;
  beforeEach(async () => {
    bucketName = await freshBucket();
  });

  it('reports exists() and 404 ApiErrors for missing objects', async () => {
    const file = storage.bucket(bucketName).file('maybe');
    expect((await file.exists())[0]).toBe(false);
    const missing = await rejection(file.getMetadata());
    expect(missing.code).toBe(404);
    expect(missing.errors?.[0]).toMatchObject({ domain: 'global', reason: 'notFound' });
    expect(missing.message).toBe(`No such object: ${bucketName}/maybe`);
    await file.save('here', { resumable: false });
    expect((await file.exists())[0]).toBe(true);
  });

  it('returns the full object resource', async () => {
    const file = storage.bucket(bucketName).file('a/b.txt');
    await file.save('hello', {
      resumable: false,
      metadata: { contentType: 'text/plain', metadata: { k: 'v' } },
    });
    const [m] = await file.getMetadata();
    expect(m).toMatchObject({
      kind: 'storage#object',
      name: 'a/b.txt',
      bucket: bucketName,
      size: '5',
      contentType: 'text/plain',
      metageneration: '1',
      storageClass: 'STANDARD',
      crc32c: crc32cBase64(Buffer.from('hello')),
      md5Hash: createHash('md5').update('hello').digest('base64'),
      metadata: { k: 'v' },
    });
    expect(m.generation).toMatch(/^\d+$/);
    expect(m.id).toBe(`${bucketName}/a/b.txt/${m.generation}`);
    expect(m.selfLink).toBe(`${gcs.origin}/storage/v1/b/${bucketName}/o/a%2Fb.txt`);
    expect(m.mediaLink).toContain('/download/storage/v1/');
    expect(typeof m.etag).toBe('string');
    expect(new Date(String(m.timeCreated)).getTime()).not.toBeNaN();
    expect(m.updated).toBe(m.timeCreated);
  });

  it('patches metadata: merges keys, null deletes, contentType changes, metageneration grows', async () => {
    const file = storage.bucket(bucketName).file('patched');
    await file.save('x', { resumable: false, metadata: { metadata: { keep: '1', drop: '2' } } });
    const [patched] = await file.setMetadata({ contentType: 'text/csv', metadata: { drop: null, add: '3' } });
    expect(patched.metadata).toEqual({ keep: '1', add: '3' });
    expect(patched.contentType).toBe('text/csv');
    expect(patched.metageneration).toBe('2');
    const [fetched] = await file.getMetadata();
    expect(fetched.metadata).toEqual({ keep: '1', add: '3' });
    expect((await file.download())[0].toString()).toBe('x');
    // The SDK's types do not admit `metadata: null`, but it sends it, and GCS clears all keys.
    const [cleared] = await file.setMetadata({ metadata: null } as unknown as FileMetadata);
    expect(cleared.metadata).toBeUndefined();
  });

  it('rejects a patch with a stale ifMetagenerationMatch', async () => {
    const file = storage.bucket(bucketName).file('guarded');
    await file.save('x', { resumable: false });
    const stale = await rejection(file.setMetadata({ metadata: { a: '1' } }, { ifMetagenerationMatch: 5 }));
    expect(stale.code).toBe(412);
  });

  it('deletes: 204 then 404 on the second delete; ignoreNotFound hides it', async () => {
    const file = storage.bucket(bucketName).file('gone');
    await file.save('x', { resumable: false });
    await file.delete();
    const again = await rejection(file.delete());
    expect(again.code).toBe(404);
    await file.delete({ ignoreNotFound: true });
    expect((await file.exists())[0]).toBe(false);
  });
});

describe('GCS emulator with @google-cloud/storage: listing', () => {
  let bucketName: string;
  beforeEach(async () => {
    bucketName = await freshBucket();
  });

  async function seed(names: string[]): Promise<void> {
    for (const name of names) await gcs.emulator.putObject(bucketName, name, name);
  }

  it('lists with prefix and delimiter into items and prefixes', async () => {
    await seed(['a.txt', 'dir/x', 'dir/y', 'dir/sub/z', 'other/q', 'dirt']);
    const bucket = storage.bucket(bucketName);
    const [top, , topResp] = await bucket.getFiles({ delimiter: '/', autoPaginate: false });
    expect(top.map((f) => f.name)).toEqual(['a.txt', 'dirt']);
    expect((topResp as { prefixes?: string[] }).prefixes).toEqual(['dir/', 'other/']);
    const [inDir, , dirResp] = await bucket.getFiles({ prefix: 'dir/', delimiter: '/', autoPaginate: false });
    expect(inDir.map((f) => f.name)).toEqual(['dir/x', 'dir/y']);
    expect((dirResp as { prefixes?: string[] }).prefixes).toEqual(['dir/sub/']);
    const [flat] = await bucket.getFiles({ prefix: 'dir' });
    expect(flat.map((f) => f.name)).toEqual(['dir/sub/z', 'dir/x', 'dir/y', 'dirt']);
    expect(flat[0]?.metadata.size).toBe(String('dir/sub/z'.length));
  });

  it('pages with small maxResults, never repeating a prefix across pages', async () => {
    await seed(['a1', 'a2', 'b/1', 'b/2', 'b/3', 'c1', 'd/1', 'e1']);
    const bucket = storage.bucket(bucketName);
    const names: string[] = [];
    const prefixes: string[] = [];
    let query: GetFilesOptions | null = { delimiter: '/', maxResults: 2, autoPaginate: false };
    let pages = 0;
    while (query) {
      const [files, next, resp] = await bucket.getFiles(query);
      pages += 1;
      expect(files.length + ((resp as { prefixes?: string[] }).prefixes?.length ?? 0)).toBeLessThanOrEqual(2);
      names.push(...files.map((f) => f.name));
      prefixes.push(...((resp as { prefixes?: string[] }).prefixes ?? []));
      query = next as GetFilesOptions | null;
    }
    expect(names).toEqual(['a1', 'a2', 'c1', 'e1']);
    expect(prefixes).toEqual(['b/', 'd/']);
    expect(pages).toBe(3);
  });

  it('auto-paginates past 1000 objects per page', async () => {
    const names = Array.from({ length: 1005 }, (_, i) => `n/${String(i).padStart(4, '0')}`);
    await seed(names);
    gcs.emulator.clearRequests();
    const [files] = await storage.bucket(bucketName).getFiles();
    expect(files.map((f) => f.name)).toEqual(names);
    expect(gcs.emulator.requests.filter((r) => r.operation === 'objects.list')).toHaveLength(2);
  });

  it('orders by UTF-8 bytes and honours startOffset, endOffset and matchGlob', async () => {
    // U+FF5E sorts before U+1F600 in UTF-8 although its UTF-16 code unit is larger.
    await seed(['\u{1F600}', '\uFF5E', 'Z', 'a', 'a/b.txt', 'a/c.csv', 'b']);
    const bucket = storage.bucket(bucketName);
    const [all] = await bucket.getFiles();
    expect(all.map((f) => f.name)).toEqual(['Z', 'a', 'a/b.txt', 'a/c.csv', 'b', '\uFF5E', '\u{1F600}']);
    const [window] = await bucket.getFiles({ startOffset: 'a/', endOffset: 'b' });
    expect(window.map((f) => f.name)).toEqual(['a/b.txt', 'a/c.csv']);
    const [globbed] = await bucket.getFiles({ matchGlob: '**/*.txt' });
    expect(globbed.map((f) => f.name)).toEqual(['a/b.txt']);
  });
});

describe('GCS emulator with @google-cloud/storage: copy, move, compose', () => {
  let bucketName: string;
  beforeEach(async () => {
    bucketName = await freshBucket();
  });

  it('copies within and across buckets with content and metadata (rewrite)', async () => {
    const other = await freshBucket();
    const bucket = storage.bucket(bucketName);
    const data = content(2 * MiB);
    await bucket.file('src/one').save(data, { metadata: { contentType: 'image/png', metadata: { a: '1' } } });
    const [copy, response] = await bucket.file('src/one').copy(bucket.file('dst/one'));
    expect((response as { kind?: string; done?: boolean }).kind).toBe('storage#rewriteResponse');
    expect((response as { done?: boolean }).done).toBe(true);
    expect(copy.name).toBe('dst/one');
    const [copied] = await copy.getMetadata();
    expect(copied).toMatchObject({
      contentType: 'image/png',
      metadata: { a: '1' },
      size: String(data.length),
    });
    expect(sha256((await copy.download())[0])).toBe(sha256(data));

    await bucket.file('src/one').copy(storage.bucket(other).file('elsewhere'), { metadata: { b: '2' } });
    const [moved] = await storage.bucket(other).file('elsewhere').getMetadata();
    expect(moved.metadata).toEqual({ b: '2' });
    expect(moved.contentType).toBe('image/png');
    expect((await rejection(bucket.file('missing').copy('x'))).code).toBe(404);
  });

  it('moves (copy + delete) and moves atomically (moveTo)', async () => {
    const bucket = storage.bucket(bucketName);
    await bucket.file('from').save('payload', { resumable: false });
    await bucket.file('from').move('to');
    expect((await bucket.file('from').exists())[0]).toBe(false);
    expect((await bucket.file('to').download())[0].toString()).toBe('payload');
    await bucket.file('to').moveFileAtomic('final');
    expect((await bucket.file('to').exists())[0]).toBe(false);
    expect((await bucket.file('final').download())[0].toString()).toBe('payload');
  });

  it('composes objects; the result has a crc32c but no md5, like GCS', async () => {
    const bucket = storage.bucket(bucketName);
    await bucket.file('p1').save('hello ', { resumable: false });
    await bucket.file('p2').save('world', { resumable: false });
    const [combined] = await bucket.combine(['p1', 'p2'], 'joined.txt');
    const [m] = await combined.getMetadata();
    expect(m.componentCount).toBe(2);
    expect(m.md5Hash).toBeUndefined();
    expect(m.crc32c).toBe(crc32cBase64(Buffer.from('hello world')));
    expect((await combined.download())[0].toString()).toBe('hello world');
  });
});

describe('GCS emulator: server lifecycle and client settings', () => {
  it('makes clients without SDK retries by default and with them on request', () => {
    expect(gcs.client.retryOptions.autoRetry).toBe(false);
    const retrying = gcs.clientFor(gcs.origin, { sdkRetries: 2 });
    expect(retrying.retryOptions).toMatchObject({ autoRetry: true, maxRetries: 2 });
    expect(retrying.apiEndpoint).toBe(gcs.origin);
    expect(() => gcs.clientFor('not a url')).toThrow(/origin/);
  });

  it('serves the same data after stop() and start() on the same port', async () => {
    const server = await startGcsServer({ buckets: ['restart'] });
    try {
      await server.client.bucket('restart').file('survives').save('yes', { resumable: false });
      await server.emulator.stop();
      expect(server.emulator.running).toBe(false);
      const refused = await rejection(server.client.bucket('restart').file('survives').download());
      expect(String((refused as unknown as { code?: string }).code)).toMatch(/ECONNREFUSED|ECONNRESET/);
      const { port } = await server.emulator.start();
      expect(`http://127.0.0.1:${port}`).toBe(server.origin);
      expect((await server.client.bucket('restart').file('survives').download())[0].toString()).toBe('yes');
    } finally {
      await server.stop();
      await server.stop();
    }
  });

  it('talks to a client configured through STORAGE_EMULATOR_HOST (no /storage/v1 prefix)', async () => {
    const { Storage: StorageClass } = await import('@google-cloud/storage');
    const previous = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = gcs.origin;
    let client: Storage;
    try {
      client = new StorageClass({ projectId: 'test', retryOptions: { autoRetry: false } });
    } finally {
      if (previous === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = previous;
    }
    gcs.emulator.clearRequests();
    await client.createBucket('via-env');
    const file = client.bucket('via-env').file('x/y.txt');
    await file.save('env', { resumable: false });
    await file.save('env again');
    expect((await file.download())[0].toString()).toBe('env again');
    const [files] = await client.bucket('via-env').getFiles();
    expect(files.map((f) => f.name)).toEqual(['x/y.txt']);
    const paths = gcs.emulator.requests.map((r) => r.path);
    expect(paths).toContain('/b');
    expect(paths).toContain('/b/via-env/o/x%2Fy.txt');
    expect(paths).toContain('/upload/storage/v1/b/via-env/o');
  });
});
