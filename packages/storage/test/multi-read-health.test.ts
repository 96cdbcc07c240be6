import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  type BlobStore,
  type GetOptions,
  type GetResult,
  getBytes,
  IntegrityError,
  type MultiCloudStore,
  type MultiCloudStoreOptions,
  StorageError,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { useMultiStores } from './multi-fixtures.js';
import { type SwitchableStore, switchable } from './multi-helpers.js';

/**
 * Issue 10, "cut mid-body": a cloud whose downloads fail (cut, ended short) while its writes
 * pass is left by the breaker's per-operation streak, also when the failure comes after `get`
 * returned its stream; a corrupt copy (a data problem of one key) is not held against it.
 */
const multi = useMultiStores();

/** How a faulty target answers downloads: the first 5 bytes, then an error or a clean short end; or flipped bytes. */
type BodyFault = 'cut' | 'short' | 'flip' | undefined;

/** `target` with downloads spoiled by `fault` (headers and metadata as they are). */
function spoiled(target: SwitchableStore): SwitchableStore & { fault: BodyFault } {
  const s = target as SwitchableStore & { fault: BodyFault };
  s.fault = undefined;
  const get = target.get.bind(target);
  (s as { get: BlobStore['get'] }).get = async (key: string, options?: GetOptions): Promise<GetResult> => {
    const res = await get(key, options);
    const fault = s.fault;
    if (fault === undefined) return res;
    const bytes = await getBytes({ get: () => Promise.resolve(res) } as unknown as BlobStore, key);
    if (fault === 'flip') {
      const copy = Buffer.from(bytes);
      copy[0] = (copy[0] ?? 0) ^ 0xff;
      return { info: res.info, body: Readable.from([copy]) };
    }
    const head = bytes.subarray(0, 5);
    const body = new Readable({ read() {} });
    body.push(head);
    setImmediate(() => {
      if (fault === 'short') body.push(null);
      else body.destroy(new StorageError('network', `${s.name}: the connection closed mid-body`));
    });
    return { info: res.info, body };
  };
  return s;
}

function setup(options: Partial<MultiCloudStoreOptions> = {}) {
  const aws = spoiled(switchable('aws'));
  const targets = [aws, switchable('gcp'), switchable('azure')];
  // The store's own breaker defaults (3 in a row; 2 per operation when other calls succeed).
  const { store } = multi.setup(
    {
      failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 1000 } },
      ...options,
    },
    targets,
  );
  const opened: string[] = [];
  store.on('open', (e) => opened.push(e.target));
  const corrupt: string[] = [];
  store.on('integrityError', (e) => corrupt.push(e.target));
  return { store, aws, others: targets.slice(1), opened, corrupt };
}

const awsOf = (store: MultiCloudStore) => store.status().targets.find((t) => t.name === 'aws')!;

describe('downloads that fail on one cloud while its writes pass', () => {
  it.each(['cut', 'short'] as const)(
    'buffered reads, %s: every get answers from another cloud and aws is left at the 2nd failed get',
    async (fault) => {
      const { store, aws, opened, corrupt } = setup();
      aws.fault = fault;
      const log: string[] = [];
      for (let i = 0; i < 4; i++) {
        const body = randomBytes(1024);
        await store.put(`k${i}`, body);
        log.push(`put ${i}`);
        expect((await getBytes(store, `k${i}`)).equals(body)).toBe(true);
        log.push(`get ${i}`);
        if (opened.length > 0 && !log.includes('left')) log.push('left');
      }
      expect(log.slice(0, 5)).toEqual(['put 0', 'get 0', 'put 1', 'get 1', 'left']);
      expect(opened).toEqual(['aws']);
      expect(corrupt).toEqual([]);
      expect(awsOf(store).failures.network).toBe(2);
    },
  );

  it.each(['cut', 'short'] as const)(
    'streamed reads, %s: the body goes on from another cloud, the cut reaches the breaker, and aws is left at the 2nd',
    async (fault) => {
      const { store, aws, opened, corrupt } = setup({ reads: { bufferBytes: 0 } });
      const resumed: string[] = [];
      store.on('resumed', (e) => resumed.push(`${e.key}: ${e.from} -> ${e.to}`));
      aws.fault = fault;
      for (let i = 0; i < 2; i++) {
        const body = randomBytes(1024);
        await store.put(`s${i}`, body);
        expect((await getBytes(store, `s${i}`)).equals(body)).toBe(true);
      }
      expect(resumed).toEqual(['s0: aws -> gcp', 's1: aws -> gcp']);
      expect(opened).toEqual(['aws']);
      expect(corrupt).toEqual([]);
      expect(store.status().counts.resumedDownloads).toBe(2);
      // Left: the next read is served by another cloud, whole, from its first byte.
      const body = randomBytes(1024);
      await store.put('after', body);
      expect((await getBytes(store, 'after')).equals(body)).toBe(true);
      expect(resumed.length).toBe(2);
    },
  );

  it.each(['cut', 'short'] as const)(
    'streamed reads, %s, and no other cloud holds the version: the body fails the reader as cut',
    async (fault) => {
      const { store, aws, others, corrupt } = setup({ reads: { bufferBytes: 0 } });
      await store.put('s', randomBytes(1024));
      aws.fault = fault;
      for (const o of others) o.down = 'unavailable';
      const err = await getBytes(store, 's').catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'network' });
      expect(err).not.toBeInstanceOf(IntegrityError);
      expect(corrupt).toEqual([]);
    },
  );

  it('a reader that stops early proves nothing: no failure counted', async () => {
    const { store, aws, opened } = setup({ reads: { bufferBytes: 0 } });
    aws.fault = 'cut';
    for (let i = 0; i < 3; i++) {
      await store.put(`r${i}`, randomBytes(1024));
      const res = await store.get(`r${i}`);
      res!.body.destroy();
    }
    expect(opened).toEqual([]);
    expect(awsOf(store).failures.network).toBe(0);
  });

  it.each([64 * 1024, 0])(
    'corrupt copies (bufferBytes %i) are reported for repair, not held against the cloud',
    async (bufferBytes) => {
      const { store, aws, opened, corrupt } = setup({ reads: { bufferBytes } });
      aws.fault = 'flip';
      for (let i = 0; i < 4; i++) {
        const body = randomBytes(1024);
        await store.put(`c${i}`, body);
        const got = await getBytes(store, `c${i}`).catch((e: unknown) => e);
        if (bufferBytes > 0) expect((got as Buffer).equals(body)).toBe(true);
        else expect(got).toBeInstanceOf(IntegrityError);
      }
      expect(corrupt).toEqual(['aws', 'aws', 'aws', 'aws']);
      expect(opened).toEqual([]);
      expect(awsOf(store).state).toBe('closed');
      expect(awsOf(store).failures.network).toBe(0);
    },
  );
});
