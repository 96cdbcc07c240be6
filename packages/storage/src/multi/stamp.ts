import type { JournalEntry } from '../journal/types.js';
import type { BlobInfo } from '../types.js';
import { within } from '../within.js';
import { type MultiContext, runOn } from './context.js';
import { entryId, resolveEntry } from './journaling.js';
import { SHARED_LOOKUP_MS } from './pending.js';
import { isDeferred, sha256Of, stamp, userMetadata, versionOf } from './reserved.js';

/**
 * Stamping: a body written from a stream goes to the targets before its SHA-256 is known, with
 * `fo_sha256` set to {@link SHA256_DEFERRED}. Its journal entry holds the hash, and lists every
 * target as lacking the write until that target's copy is stamped (its metadata replaced in
 * place, {@link BlobStore.setMetadata}) or rewritten by repair. Reads of an unstamped copy verify
 * against the journal's hash.
 */

/** Most hashes of stamped writes remembered for reads that saw the copy before its stamp. */
const MAX_RECENT = 1024;
const recent = new WeakMap<MultiContext, Map<string, string>>();

/**
 * The SHA-256 an unstamped copy (`info`) must match: from the journal entry of its version, or
 * from a write this store stamped a moment ago. `undefined` when the copy is stamped or no one
 * here knows its hash (another process wrote it).
 */
export function deferredSha256(
  ctx: MultiContext,
  key: string,
  info: Pick<BlobInfo, 'metadata'>,
): string | undefined {
  if (!isDeferred(info)) return undefined;
  const version = versionOf(info);
  if (version === undefined) return undefined;
  const id = entryId(version, key);
  return ctx.pending.item(id)?.entry.sha256 ?? recent.get(ctx)?.get(id);
}

/**
 * The SHA-256 the copy `info` of `key` must match, as far as this store knows without asking
 * another target: its own stamp, or for a copy not yet stamped the hash {@link deferredSha256}
 * knows. Synchronous, for the read path; `undefined` leaves {@link unstampedSha256} to ask.
 */
export function knownSha256(
  ctx: MultiContext,
  key: string,
  info: Pick<BlobInfo, 'metadata'>,
): string | undefined {
  return sha256Of(info) ?? deferredSha256(ctx, key, info);
}

/**
 * Remembers the SHA-256 of a streamed write another process made, from the entry a journal the
 * fleet shares holds of it, so this process's reads of its copies not yet stamped verify them.
 */
export function rememberSha256(ctx: MultiContext, entry: JournalEntry): void {
  if (entry.op !== 'put' || entry.sha256 === undefined || entry.id !== entryId(entry.version, entry.key))
    return;
  rememberWrittenSha256(ctx, entry.key, entry.version, entry.sha256);
}

/**
 * Remembers the SHA-256 of this store's own streamed write of `key` at `version` as soon as its
 * body ended: no target gets the last byte before that, so every copy a read can meet is checked
 * against it, also while the write is still being journaled (fleet soak seed 27703: a read of a
 * write in flight returned a damaged copy unverified, its journal entry not appended yet).
 */
export function rememberWrittenSha256(ctx: MultiContext, key: string, version: string, sha256: string): void {
  remember(ctx, entryId(version, key), sha256);
}

/**
 * The SHA-256 of the unstamped copy `info` of `key` read on `target`, when {@link knownSha256}
 * knows none: from the entry of its write in a journal the fleet shares (asked again: the writer
 * publishes the hash there before any target holds a whole copy, `noteStreamedHash`, so a copy met
 * after the read looked at the journal is still found), else from a copy of the same version
 * stamped already on another target ({@link stampedElsewhere}). `undefined` when neither knows it:
 * the shared journal is away (or the writer's was) and no other copy is stamped yet, the one case
 * left unverified, as documented.
 */
export async function unstampedSha256(
  ctx: MultiContext,
  key: string,
  info: Pick<BlobInfo, 'metadata'>,
  target: string,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  const version = versionOf(info);
  if (!isDeferred(info) || version === undefined) return undefined;
  return (await journalSha256(ctx, key, info)) ?? stampedElsewhere(ctx, key, version, target, signal);
}

/** {@link unstampedSha256} from a shared journal's pending entries of `key`; never throws. */
async function journalSha256(
  ctx: MultiContext,
  key: string,
  info: Pick<BlobInfo, 'metadata'>,
): Promise<string | undefined> {
  const pendingOf = ctx.journal.pendingOf;
  if (pendingOf === undefined) return undefined;
  try {
    const entries = await within(pendingOf.call(ctx.journal, key), SHARED_LOOKUP_MS);
    for (const e of entries ?? []) rememberSha256(ctx, e);
  } catch {
    // Away: the other targets may still tell.
  }
  return deferredSha256(ctx, key, info);
}

