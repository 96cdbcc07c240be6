import { classifyFailure } from '@failover/core';
import { StorageError } from '../errors.js';
import type { BlobInfo } from '../types.js';
import { type MultiContext, mayHaveLanded, runOn, targetFailure } from './context.js';
import { IntegrityError } from './errors.js';
import { reportCorruptCopy } from './journaling.js';
import { corruptCopyOf, endingAtContentMismatch } from './provider-check.js';
import { isDeferred, SHA256_KEY, versionOf } from './reserved.js';
import { Spool } from './spool.js';
import { knownSha256, unstampedSha256 } from './stamp.js';
import { compareVersions, type OlderCopy } from './version.js';

/**
 * A version is on no target any more: every source answered, and held an older version (`older`,
 * `undefined` for an object no multi-cloud store wrote) or nothing. Kind `not_found`. A source
 * whose copy of the version failed its SHA-256 check holds it still (unreadable for now): the
 * fetch then fails as `unavailable`, never with this error.
 */
export class VanishedError extends StorageError {
  /** The older versions the sources held instead, with the source that held each (in the order asked). */
  readonly olderOn: readonly OlderCopy[];
  /**
   * What each source answered, in the order asked: `<target>: missing` or `<target>: older
   * (<version>)`.
   */
  readonly seen: readonly string[];

  constructor(
    key: string,
    version: string | undefined,
    olderOn: readonly OlderCopy[],
    seen: readonly string[],
  ) {
    const detail = seen.length > 0 ? ` (${seen.join('; ')})` : '';
    super(
      'not_found',
      `Version ${version ?? '(unversioned)'} of ${JSON.stringify(key)} is on no target any more${detail}`,
      {
        key,
      },
    );
    this.olderOn = Object.freeze(olderOn.map((o) => Object.freeze({ ...o })));
    this.seen = Object.freeze([...seen]);
  }
}

/** A version of an object fetched from a target, ready to be written elsewhere. */
export interface Fetched {
  readonly spool: Spool;
  readonly info: BlobInfo;
  readonly from: string;
  /** The version fetched: the one asked for, or a newer one that replaced it meanwhile. */
  readonly version: string | undefined;
}

/**
 * Fetches `version` of `key`, or a newer version that replaced it, from the first of `sources`
 * that is up and holds one with intact bytes, into a spool (memory stays flat for large objects).
 * A source with an older version (or none) is skipped; so is one whose bytes do not match their
 * SHA-256 (reported as corrupt and queued for repair). `sha256` is checked when the exact version
 * is found; a newer one is checked against its own metadata. `version` undefined accepts any copy.
 * Rejects with kind `not_found` when every source answered and none holds it (it is gone for
 * good), `unavailable` when some source could not be asked or read, or held it with bytes that did
 * not match (it is there: a later try may read it whole).
 */
