import { AbortedError } from '@failover/core';
import type { MultiContext } from './context.js';
import type { PendingItem } from './pending.js';
import { eachLimited } from './pool.js';
import { headObject } from './read.js';
import type { MultiCloudBlobInfo } from './types.js';

/** How many keys with an unsettled provisional put a listing asks about at once. */
const LOOKUPS = 8;

/**
 * Whether a listing must ask about `key` rather than trust a target's listing or the journal: its
 * newest pending entry is a provisional put (a `'primary'` put recorded beside its upload) that is
 * not this process's own write in flight. Its writer died, or another instance of a fleet wrote
 * it: the put may have been acknowledged (then no target but its holder may show an older copy) or
 * may never have landed (then its version exists nowhere). Only its holder can tell, as for a read
 * (`floorFor`).
 */
export function unsettledProvisional(ctx: MultiContext, key: string, latest: PendingItem): boolean {
  const e = latest.entry;
  return e.op === 'put' && e.provisional === true && ctx.inflight.get(key) !== e.version;
}

/**
 * What a listing shows for keys with an unsettled provisional put: what a `head` through the store
 * answers (the same rules as a read: the holder first, no older copy from another target), so a
 * key a read finds is listed with the version the read returns, and a key a read answers "not
 * found" for is left out (`null`). When the read cannot tell (the holder is down, so the put may
 * have been acknowledged: a read fails as `unavailable`), the key is listed from the journal's
 * record (`'journal'`): never missing a write that may have been acknowledged, never older.
 */
export async function settleForListing(
  ctx: MultiContext,
  keys: readonly string[],
  signal: AbortSignal | undefined,
): Promise<Map<string, MultiCloudBlobInfo | null | 'journal'>> {
  const out = new Map<string, MultiCloudBlobInfo | null | 'journal'>();
  await eachLimited(keys, LOOKUPS, async (key) => {
    try {
      out.set(key, await headObject(ctx, key, signal === undefined ? {} : { signal }));
    } catch (err) {
      if (signal?.aborted || err instanceof AbortedError) throw err;
      out.set(key, 'journal');
    }
  });
  return out;
}
