import { randomBytes } from 'node:crypto';
import { classifyFailure } from '@failover/core';
import { type MultiContext, runOn } from './context.js';
import { STORE_PREFIX } from './reserved.js';

/**
 * Where a restore of a target that lost its data marks that target while it runs: one object per
 * restore, `_failover/restoring/<id>`. A target that loses its data again during the restore
 * loses the mark with it, so the restore knows that what it copied before is gone too, and does
 * not trust the target at its end. Hidden from listings and never copied (the store's own
 * prefix). One per restore, so concurrent restores of the same target by several processes of a
 * fleet never take each other's mark for a loss.
 */
export const RESTORE_MARK_PREFIX = `${STORE_PREFIX}restoring/`;

/** A mark a running restore placed on its target. */
export interface RestoreMark {
  readonly key: string;
  /** The entity tag the target answered the mark's put with, when it gave one. */
  readonly etag: string | undefined;
}

/** Marks older than this are left over by processes that died mid-restore: removed by the next restore that ends. */
const STALE_MARK_MS = 24 * 60 * 60 * 1000;

/** Places a new mark on `target` before its restore starts; throws what the put threw. */
export async function placeRestoreMark(ctx: MultiContext, target: string): Promise<RestoreMark> {
  const key = `${RESTORE_MARK_PREFIX}${randomBytes(8).toString('hex')}`;
  const body = Buffer.from(
    `${JSON.stringify({ note: 'a restore of this bucket by @failover/storage is running; do not delete' })}\n`,
  );
  const info = await runOn(
    ctx,
    target,
    (s, signal) =>
      s.put(key, body, { contentType: 'application/json', ...(signal === undefined ? {} : { signal }) }),
    undefined,
  );
  return { key, etag: info.etag };
}

/**
 * Whether `mark` is still on `target` as it was placed: `false` when it is gone (the target lost
 * its data again since) or was replaced; throws when the target could not be asked.
 */
export async function restoreMarkHeld(
  ctx: MultiContext,
  target: string,
  mark: RestoreMark,
): Promise<boolean> {
  let info: Awaited<ReturnType<typeof headOf>>;
  try {
    info = await headOf(ctx, target, mark.key);
  } catch (err) {
    if (classifyFailure(err) === 'not_found') return false;
    throw err;
  }
  return info !== null && (mark.etag === undefined || info.etag === undefined || info.etag === mark.etag);
}

/**
 * Removes `mark` once the restore ended, and the marks that processes which died mid-restore left
 * on `target` (older than a day). Best effort: a mark left behind costs a small hidden object.
 */
export async function dropRestoreMarks(ctx: MultiContext, target: string, mark: RestoreMark): Promise<void> {
  const doomed = [mark.key];
  try {
    await runOn(
      ctx,
      target,
      async (s, signal) => {
        const now = ctx.options.now();
        for await (const e of s.list({
          prefix: RESTORE_MARK_PREFIX,
          ...(signal === undefined ? {} : { signal }),
        })) {
          if (!('key' in e) || e.key === mark.key) continue;
          const at = e.lastModified?.getTime();
          if (at !== undefined && now - at > STALE_MARK_MS) doomed.push(e.key);
        }
      },
      undefined,
    );
  } catch {
    // The leftovers wait for the next restore.
  }
  for (const key of doomed) {
    await runOn(
      ctx,
      target,
      (s, signal) => s.delete(key, signal === undefined ? {} : { signal }),
      undefined,
    ).catch(() => undefined);
  }
}

function headOf(ctx: MultiContext, target: string, key: string) {
  return runOn(ctx, target, (s, signal) => s.head(key, signal === undefined ? {} : { signal }), undefined);
}
