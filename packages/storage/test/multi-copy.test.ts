import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  type BlobBody,
  type GetOptions,
  getBytes,
  IntegrityError,
  type PutOptions,
  SHA256_KEY,
  StorageError,
  VERSION_KEY,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { streamOf, useMultiStores } from './multi-fixtures.js';
import { type SwitchableStore, sha256, switchable } from './multi-helpers.js';

const MiB = 1024 * 1024;
const BODY = randomBytes(3 * MiB + 4321);
const HASH = sha256(BODY);

// A small memory bound: the 3 MiB source is streamed (the window never goes below 1 MiB).
const { setup } = useMultiStores(() => ({
  spool: { memoryBytes: 64 * 1024, dir: mkdtempSync(join(tmpdir(), 'fo-copy-')) },
}));

/**
 * Makes `t`'s puts of a stream with a `size` store the object as soon as `size` bytes arrived,
 * without waiting for the stream's end: what a server does with a request of known
 * `Content-Length` (S3's PutObject). A body that fails after that is stored all the same.
 */
function commitsAtLength(t: SwitchableStore): { received: number[] } {
  const seen = { received: [] as number[] };
  const put = t.put.bind(t);
  t.put = async (key: string, body: BlobBody, options?: PutOptions) => {
    const size = options?.size;
    if (!(body instanceof Readable) || size === undefined) return put(key, body, options);
    const chunks: Buffer[] = [];
    let n = 0;
    try {
      for await (const chunk of body) {
        chunks.push(chunk as Buffer);
        n += (chunk as Buffer).length;
        if (n === size) {
          const { signal: _signal, size: _size, ...rest } = options ?? {};
          return await t.inner.put(key, Buffer.concat(chunks), rest);
        }
      }
    } finally {
      seen.received.push(n);
    }
    throw new StorageError('invalid', `${t.name}: the body ended short`, { target: t.name });
  };
  return seen;
}

/** Makes `t`'s gets hand out their body slowly, counting the bytes they delivered. */
function slowReads(t: SwitchableStore): { delivered: number } {
  const progress = { delivered: 0 };
  const get = t.get.bind(t);
  t.get = async (key: string, options?: GetOptions) => {
    const res = await get(key, options);
    const source = res.body;
    const body = Readable.from(
      (async function* () {
        for await (const chunk of source) {
          progress.delivered += (chunk as Buffer).length;
          yield chunk as Buffer;
          await new Promise((r) => setImmediate(r));
        }
      })(),
      { objectMode: false },
    );
    return { ...res, body };
  };
  return progress;
}

