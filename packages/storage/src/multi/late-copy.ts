import { classifyFailure, isAvailabilityKind } from '@failover/core';
import type { BlobInfo } from '../types.js';
import { type AckedWrite, olderThanAcked } from './acked.js';
import type { MultiContext, StoreTarget } from './context.js';
import { behindMark, journalBehind } from './high-water.js';
import { entryId } from './journaling.js';
import { listedFromRecord } from './listed-record.js';
import { present, versionOf } from './reserved.js';
import type { MultiCloudBlobInfo } from './types.js';

/**
 * A read or a listing found on `target` a copy of `key` (at `found`) older than the write `acked`
 * this process acknowledged: a request of an earlier write that landed after its settle window.
 * Says so (`staleCopy`) and journals `target` as lacking `acked`, in the background, so that
 * repair replaces (or deletes) the copy, conditionally on what the target holds.
 */
export function lateCopyFound(
  ctx: MultiContext,
  key: string,
  target: string,
  found: string | undefined,
  acked: AckedWrite,
): void {
  ctx.counts.staleCopies++;
  if (ctx.events.has('staleCopy')) {
    ctx.events.emit('staleCopy', { key, target, version: found, newest: acked.version });
  }
  const mark = { id: entryId(acked.version, key), ...acked };
  const entry = behindMark(key, target, found, mark, false, Date.now());
  // Journaled once: the reads that meet the copy again before repair replaced it add nothing.
  if (entry === undefined || ctx.pending.item(entry.id) !== undefined) return;
  journalBehind(ctx, entry).catch((error: unknown) => {
    if (ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error });
  });
}

/**
 * What a listing of `t` shows for the object `entry` it listed, whose key this process wrote
 * lately (`acked`, see acked.ts): the entry as listed, unless it is older than that write (a
 * request that landed after its settle window): then the key is left out when the write was a
 * delete, or listed as the write left it (its version, size and SHA-256; no user metadata, no
 * target, as for a write only the journal knows) when it was a put, and the copy is reported and
 * journaled for repair ({@link lateCopyFound}).
 *
 * Some listings carry no metadata, so no version (S3's): a key this process deleted is then
 * looked at (`head` on `t`; a key it deleted and that is still listed is rare: a late request,
 * or another writer's newer put). A put's key is not looked at (every key written in the last
 * hour would be): it is listed as the target says, its version `undefined`. A `head` that fails
 * lists the entry as it is.
 */
export async function listedAfterAcked(
  ctx: MultiContext,
  t: StoreTarget,
  entry: BlobInfo,
  acked: AckedWrite,
  signal: AbortSignal | undefined,
): Promise<MultiCloudBlobInfo | null> {
  let version = versionOf(entry);
  if (version === undefined && acked.op === 'delete') {
    try {
      const now = await t.store.head(entry.key, signal === undefined ? {} : { signal });
      if (now === null) return null; // deleted since it was listed
      version = versionOf(now);
    } catch (err) {
      if (signal?.aborted || !isAvailabilityKind(classifyFailure(err))) throw err;
    }
  }
  if (!olderThanAcked(version, acked)) return present(entry, t.name);
  lateCopyFound(ctx, entry.key, t.name, version, acked);
  if (acked.op === 'delete') return null;
  return listedFromRecord(entry.key, acked, ctx.acked.acknowledgedAt(entry.key), '');
}
