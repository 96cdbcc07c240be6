import { FailoverError } from '@failover/core';
import { NotFoundError, StorageError } from '../errors.js';
import type { JournalEntry } from '../journal/types.js';
import {
  type NormalizedPresignOptions,
  normalizePresignOptions,
  type PresignedUrl,
  type PresignOptions,
} from '../presign.js';
import type { BlobStore } from '../types.js';
import { appendEntry } from './appended.js';
import type { MultiContext, StoreTarget } from './context.js';
import { markerClock } from './epoch.js';
import { putIntentEntry } from './journaling.js';
import { routedRead } from './read.js';
import { checkUserMetadata, VERSION_KEY, versionOf } from './reserved.js';
import { compareVersions } from './version.js';
import { versionFor } from './write-steps.js';

type Signing = BlobStore & Required<Pick<BlobStore, 'presign'>>;

/**
 * `presign` of the multi-cloud store.
 *
 * - `GET`: the object is looked up the way `head` does (through the router: breakers, retries,
 *   pending journal entries first), and the URL is signed on the first healthy target that holds
 *   the newest version known to the store. Missing object: `NotFoundError`.
 * - `PUT`: signed on the first target that answers a `HEAD` of the key through the router. The upload goes to that cloud
 *   only; it carries a fresh `fo_version` from the store's clock as metadata (a header the
 *   uploader must send, see `PresignedUrl.headers`). The URL is journaled as a put's intent (see
 *   {@link journalPresignedPut}) before it is handed out, so repair copies the upload to the other
 *   targets once it has landed, and drops the intent if nothing landed by the time the URL expired.
 *
 * Every target must be able to presign (the cloud adapters can; memory and filesystem stores
 * cannot). Errors never carry a URL.
 */
export async function presignObject(
  ctx: MultiContext,
  key: string,
  options: PresignOptions | undefined,
): Promise<PresignedUrl> {
  const p = normalizePresignOptions(key, options);
  const unable = ctx.targets.find((t) => typeof t.store.presign !== 'function');
  if (unable !== undefined) {
    throw new StorageError(
      'invalid',
      `Cannot presign on the multi-cloud store "${ctx.name}": target "${unable.name}" has no presign method`,
      { key, target: ctx.name },
    );
  }
  const sign = (t: StoreTarget, o: PresignOptions) => (t.store as Signing).presign(key, o);
  const base: PresignOptions = { expiresIn: p.expiresIn, method: p.method };
  if (p.method === 'PUT') return presignPut(ctx, key, p, base, sign);
  const res = await routedRead<PresignedUrl>(
    ctx,
    key,
    async (t, signal, minVersion) => {
      const sent = markerClock();
      const info = await t.store.head(key, signal === undefined ? {} : { signal });
      if (info === null) {
        if (minVersion !== undefined) return { type: 'stale' };
        // A target that lost its data cannot say "not found" (see epoch.ts).
        const trusted = await ctx.epochs.trusted(ctx, t.name, sent, { signal });
        return trusted ? { type: 'missing' } : { type: 'unsure' };
      }
      const version = versionOf(info);
      ctx.clock.observe(version);
      if (minVersion !== undefined && compareVersions(version, minVersion) < 0) return { type: 'stale' };
      return { type: 'found', value: await sign(t, base) };
    },
    { signal: p.signal },
  );
  if (res === null) throw new NotFoundError(key, { target: ctx.name });
  return res.value;
}

async function presignPut(
  ctx: MultiContext,
  key: string,
  { contentType, metadata, signal }: NormalizedPresignOptions,
  base: PresignOptions,
  sign: (t: StoreTarget, o: PresignOptions) => Promise<PresignedUrl>,
): Promise<PresignedUrl> {
  await ctx.ready();
  ctx.checkOpen();
  const user = { ...metadata };
  checkUserMetadata(user, key, VERSION_KEY.length); // reserved keys: refused before any request
  // The first target that answers a HEAD (through the router: breakers, retries, failover) is
  // up; its current version moves the clock on, so the upload's version is newer than it.
  const res = await ctx.router.runDetailed(
    (t, c) => t.store.head(key, c.signal === undefined ? {} : { signal: c.signal }),
    { idempotent: true, ...(signal === undefined ? {} : { signal }) },
  );
  ctx.clock.observe(res.value === null ? undefined : versionOf(res.value));
  // In a fleet, also past the key's newest journaled write (a delete leaves nothing to head).
  const version = await versionFor(ctx, key);
  checkUserMetadata(user, key, VERSION_KEY.length + version.length);
  const target = res.target;
  const signed = await sign(target, {
    ...base,
    ...(contentType === undefined ? {} : { contentType }),
    metadata: { ...user, [VERSION_KEY]: version },
  });
  await journalPresignedPut(ctx, key, version, target.name, signed.expiresAt.getTime());
  return signed;
}

/**
 * Journals a presigned upload before its URL is handed out: a put's intent (not acknowledged: the
 * upload may never happen) naming the signed target as where it goes and every other target as
 * missing it, with `notBefore` when the URL has expired plus `repair.settleMs` (a request sent just
 * before the expiry can land after it). Repair copies the version to the other targets once it is
 * found on the signed one, checks them again once that time has passed (the URL can be used more
 * than once), and drops the intent if the version landed nowhere. A read that returns the version
 * journals it as observed (acknowledged), as for any put's intent.
 *
 * The signed target also gets an uncertain window until then: a later write of the key in this
 * process, which the upload could still overwrite there (a presigned PUT is unconditional), keeps
 * that target journaled as missing its copy until the window has passed, and repair checks it
 * again then.
 *
 * A journal that fails: a `StorageError`, and no URL is handed out.
 */
async function journalPresignedPut(
  ctx: MultiContext,
  key: string,
  version: string,
  target: string,
  expiresAt: number,
): Promise<void> {
  const others = ctx.targets.map((t) => t.name).filter((n) => n !== target);
  if (others.length === 0) return;
  const until = Math.max(expiresAt, Date.now()) + ctx.options.settleMs;
  const entry: JournalEntry = {
    ...putIntentEntry(ctx, { key, version }, [target], others),
    notBefore: until,
  };
  try {
    void ctx.deferredRecords.flush(); // records the store made earlier go first
    await appendEntry(ctx, entry);
  } catch (err) {
    throw new StorageError(
      err instanceof FailoverError ? err.kind : 'unavailable',
      `The presigned upload of ${JSON.stringify(key)} could not be journaled; no URL is handed out`,
      { key, target: ctx.name, cause: err },
    );
  }
  if (ctx.pending.item(entry.id) === undefined) ctx.pending.append(entry);
  ctx.uncertain.openUntil(key, target, until);
  ctx.repairSoon(until);
}