describe('copy of an object larger than spool.memoryBytes', () => {
  it('streams to every target, written with the source hash at once (nothing left to stamp)', async () => {
    const { store, targets } = setup({ writes: 'mirror' });
    const source = await store.put('src', BODY, { contentType: 'application/x-test', metadata: { a: 'b' } });
    const info = await store.copy('src', 'dst');
    expect(info.checksums.sha256).toBe(HASH);
    expect(info.size).toBe(BODY.length);
    expect(info.contentType).toBe('application/x-test');
    expect(info.metadata).toEqual({ a: 'b' });
    expect(info.version! > source.version!).toBe(true);
    // Mirror mode: every copy took it, none awaits a stamp.
    expect(store.status().journal.backlog).toBe(0);
    for (const t of targets) {
      const head = (await t.inner.head('dst'))!;
      expect(head.metadata[SHA256_KEY]).toBe(HASH);
      expect(head.metadata[VERSION_KEY]).toBe(info.version);
      expect(head.size).toBe(BODY.length);
      expect((await getBytes(t.inner, 'dst')).equals(BODY)).toBe(true);
    }
    expect((await getBytes(store, 'dst')).equals(BODY)).toBe(true);
  });

  it('starts writing before the source was read to its end (no spool)', async () => {
    const { store, targets } = setup({ writes: 'primary' }, ['aws', 'gcp'].map(switchable));
    await store.put('src', BODY);
    const progress = slowReads(targets[0]!);
    let readWhenWriteStarted: number | undefined;
    const put = targets[0]!.put.bind(targets[0]!);
    targets[0]!.put = async (key: string, body: BlobBody, options?: PutOptions) => {
      if (!(body instanceof Readable)) return put(key, body, options);
      const first = Readable.from(
        (async function* () {
          for await (const chunk of body) {
            readWhenWriteStarted ??= progress.delivered;
            yield chunk as Buffer;
          }
        })(),
        { objectMode: false },
      );
      return put(key, first, options);
    };
    await store.copy('src', 'dst');
    expect(readWhenWriteStarted).toBeDefined();
    expect(readWhenWriteStarted!).toBeLessThan(BODY.length / 2);
    expect((await getBytes(targets[0]!.inner, 'dst')).equals(BODY)).toBe(true);
  });

  it('a corrupt source fails the copy, and no target completes the object, even one that stores at its length', async () => {
    const { store, targets } = setup({ writes: 'mirror' });
    await store.put('src', BODY);
    const aws = targets[0]!;
    const head = (await aws.inner.head('src'))!;
    // The last byte flipped on the first cloud, metadata untouched: only the end can tell.
    const bad = Buffer.from(BODY);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    await aws.inner.put('src', bad, { metadata: head.metadata, contentType: head.contentType });
    const seen = targets.map(commitsAtLength);
    const err = await store.copy('src', 'dst').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err).toMatchObject({ key: 'src', target: 'aws', expected: HASH });
    expect(store.status().counts.integrityErrors).toBe(1);
    for (const [i, t] of targets.entries()) {
      expect(await t.inner.head('dst')).toBeNull();
      // Every byte but the last reached the targets; the last waited for the end, which failed.
      for (const n of seen[i]!.received) expect(n).toBeLessThan(BODY.length);
    }
    // The next copy reads a good copy (the corrupt one is avoided) and succeeds.
    const info = await store.copy('src', 'dst');
    expect(info.checksums.sha256).toBe(HASH);
    for (const t of targets) expect((await getBytes(t.inner, 'dst')).equals(BODY)).toBe(true);
  });

  it('a failover mid-upload (primary mode) resends the copy from the replay file', async () => {
    const { store, targets } = setup({ writes: 'primary' }, ['aws', 'gcp'].map(switchable));
    await store.put('src', BODY);
    await store.repair();
    const aws = targets[0]!;
    const put = aws.put.bind(aws);
    aws.put = async (key: string, body: BlobBody, options?: PutOptions) => {
      if (!(body instanceof Readable)) return put(key, body, options);
      let n = 0;
      for await (const chunk of body) {
        n += (chunk as Buffer).length;
        if (n >= 2 * MiB) break;
      }
      body.destroy();
      throw new StorageError('network', 'aws: connection reset mid-upload', { target: 'aws' });
    };
    const info = await store.copy('src', 'dst');
    expect(info.target).toBe('gcp');
    expect(info.checksums.sha256).toBe(HASH);
    expect((await getBytes(targets[1]!.inner, 'dst')).equals(BODY)).toBe(true);
    expect((await targets[1]!.inner.head('dst'))!.metadata[SHA256_KEY]).toBe(HASH);
  });

  it('a source not yet stamped is copied as a streamed put: verified, then stamped from what was read', async () => {
    const { store, targets } = setup({ writes: 'mirror' });
    await store.put('src', streamOf(BODY));
    // Before the source's stamps land (the first cloud's copy says "journal").
    const info = await store.copy('src', 'dst');
    expect(info.checksums.sha256).toBe(HASH);
    for (let i = 0; i < 200 && store.status().journal.backlog > 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(store.status().journal.backlog).toBe(0);
    for (const t of targets) {
      expect((await t.inner.head('dst'))!.metadata[SHA256_KEY]).toBe(HASH);
      expect((await getBytes(t.inner, 'dst')).equals(BODY)).toBe(true);
    }
  });
});

describe('a streamed put whose body fails after its last byte', () => {
  it('completes no object, even on a target that stores at its length', async () => {
    const { store, targets } = setup({ writes: 'mirror' });
    const seen = targets.map(commitsAtLength);
    const boom = new Error('the source failed at its very end');
    const body = Readable.from(
      (async function* () {
        yield* streamOf(BODY);
        await new Promise((r) => setTimeout(r, 20));
        throw boom;
      })(),
      { objectMode: false },
    );
    await expect(store.put('k', body, { size: BODY.length })).rejects.toThrow();
    for (const [i, t] of targets.entries()) {
      expect(await t.inner.head('k')).toBeNull();
      for (const n of seen[i]!.received) expect(n).toBe(BODY.length - 1);
    }
  });
});

describe('a streamed put of chunks larger than the fan-out window', () => {
  it.each([
    ['with a replay copy', true],
    ['without one', false],
  ])(
    'completes (%s): the held-back last byte never stalls the read of the next chunk',
    async (_label, replay) => {
      const dir = mkdtempSync(join(tmpdir(), 'fo-copy-'));
      const big = setup({ writes: 'mirror', spool: { memoryBytes: 64 * 1024, dir, replay } });
      const body = randomBytes(7 * MiB + 5);
      // Chunks of 3 MiB: each larger than the window (1 MiB).
      const chunks = [body.subarray(0, 3 * MiB), body.subarray(3 * MiB, 6 * MiB), body.subarray(6 * MiB)];
      const info = await big.store.put('k', Readable.from(chunks, { objectMode: false }), {
        size: body.length,
      });
      expect(info.checksums.sha256).toBe(sha256(body));
      for (const t of big.targets) expect((await getBytes(t.inner, 'k')).equals(body)).toBe(true);
    },
  );
});
