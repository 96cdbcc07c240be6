import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { redactError } from '@failover/core';
import { type DeleteRequest, ifMatchFailed, prefixedKey } from '@failover/storage';
import { classifyS3Error, s3ErrorCode } from './classify.js';
import { errorContext, type StoreContext } from './context.js';
import { type ErrorContext, toStorageError } from './errors.js';
import { headByObjectKey } from './head.js';

/**
 * `delete`: DeleteObject. S3 answers 204 for a missing key too; a NoSuchKey is ignored as well.
 *
 * `ifMatch` becomes S3's `If-Match` on DeleteObject (conditional deletes, general purpose buckets
 * since September 2025): S3 deletes only the version with that ETag, atomically, and answers 412
 * `PreconditionFailed` (a `PreconditionFailedError`; 409 `ConditionalRequestConflict` when a
 * concurrent write races it, the same error) when another version is there, or 404 `NoSuchKey`
 * when nothing is (not an error: the version is gone either way). With `conditionalWrites:
 * 'emulated'`, a HeadObject checks the ETag first under the store's per-key lock, and the delete
 * still carries the header: race-free against this store instance only.
 */
export async function deleteObject(
  ctx: StoreContext,
  { key, ifMatch }: DeleteRequest,
  signal: AbortSignal | undefined,
): Promise<void> {
  const objectKey = prefixedKey(ctx.prefix, key);
  const ectx = errorContext(ctx, 'delete', key, signal);
  if (ifMatch === undefined || ctx.conditionalWrites === 'native') {
    return send(ctx, objectKey, ifMatch, ectx);
  }
  return ctx.lock.run(objectKey, async () => {
    const existing = await headByObjectKey(ctx, key, objectKey, signal, 'delete');
    if (existing === null) return;
    if (existing.etag !== ifMatch) throw ifMatchFailed(key, ctx.name, true);
    return send(ctx, objectKey, ifMatch, ectx);
  });
}

async function send(
  ctx: StoreContext,
  objectKey: string,
  ifMatch: string | undefined,
  ectx: ErrorContext,
): Promise<void> {
  try {
    await ctx.client.send(
      new DeleteObjectCommand({
        Bucket: ctx.bucket,
        Key: objectKey,
        ...(ifMatch === undefined ? {} : { IfMatch: `"${ifMatch}"` }),
      }),
      { abortSignal: ectx.signal },
    );
  } catch (err) {
    if (ectx.signal?.aborted) throw toStorageError(err, ectx);
    const code = s3ErrorCode(err);
    if (code === 'NoSuchKey' || code === 'NotFound') return;
    if (ifMatch !== undefined && classifyS3Error(err) === 'precondition') {
      throw ifMatchFailed(ectx.key ?? objectKey, ctx.name, true, redactError(err));
    }
    throw toStorageError(err, ectx);
  }
}
