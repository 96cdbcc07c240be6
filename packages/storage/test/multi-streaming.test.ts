import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  type BlobBody,
  getBytes,
  IntegrityError,
  InvalidArgumentError,
  type MultiCloudStore,
  type MultiCloudStoreOptions,
  type PutOptions,
  type SetMetadataOptions,
  SHA256_KEY,
  StorageError,
  VERSION_KEY,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { openMultiStore, streamOf, threeClouds, useMultiStores } from './multi-fixtures.js';
import { type SwitchableStore, sha256, switchable } from './multi-helpers.js';

const { open } = useMultiStores();

const MiB = 1024 * 1024;
const BODY = randomBytes(3 * MiB + 12_345);
const HASH = sha256(BODY);

function setup(options: Partial<MultiCloudStoreOptions> = {}, targets = threeClouds()) {
  const dir = mkdtempSync(join(tmpdir(), 'fo-stream-'));
  // A small memory bound: the 3 MiB body is streamed (the window never goes below 1 MiB).
  const opened = openMultiStore(open, targets, { spool: { memoryBytes: 64 * 1024, dir }, ...options });
  return { ...opened, dir };
}

/** Waits (real time, a few ms) until the background stamps have landed: the backlog is empty. */
async function settled(store: MultiCloudStore): Promise<void> {
  for (let i = 0; i < 200 && store.status().journal.backlog > 0; i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets `n` turns of the event loop pass (no timing: only the order of queued work). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** A target that cannot replace metadata in place (repair then rewrites the copy). */
function withoutSetMetadata(t: SwitchableStore): SwitchableStore {
  return Object.assign(t, { setMetadata: undefined });
}

/** Makes `t`'s puts read `bytes` of the body and then fail as a cut connection would. */
function cutAfter(t: SwitchableStore, bytes: number): void {
  const put = t.put.bind(t);
  t.put = async (key: string, body: BlobBody, options?: PutOptions) => {
    if (!(body instanceof Readable)) return put(key, body, options);
    let seen = 0;
    for await (const chunk of body) {
      seen += (chunk as Buffer).length;
      if (seen >= bytes) break;
    }
    body.destroy();
    throw new StorageError('network', `${t.name}: connection reset mid-upload`, { target: t.name });
  };
}

describe('streamed puts (bodies larger than spool.memoryBytes)', () => {
  it('go to every target while the body is read, and each copy is stamped with its SHA-256', async () => {
    const { store, targets, dir } = setup();
    const info = await store.put('big', streamOf(BODY), { size: BODY.length, metadata: { a: 'b' } });
    expect(info.checksums.sha256).toBe(HASH);
    expect(info.metadata).toEqual({ a: 'b' });
    await settled(store);
    expect(store.status().journal.backlog).toBe(0);
    for (const t of targets) {
      const head = (await t.inner.head('big'))!;
      expect(head.metadata[SHA256_KEY]).toBe(HASH);
      expect(head.metadata[VERSION_KEY]).toBe(info.version);
      expect(head.metadata.a).toBe('b');
      expect((await getBytes(t.inner, 'big')).equals(BODY)).toBe(true);
    }
    expect((await getBytes(store, 'big')).equals(BODY)).toBe(true);
    // The replay copy is gone once the write is done.
    for (let i = 0; i < 500 && readdirSync(dir).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a copy not yet stamped is verified against the journal: a corrupt one never ends cleanly', async () => {
    const { store, targets } = setup(
      { writes: 'mirror' },
      ['aws', 'gcp', 'azure'].map((n) => withoutSetMetadata(switchable(n))),
    );
    const info = await store.put('big', streamOf(BODY));
    expect(info.checksums.sha256).toBe(HASH);
    const aws = targets[0]!;
    const head = (await aws.inner.head('big'))!;
    expect(head.metadata[SHA256_KEY]).toBe('journal'); // not stamped: the journal holds the hash
    expect((await getBytes(store, 'big')).equals(BODY)).toBe(true);
    // Bytes flipped on the first cloud, metadata untouched.
    const bad = Buffer.from(BODY);
    bad[12345] = (bad[12345] ?? 0) ^ 0xff;
    await aws.inner.put('big', bad, { metadata: head.metadata, contentType: head.contentType });
    const read = getBytes(store, 'big');
    await expect(read).rejects.toBeInstanceOf(IntegrityError);
    expect(store.status().counts.integrityErrors).toBe(1);
    // The next read avoids it, and repair rewrites every copy stamped, from good bytes.
    expect((await getBytes(store, 'big')).equals(BODY)).toBe(true);
    await store.repair();
    for (const t of targets) {
      expect((await t.inner.head('big'))!.metadata[SHA256_KEY]).toBe(HASH);
      expect((await getBytes(t.inner, 'big')).equals(BODY)).toBe(true);
    }
    expect(store.status().journal.backlog).toBe(0);
    expect(store.status().counts.lost).toBe(0);
  });

  it('repair stamps an unstamped single copy from itself (primary mode), never reporting it lost', async () => {
    const { store, targets } = setup(
      { writes: 'primary' },
      ['aws', 'gcp'].map((n) => withoutSetMetadata(switchable(n))),
    );
    await store.put('big', streamOf(BODY));
    await store.repair();
    expect(store.status().counts.lost).toBe(0);
    expect(store.status().journal.backlog).toBe(0);
    for (const t of targets) {
      expect((await t.inner.head('big'))!.metadata[SHA256_KEY]).toBe(HASH);
      expect((await getBytes(t.inner, 'big')).equals(BODY)).toBe(true);
    }
  });

  it('a failover mid-upload resends the body from the replay copy', async () => {
    const { store, targets } = setup({ writes: 'primary' }, ['aws', 'gcp'].map(switchable));
    cutAfter(targets[0]!, 2 * MiB);
    const info = await store.put('big', streamOf(BODY));
    expect(info.target).toBe('gcp');
    expect(info.checksums.sha256).toBe(HASH);
    expect((await getBytes(targets[1]!.inner, 'big')).equals(BODY)).toBe(true);
    expect((await getBytes(store, 'big')).equals(BODY)).toBe(true);
  });

  it('without a replay copy, a failover mid-upload fails the put instead of sending a short body', async () => {
    const { store, targets } = setup(
      { writes: 'primary', spool: { memoryBytes: 64 * 1024, replay: false } },
      ['aws', 'gcp'].map(switchable),
    );
    cutAfter(targets[0]!, 2 * MiB);
    await expect(store.put('big', streamOf(BODY))).rejects.toThrow();
    expect(await targets[1]!.inner.head('big')).toBeNull();
    await expect(getBytes(store, 'big')).rejects.toThrow();
  });

  it('in the parallel modes a target cut mid-upload is journaled and repaired from the others', async () => {
    const { store, targets } = setup({ spool: { memoryBytes: 64 * 1024, replay: false } });
    cutAfter(targets[2]!, 2 * MiB);
    const info = await store.put('big', streamOf(BODY));
    expect(info.checksums.sha256).toBe(HASH);
    expect(await targets[2]!.inner.head('big')).toBeNull();
    Object.assign(targets[2]!, { put: targets[2]!.inner.put.bind(targets[2]!.inner) });
    await store.repair();
    expect((await getBytes(targets[2]!.inner, 'big')).equals(BODY)).toBe(true);
    expect((await targets[2]!.inner.head('big'))!.metadata[SHA256_KEY]).toBe(HASH);
  });

  it('a size hint that does not match fails the put; nothing is acknowledged', async () => {
    const { store } = setup();
    await expect(store.put('big', streamOf(BODY), { size: BODY.length + 1 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(store.put('big', streamOf(BODY), { size: BODY.length - 1 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it("a stamp never gives a newer put the older version's metadata (a non-atomic in-place metadata replace)", async () => {
    // Found by the Jepsen soak (seed 20261202): a streamed put's copy on aws was stamped after the
    // acknowledgement, outside the key's lock; the next put of the key landed on aws between the
    // stamp's entity tag check and its metadata write (s3rver: a HEAD, then a CopyObject onto
    // itself that ignores x-amz-copy-source-if-match), so aws held the new bytes under the old
    // version. Repair then found the new version on no target and reported it lost.
    const { store, targets } = setup();
    const aws = targets[0]!;
    let checked!: () => void;
    const stampChecked = new Promise<void>((r) => {
      checked = r;
    });
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let landed!: () => void;
    const newerLanded = new Promise<void>((r) => {
      landed = r;
    });
    // aws replaces metadata as s3rver does: the entity tag is checked, then (later) whatever
    // object is there now gets the metadata.
    Object.assign(aws, {
      setMetadata: async (key: string, metadata: Record<string, string>, o: SetMetadataOptions = {}) => {
        const now = await aws.inner.head(key);
        if (now === null || (o.ifMatch !== undefined && now.etag !== o.ifMatch)) {
          throw new StorageError('precondition', 'the object changed', { target: 'aws', key });
        }
        checked();
        await released;
        return aws.inner.setMetadata!(key, metadata);
      },
    });
    const put = aws.put.bind(aws);
    aws.put = async (key: string, body: BlobBody, options?: PutOptions) => {
      const info = await put(key, body, options);
      if (!(body instanceof Readable)) landed();
      return info;
    };
    await store.put('k', streamOf(BODY));
    await stampChecked; // the stamp of the streamed copy on aws passed its check
    // As in the soak: the newer put is acknowledged degraded, on aws only.
    targets[1]!.down = 'unavailable';
    targets[2]!.down = 'unavailable';
    const newer = store.put('k', 'newer');
    // Without the key's lock the newer put lands on aws now; with it, it waits for the stamp.
    await Promise.race([newerLanded, turns(50)]);
    release();
    const info = await newer;
    const head = (await aws.inner.head('k'))!;
    expect(head.metadata[VERSION_KEY]).toBe(info.version);
    expect(head.metadata[SHA256_KEY]).toBe(sha256('newer'));
    expect((await getBytes(aws.inner, 'k')).toString()).toBe('newer');
    targets[1]!.down = undefined;
    targets[2]!.down = undefined;
    const report = await store.repair();
    expect(report.lost).toBe(0);
    expect(store.status().counts.lost).toBe(0);
    expect(store.status().journal.backlog).toBe(0);
    for (const t of targets) {
      expect((await t.inner.head('k'))!.metadata[VERSION_KEY]).toBe(info.version);
      expect((await getBytes(t.inner, 'k')).toString()).toBe('newer');
    }
    expect((await getBytes(store, 'k')).toString()).toBe('newer');
  });
});