export async function fetchVersion(
  ctx: MultiContext,
  key: string,
  sources: readonly string[],
  version: string | undefined,
  sha256: string | undefined,
  signal: AbortSignal | undefined,
): Promise<Fetched> {
  let lastError: unknown;
  let unreachable = false;
  const seen: string[] = [];
  const olderFound: OlderCopy[] = [];
  for (const from of sources) {
    if (!ctx.router.isAvailable(from)) {
      unreachable = true;
      continue;
    }
    let got:
      | { spool: Spool; info: BlobInfo }
      | { found: string | undefined }
      | { damaged: { error: IntegrityError; sha256: string } }
      | null;
    try {
      got = await runOn(
        ctx,
        from,
        async (store, s) => {
          let r: Awaited<ReturnType<typeof store.get>>;
          try {
            r = await store.get(key, s === undefined ? {} : { signal: s });
          } catch (err) {
            if (classifyFailure(err) === 'not_found') return null;
            // Its store's own checksum rejected the copy before answering: damaged, as below.
            const damaged = corruptCopyOf(ctx, err, key, from);
            if (damaged !== undefined) return { damaged };
            throw err;
          }
          const found = versionOf(r.info);
          if (version !== undefined && compareVersions(found, version) < 0) {
            r.body.destroy();
            return { found };
          }
          const spool = await Spool.fromStream(
            endingAtContentMismatch(r.body),
            { memoryBytes: ctx.options.spoolMemoryBytes, dir: ctx.options.spoolDir },
            s,
            key,
          );
          return { spool, info: r.info };
        },
        signal,
      );
    } catch (err) {
      lastError = err;
      unreachable = true;
      continue;
    }
    if (got === null) {
      seen.push(`${from}: missing`);
      continue;
    }
    if ('damaged' in got) {
      const { error, sha256: expected } = got.damaged;
      if (version !== undefined && compareVersions(error.version, version) < 0) {
        olderFound.push({ target: from, version: error.version });
        seen.push(`${from}: older (${error.version ?? 'unversioned'})`);
        continue;
      }
      // Damaged, not vanished: as a copy whose SHA-256 does not match (below).
      reportCorruptCopy(ctx, error, expected);
      seen.push(`${from}: corrupt`);
      unreachable = true;
      continue;
    }
    if (!('spool' in got)) {
      olderFound.push({ target: from, version: got.found });
      seen.push(`${from}: older (${got.found ?? 'unversioned'})`);
      continue;
    }
    const found = versionOf(got.info);
    // An unstamped copy no journal here knows the hash of: against a stamped copy elsewhere, so a
    // copy damaged on its way is not written to other targets and stamped as good.
    const expected =
      (found === version ? sha256 : undefined) ??
      knownSha256(ctx, key, got.info) ??
      (await unstampedSha256(ctx, key, got.info, from, signal));
    if (expected !== undefined && got.spool.sha256 !== expected) {
      reportCorruptCopy(ctx, new IntegrityError(key, from, expected, got.spool.sha256, found), expected);
      got.spool.release();
      seen.push(`${from}: corrupt`);
      // The version (or a newer one) is there, only its bytes did not come back whole: a copy gone
      // bad at rest, or bytes damaged on their way (a flaky disk read, a middlebox). Not vanished:
      // it may read well later, and settling it as lost would delete the only copy (soak seed
      // 24032: a degraded write's one copy, read through a corrupting proxy, was declared lost).
      unreachable = true;
      continue;
    }
    ctx.clock.observe(found);
    return { spool: got.spool, info: got.info, from, version: found };
  }
  const detail = seen.length > 0 ? ` (${seen.join('; ')})` : '';
  if (!unreachable) {
    // Every source answered and none holds it: overwritten by an older-stamped write of another
    // writer, lost with a cloud's data, or deleted behind the store's back.
    throw new VanishedError(key, version, olderFound, seen);
  }
  throw new StorageError(
    'unavailable',
    `No target could provide version ${version ?? '(unversioned)'} of ${JSON.stringify(key)}${detail}`,
    { key, cause: lastError },
  );
}

/** The precondition a copy is written under (see {@link copyCondition}). */
export type CopyCondition =
  | { readonly ifNoneMatch: '*' }
  | { readonly ifMatch: string }
  | Record<string, never>;

/**
 * The precondition of a copy to a target, from what the target held when repair or reconcile
 * looked (pure): nothing there (`null`): `ifNoneMatch: '*'`; a copy with an entity tag: `ifMatch`
 * on it; a copy whose store reports no entity tag, or a target not looked at (`undefined`): none.
 * So a late request or another writer that put a newer copy there meanwhile is never replaced:
 * the copy fails with kind `precondition` instead, and the caller looks again.
 */
export function copyCondition(current: Pick<BlobInfo, 'etag'> | null | undefined): CopyCondition {
  if (current === null) return { ifNoneMatch: '*' };
  if (current?.etag !== undefined) return { ifMatch: current.etag };
  return {};
}

