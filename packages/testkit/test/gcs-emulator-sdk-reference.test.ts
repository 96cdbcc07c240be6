// The reference features of issue 15 through @google-cloud/storage, the client most users have:
// multi-call rewrites (the SDK follows rewriteToken on its own), compose and list options,
// preconditions, chunked uploads and refused names.
import type { ApiError, File, Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GcsLocalServer, startGcsServer } from '../src/servers/gcs.js';

const MiB = 1024 * 1024;
const B = 'sdk-reference';

let gcs: GcsLocalServer;
let storage: Storage;

beforeAll(async () => {
  gcs = await startGcsServer({ buckets: [B] });
  storage = gcs.client;
});

afterAll(async () => {
  await gcs.stop();
});

function patterned(n: number, seed = 0): Buffer {
  const out = Buffer.alloc(n);
  let x = (seed * 2654435761 + 3) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected the call to fail');
}

/** Adds `maxBytesRewrittenPerCall` to every request the file object makes (the SDK has no option). */
function limitRewrites(file: File, bytes: number): void {
  type Interceptor = File['interceptors'][number];
  // The SDK hands interceptors its request options (DecorateRequestOptions, with `qs`).
  const request: Interceptor['request'] = (reqOpts) => {
    const opts = reqOpts as unknown as ReturnType<Interceptor['request']>;
    opts.qs = { ...opts.qs, maxBytesRewrittenPerCall: bytes };
    return opts;
  };
  file.interceptors.push({ request });
}

describe('@google-cloud/storage against the reference features', () => {
  it('copies a large object in several rewrite calls, following rewriteToken', async () => {
    const bucket = storage.bucket(B);
    const data = patterned(3 * MiB + 100, 1);
    await bucket.file('large/src').save(data, { resumable: false });
    const source = bucket.file('large/src');
    limitRewrites(source, MiB);
    gcs.emulator.clearRequests();
    const [copy] = await source.copy(bucket.file('large/dst'));
    const rewrites = gcs.emulator.requests.filter((r) => r.operation === 'objects.rewrite');
    expect(rewrites.map((r) => [r.status, r.query.rewriteToken === undefined])).toEqual([
      [200, true],
      [200, false],
      [200, false],
      [200, false],
    ]);
    expect((await copy.download())[0].equals(data)).toBe(true);
  });

  it('uploads in 256 KiB chunks with an unaligned size, and refuses a name with NUL', async () => {
    const bucket = storage.bucket(B);
    const data = patterned(3 * 256 * 1024 + 5, 2);
    await bucket.file('chunked').save(data, { resumable: true, chunkSize: 256 * 1024 });
    expect((await bucket.file('chunked').download())[0].equals(data)).toBe(true);
    const err = await rejection(bucket.file('bad\u0000name').save('x', { resumable: false }));
    expect(err.code).toBe(400);
  });

  it('combines with a destination precondition and reports a stale one as 412', async () => {
    const bucket = storage.bucket(B);
    await bucket.file('c/1').save('one ', { resumable: false });
    await bucket.file('c/2').save('two', { resumable: false });
    await bucket.combine(['c/1', 'c/2'], 'c/joined', { ifGenerationMatch: 0 });
    expect((await bucket.file('c/joined').download())[0].toString()).toBe('one two');
    const err = await rejection(bucket.combine(['c/1'], 'c/joined', { ifGenerationMatch: 0 }));
    expect(err.code).toBe(412);
  });

  it('lists with startOffset, endOffset, includeTrailingDelimiter, matchGlob and versions', async () => {
    const bucket = storage.bucket(B);
    for (const name of ['l/a.txt', 'l/b/', 'l/b/x.txt', 'l/c.log', 'l/d.txt']) {
      await bucket.file(name).save(name, { resumable: false });
    }
    const names = async (query: Record<string, unknown>): Promise<string[]> => {
      const [files] = await bucket.getFiles({ prefix: 'l/', autoPaginate: false, ...query });
      return files.map((f) => f.name);
    };
    expect(await names({ startOffset: 'l/b', endOffset: 'l/d' })).toEqual(['l/b/', 'l/b/x.txt', 'l/c.log']);
    expect(await names({ delimiter: '/', includeTrailingDelimiter: true })).toEqual([
      'l/a.txt',
      'l/b/',
      'l/c.log',
      'l/d.txt',
    ]);
    expect(await names({ matchGlob: 'l/*.txt' })).toEqual(['l/a.txt', 'l/d.txt']);
    const [versions] = await bucket.getFiles({ prefix: 'l/', versions: true });
    expect(versions.map((f) => [f.name, f.metadata.generation !== undefined])).toEqual([
      ['l/a.txt', true],
      ['l/b/', true],
      ['l/b/x.txt', true],
      ['l/c.log', true],
      ['l/d.txt', true],
    ]);
  });

  it('patches with ifMetagenerationMatch and reports a stale one as 412', async () => {
    const file = storage.bucket(B).file('patched');
    await file.save('x', { resumable: false });
    await file.setMetadata({ metadata: { a: '1' } }, { ifMetagenerationMatch: 1 });
    const err = await rejection(file.setMetadata({ metadata: { a: '2' } }, { ifMetagenerationMatch: 1 }));
    expect(err.code).toBe(412);
    expect((await file.getMetadata())[0].metadata).toEqual({ a: '1' });
  });
});
