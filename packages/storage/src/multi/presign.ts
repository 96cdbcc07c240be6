import { NotFoundError, StorageError } from '../errors.js';
import {
  type NormalizedPresignOptions,
  normalizePresignOptions,
  type PresignedUrl,
  type PresignOptions,
} from '../presign.js';
import type { BlobStore } from '../types.js';
import type { MultiContext, StoreTarget } from './context.js';
import { markerClock } from './epoch.js';
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
 *   only and is not journaled (the store cannot know whether or when it happens); it carries a
 *   fresh `fo_version` from the store's clock as metadata (a header the uploader must send, see
 *   `PresignedUrl.headers`), so `reconcile` copies it to the other targets as the newest version.
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
        const trusted = await ctx.epochs.trusted(ctx, t.name, sent);
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
  return sign(target, {
    ...base,
    ...(contentType === undefined ? {} : { contentType }),
    metadata: { ...user, [VERSION_KEY]: version },
  });
}
