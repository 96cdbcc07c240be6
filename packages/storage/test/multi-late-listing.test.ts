import { type ListEntry, type MultiCloudStore, StorageError } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { threeClouds, useMultiStores } from './multi-fixtures.js';
import type { SwitchableStore } from './multi-helpers.js';

// A request that lands after its settle window, met by a listing first: the listed target is a
// switchable memory store whose late puts land when the test says (a request the client gave up
// on), listing without metadata as S3 does, and whose `head` can be made to fail.

/** `store` with S3's listings (no metadata, so no version) and a `head` that fails while `headDown`. */
function s3Like(store: SwitchableStore): SwitchableStore & { headDown: boolean; heads: number } {
  const out = Object.assign(store, { headDown: false, heads: 0 });
  const list = store.list.bind(store);
  const head = store.head.bind(store);
  out.list = async function* (options) {
    for await (const e of list(options)) yield 'prefix' in e ? e : ({ ...e, metadata: {} } as ListEntry);
  };
  out.head = async (key, options) => {
    out.heads++;
    if (out.headDown) throw new StorageError('unavailable', 'head: connection reset', { target: store.name });
    return head(key, options);
  };
  return out;
}

async function keys(store: MultiCloudStore): Promise<string[]> {
  const out: string[] = [];
  for await (const e of store.list()) if (!('prefix' in e)) out.push(e.key);
  return out;
}

describe('a listing that meets a deleted key brought back by a late request', () => {
  const { setup } = useMultiStores();

  /** v1 of `k` lands on aws after its delete was acknowledged and settled everywhere. */
  const resurrected = async (aws: ReturnType<typeof s3Like>) => {
    const targets = threeClouds();
    targets[0] = aws;
    const { store } = setup({}, targets);
    const stale: unknown[] = [];
    store.on('staleCopy', (e) => stale.push(e));
    await store.put('a', 'kept');
    aws.late = true; // aws's copy of v1 "times out" and lands when the test says
    await store.put('k', 'v1');
    aws.late = false;
    await store.delete('k');
    await store.repair();
    expect(await aws.landLate()).toBe(1);
    expect(await aws.inner.head('k')).not.toBeNull();
    return { store, stale };
  };

  it('S3-like listing (no version): the key is looked at with a head, left out and repaired', async () => {
    const aws = s3Like(threeClouds()[0]!);
    const { store, stale } = await resurrected(aws);
    aws.heads = 0;
    expect(await keys(store)).toEqual(['a']);
    expect(aws.heads).toBe(1); // only the key this process deleted; 'a' was not looked at
    expect(stale).toEqual([expect.objectContaining({ key: 'k', target: 'aws' })]);
    await store.repair();
    expect(await aws.inner.head('k')).toBeNull();
    expect(await keys(store)).toEqual(['a']);
  });

  it('the head fails: the key is listed as the target has it (no evidence against it)', async () => {
    const aws = s3Like(threeClouds()[0]!);
    const { store, stale } = await resurrected(aws);
    aws.headDown = true;
    expect(await keys(store)).toEqual(['a', 'k']);
    expect(stale).toEqual([]);
    // A read still answers by the acknowledged delete.
    expect(await store.head('k')).toBeNull();
  });

  it('a listing with versions: no head, the key is left out', async () => {
    const targets = threeClouds();
    const aws = Object.assign(targets[0]!, { heads: 0 });
    const head = aws.head.bind(aws);
    aws.head = async (key, options) => {
      aws.heads++;
      return head(key, options);
    };
    const { store } = setup({}, targets);
    aws.late = true;
    await store.put('k', 'v1');
    aws.late = false;
    await store.delete('k');
    await store.repair();
    await aws.landLate();
    aws.heads = 0;
    expect(await keys(store)).toEqual([]);
    expect(aws.heads).toBe(0);
  });
});
