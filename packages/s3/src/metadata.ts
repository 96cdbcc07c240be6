import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { redactError } from '@failover/core';
import {
  type BlobInfo,
  checkCallOptions,
  NotFoundError,
  normalizeMetadata,
  PreconditionFailedError,
  prefixedKey,
  type SetMetadataOptions,
} from '@failover/storage';
import { classifyS3Error } from './classify.js';
import { errorContext, type StoreContext } from './context.js';
import { throwIfAborted, toStorageError } from './errors.js';
import { headByObjectKey } from './head.js';
import { copySource } from './object-keys.js';

/**
 * `setMetadata`: S3 cannot change an object's metadata in place; the cheapest way is CopyObject
 * onto itself with `MetadataDirective: REPLACE` (server-side: no byte goes through the client,
 * but S3 copies the object, so it takes longer as the object grows, and fails above 5 GiB with
 * kind `invalid`). `ifMatch` becomes `x-amz-copy-source-if-match`. The content type is kept.
 */
export async function setObjectMetadata(
  ctx: StoreContext,
  key: string,
  metadata: Record<string, string>,
  options: SetMetadataOptions = {},
): Promise<BlobInfo> {
  const objectKey = prefixedKey(ctx.prefix, key);
  const { ifMatch, ...rest } = options;
  checkCallOptions(rest, { key, target: ctx.name });
  const normalized = normalizeMetadata(metadata, key);
  const { signal } = options;
  const ectx = errorContext(ctx, 'copy', key, signal);
  throwIfAborted(ectx);
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
      }),
      { abortSignal: signal },
    );
  } catch (err) {
    if (!signal?.aborted && classifyS3Error(err) === 'not_found') {
      throw new NotFoundError(key, { target: ctx.name, cause: redactError(err) });
    }
    throw toStorageError(err, ectx);
  }
  const info = await headByObjectKey(ctx, key, objectKey, signal, 'copy');
  if (info === null) throw new NotFoundError(key, { target: ctx.name });
  return info;
}