/**
 * The SHA-256 of an unstamped copy of `key` at `version` read on `target` when no journal here
 * knows it (another process's streamed write, its journal away or apart): from a copy of the same
 * version on another target that is stamped already (each copy is stamped right after the write),
 * asked with a `head` in the read order. `undefined` when none is (the copy is then unverified,
 * as documented). Remembered for the next read.
 */
async function stampedElsewhere(
  ctx: MultiContext,
  key: string,
  version: string,
  target: string,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  for (const t of ctx.targets) {
    if (t.name === target || !ctx.router.isAvailable(t.name)) continue;
    let other: BlobInfo | null;
    try {
      other = await runOn(
        ctx,
        t.name,
        (s, sig) => s.head(key, sig === undefined ? {} : { signal: sig }),
        signal,
      );
    } catch {
      if (signal?.aborted) return undefined;
      continue;
    }
    const sha256 = other === null || versionOf(other) !== version ? undefined : sha256Of(other);
    if (sha256 !== undefined) {
      remember(ctx, entryId(version, key), sha256);
      return sha256;
    }
  }
  return undefined;
}

/**
 * Stamps the copies `written` (what each target answered to the put of `version`, by target name)
 * with their SHA-256, where the target can replace metadata in place and the copy is still the
 * one written (its entity tag), then resolves each pair in the journal. Anything else is left to
 * repair, which stamps or rewrites it. Never throws.
 *
 * Runs under the key's lock, as every write and repair of the key does: a stamp is a write. S3
 * replaces metadata by copying the object onto itself after a HEAD (for the content type); the
 * copy carries `If-Match` and `x-amz-copy-source-if-match` on the entity tag, which S3 (and the
 * testkit's s3rver) check atomically with the copy, but an S3-compatible server that ignores them
 * (plain s3rver did) leaves only the HEAD's check: a newer put of the key landing between the two
 * steps would be left with this older version's metadata, and repair would then find the newer
 * version on no target and report it lost (found by the Jepsen soak). Under the lock, the next
 * write of the key waits for the stamps; the copies of one write are stamped at once under one
 * hold of the lock, so it waits for the slowest stamp, not for their sum. A stamp queued behind a
 * newer write finds its entry superseded and does nothing.
 */
export function stampCopies(
  ctx: MultiContext,
  key: string,
  version: string,
  sha256: string,
  written: ReadonlyMap<string, BlobInfo | undefined>,
): Promise<void> {
  const id = entryId(version, key);
  remember(ctx, id, sha256);
  // A target that cannot stamp, or a copy without an entity tag, is left to repair (no lock taken).
  const stampable = [...written].filter(
    (c): c is [string, BlobInfo] =>
      ctx.byName.get(c[0])?.store.setMetadata !== undefined && c[1]?.etag !== undefined,
  );
  if (stampable.length === 0) return Promise.resolve();
  return ctx.lock(key, async () => {
    await Promise.all(
      stampable.map(async ([target, info]) => {
        if (!ctx.pending.lacks(id, target)) return;
        try {
          if (await stampInPlace(ctx, key, version, sha256, target, info, undefined)) {
            await resolveEntry(ctx, id, target);
          }
        } catch {
          // Replaced meanwhile, or the target failed: the next repair pass looks at it again.
        }
      }),
    );
  });
}

/**
 * Replaces the metadata of `target`'s copy `copy` of `key` in place with the same metadata
 * stamped with `version` and `sha256`, only if the copy is still the one seen (its entity tag).
 * False when the target cannot replace metadata or the copy has no entity tag; throws what the
 * target answered otherwise (a `precondition` when the copy changed). The caller holds the key's
 * lock (a stamp is a write) and resolves the journal.
 */
export async function stampInPlace(
  ctx: MultiContext,
  key: string,
  version: string,
  sha256: string,
  target: string,
  copy: BlobInfo,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const etag = copy.etag;
  if (ctx.byName.get(target)?.store.setMetadata === undefined || etag === undefined) return false;
  const metadata = stamp(userMetadata(copy), version, sha256);
  await runOn(
    ctx,
    target,
    (s, sig) =>
      s.setMetadata!(key, metadata, { ifMatch: etag, ...(sig === undefined ? {} : { signal: sig }) }),
    signal,
    // A copy in place can take as long as the object is large (S3's CopyObject): the adapter's own
    // request bounds apply, not the router's attempt limit.
    false,
  );
  return true;
}

function remember(ctx: MultiContext, id: string, sha256: string): void {
  let map = recent.get(ctx);
  if (map === undefined) {
    map = new Map();
    recent.set(ctx, map);
  }
  map.set(id, sha256);
  if (map.size > MAX_RECENT) map.delete(map.keys().next().value!);
}
