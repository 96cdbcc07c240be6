import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { redactError } from '@failover/core';
import {
  type BlobInfo,
  NotFoundError,
  PreconditionFailedError,
  prefixedKey,
  type SetMetadataRequest,
} from '@failover/storage';
import { classifyS3Error } from './classify.js';
import { errorContext, type StoreContext } from './context.js';
import { toStorageError } from './errors.js';
import { headByObjectKey } from './head.js';
import { copySource } from './object-keys.js';

/**
 * `setMetadata`: S3 cannot change an object's metadata in place; the cheapest way is CopyObject
 * onto itself with `MetadataDirective: REPLACE` (server-side: no byte goes through the client,
 * but S3 copies the object, so it takes longer as the object grows, and fails above 5 GiB with
 * kind `invalid`). The content type is kept: it is read with a HeadObject first and sent again.
 *
 * `ifMatch` is checked against that HeadObject, then sent twice on the CopyObject: as
 * `x-amz-copy-source-if-match` (the version copied is the one seen) and as `If-Match` (S3's
 * conditional write: the version replaced is the one seen). S3 checks both atomically with the
 * copy (412, or 409 `ConditionalRequestConflict` for a racing write: `PreconditionFailedError`), so
 * a newer write landing after the HeadObject is never given this call's metadata. S3's ETag is its
 * content's MD5 (single-part objects): a newer write of the very same bytes has the same ETag and
 * is not told apart. A server that ignores both headers (plain s3rver) leaves only the HeadObject
 * check, which is not atomic.
 */
export async function setObjectMetadata(
  ctx: StoreContext,
  { key, metadata: normalized, ifMatch }: SetMetadataRequest,
  signal: AbortSignal | undefined,
): Promise<BlobInfo> {
  const objectKey = prefixedKey(ctx.prefix, key);
  const ectx = errorContext(ctx, 'copy', key, signal);
  // The content type must be sent again with REPLACE; the current one comes from a HeadObject.
  const current = await headByObjectKey(ctx, key, objectKey, signal, 'copy');
  if (current === null) throw new NotFoundError(key, { target: ctx.name });
  if (ifMatch !== undefined && current.etag !== ifMatch) {
    throw new PreconditionFailedError(key, { target: ctx.name, reason: 'the object changed' });
  }
  try {
    await ctx.client.send(
      new CopyObjectCommand({
        Bucket: ctx.bucket,
        Key: objectKey,
        CopySource: copySource(ctx.bucket, objectKey),
        MetadataDirective: 'REPLACE',
        Metadata: normalized,
        ContentType: current.contentType,
        CopySourceIfMatch: ifMatch === undefined ? undefined : `"${ifMatch}"`,
        IfMatch: ifMatch === undefined ? undefined : `"${ifMatch}"`,
      }),
      { abortSignal: signal },
    );
  } catch (err) {
    const kind = signal?.aborted ? undefined : classifyS3Error(err);
    if (kind === 'not_found') throw new NotFoundError(key, { target: ctx.name, cause: redactError(err) });
    if (kind === 'precondition') {
      throw new PreconditionFailedError(key, {
        target: ctx.name,
        reason: 'the object changed',
        cause: redactError(err),
      });
    }
    throw toStorageError(err, ectx);
  }
  const info = await headByObjectKey(ctx, key, objectKey, signal, 'copy');
  if (info === null) throw new NotFoundError(key, { target: ctx.name });
  return info;
}
