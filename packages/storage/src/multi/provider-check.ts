import { PassThrough, type Readable } from 'node:stream';
import { joinChunks, readStreamInto } from '../body.js';
import { ContentMismatchError, isContentMismatch } from '../errors.js';
import type { MultiContext } from './context.js';
import { IntegrityError } from './errors.js';
import { sha256Of, versionOf } from './reserved.js';
import { deferredSha256 } from './stamp.js';

/**
 * Some clouds' stores check the bytes they read against the provider's own checksum (the GCS
 * adapter against GCS's MD5 or CRC32C; the AWS SDK against an S3 response checksum) and fail the
 * read with a `ContentMismatchError` when they differ. The multi-cloud store checks every copy
 * against its own SHA-256 and treats a damaged copy the same way on every cloud: reported
 * (`integrityError`), queued for repair, never counted against the cloud's breaker. These helpers
 * let that rule see through the adapters' own checks.
 */

/**
 * Reads `body` whole for the store's own SHA-256 check. When the body fails at its end because
 * its store's checksum did not match, the bytes received are returned instead, and the SHA-256
 * decides (it also proves the bytes right when the provider's checksum was the wrong one). Any
 * other failure, or an abort of `signal`, rejects as `readAll` does.
 */
export async function readForOwnCheck(body: Readable, signal: AbortSignal | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    await readStreamInto(body, chunks, signal);
  } catch (err) {
    if (signal?.aborted || !isContentMismatch(err)) throw err;
  }
  return joinChunks(chunks);
}

/**
 * `source` as a stream that ends, instead of failing, when its store's checksum did not match at
 * its end: what passed is then checked by the reader's own SHA-256 (a repair's spool). Any other
 * failure fails it; destroying it destroys `source`.
 */
export function endingAtContentMismatch(source: Readable): Readable {
  const out = new PassThrough();
  source.on('error', (err) => {
    if (isContentMismatch(err)) out.end();
    else out.destroy(err);
  });
  out.once('close', () => {
    if (!source.readableEnded) source.destroy();
  });
  source.pipe(out);
  return out;
}

/**
 * The store's `IntegrityError` for a `get` that its cloud's store failed before answering because
 * the copy's bytes did not match the provider's checksum (a small object, read whole by the
 * adapter), when the adapter said which copy it was (`ContentMismatchError.info`) and its SHA-256
 * is known; else `undefined` (the failure stays what it is: an availability failure). Its
 * `actual` is the provider's checksum (`md5:<value>`): the bytes were not kept.
 */
export function corruptCopyOf(
  ctx: MultiContext,
  err: unknown,
  key: string,
  target: string,
): { error: IntegrityError; sha256: string } | undefined {
  if (!(err instanceof ContentMismatchError) || err.info === undefined) return undefined;
  const info = err.info;
  const sha256 = sha256Of(info) ?? deferredSha256(ctx, key, info);
  if (sha256 === undefined) return undefined;
  const actual = `${err.checksum}:${err.actual ?? 'mismatch'}`;
  return { error: new IntegrityError(key, target, sha256, actual, versionOf(info)), sha256 };
}