/** The precondition of a delete repair or reconcile sends (see {@link deleteCondition}). */
export type DeleteCondition = { readonly ifMatch: string } | Record<string, never>;

/**
 * The precondition of a delete repair or reconcile sends to a target, from the copy they saw there
 * (pure): `ifMatch` on its entity tag, so a version that lands there between the look and the
 * delete (a late request, another writer's newer write) is never deleted: the delete fails with
 * kind `precondition` instead, and the caller looks again. A copy whose store reports no entity
 * tag, or a target not looked at (`undefined`): none. Nothing seen (`null`) needs no delete.
 */
export function deleteCondition(current: Pick<BlobInfo, 'etag'> | null | undefined): DeleteCondition {
  if (current?.etag !== undefined) return { ifMatch: current.etag };
  return {};
}

/**
 * Whether a conditional copy or delete failed because its precondition did not hold (the target
 * changed meanwhile).
 */
export function isRefused(err: unknown): boolean {
  return classifyFailure(err) === 'precondition';
}

/**
 * Deletes `target`'s copy of `key`, under {@link deleteCondition} of the copy the caller saw there
 * (`current`). When it fails with kind `precondition` (see {@link isRefused}), the target changed
 * meanwhile: the caller looks again and decides again.
 */
export async function deleteSeen(
  ctx: MultiContext,
  key: string,
  target: string,
  current: BlobInfo | null | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  const condition = deleteCondition(current);
  await watchLanding(
    ctx,
    key,
    target,
    runOn(
      ctx,
      target,
      (store, s) => store.delete(key, { ...condition, ...(s === undefined ? {} : { signal: s }) }),
      signal,
    ),
  );
}

/**
 * Writes a fetched version to `target` as it is (content type, metadata with version and SHA-256),
 * under {@link copyCondition} of what the target held when the caller looked (`current`). When it
 * fails with kind `precondition` (see {@link isRefused}), the target changed meanwhile: the
 * caller looks again and decides again. Returns what the target answered (its etag: the copy's
 * own condition, should it have to be taken back).
 */
export async function writeFetched(
  ctx: MultiContext,
  key: string,
  fetched: Fetched,
  target: string,
  signal: AbortSignal | undefined,
  current?: BlobInfo | null,
): Promise<BlobInfo> {
  const { spool, info } = fetched;
  const condition = copyCondition(current);
  // A copy not yet stamped is written stamped: its bytes were just hashed.
  const metadata = isDeferred(info) ? { ...info.metadata, [SHA256_KEY]: spool.sha256 } : info.metadata;
  return watchLanding(
    ctx,
    key,
    target,
    runOn(
      ctx,
      target,
      (store, s) =>
        store.put(key, spool.body(), {
          ...(info.contentType === undefined ? {} : { contentType: info.contentType }),
          metadata,
          size: spool.size,
          ...condition,
          ...(s === undefined ? {} : { signal: s }),
        }),
      signal,
    ),
  );
}

/**
 * A copy or delete of repair or reconcile that ended without an answer (attempt timeout, cut
 * connection) may still land on its target later, after the key's lock is released: a copy of an
 * older version landing after a newer delete there (where nothing is left to refuse it: the
 * condition was `ifNoneMatch: '*'` on an empty target, and the delete left it empty again), or
 * after a newer put whose bytes S3's condition cannot tell apart. So the key's window opens on the
 * target (`UncertainWindows`, as for a write's own answerless request): the next write of the key
 * is journaled as still missing there until repair has checked the target again after
 * `repair.settleMs`, so reads do not trust the target's copy of the key meanwhile.
 */
async function watchLanding<R>(
  ctx: MultiContext,
  key: string,
  target: string,
  request: Promise<R>,
): Promise<R> {
  try {
    return await request;
  } catch (err) {
    if (mayHaveLanded(targetFailure(target, err))) ctx.uncertain.open(key, target);
    throw err;
  }
}
