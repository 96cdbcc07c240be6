import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { redactError } from '@failover/core';
import {
  type BlobInfo,
  type CopyRequest,
  NotFoundError,
  PreconditionFailedError,
  prefixedKey,
} from '@failover/storage';
import { classifyS3Error, s3ErrorCode } from './classify.js';
import { errorContext, type StoreContext } from './context.js';
import { toStorageError } from './errors.js';
import { headByObjectKey } from './head.js';
import { copySource } from './object-keys.js';

/**
 * `copy`: CopyObject with `MetadataDirective: COPY` (content type and metadata come along) and
 * `If-None-Match: *` for `ifNoneMatch`, then HeadObject of the copy for its info (CopyObject
 * does not report size, type or metadata). Missing source: `NotFoundError` for `from`. S3 copies
 * up to 5 GiB in one CopyObject; larger sources fail with kind `invalid`.
 */
export async function copyObject(
  ctx: StoreContext,
  request: CopyRequest,
  signal: AbortSignal | undefined,
): Promise<BlobInfo> {
  const { from, to } = request;
  const source = prefixedKey(ctx.prefix, from);
  const target = prefixedKey(ctx.prefix, to);
  const ifNoneMatch = request.ifNoneMatch ? '*' : undefined;
  const ectx = errorContext(ctx, 'copy', to, signal);
  if (source === target) return copyOntoItself(ctx, from, source, request.ifNoneMatch, signal);
  const copy = async (): Promise<BlobInfo> => {
    try {
      await ctx.client.send(
        new CopyObjectCommand({
          Bucket: ctx.bucket,
          Key: target,
          CopySource: copySource(ctx.bucket, source),
          MetadataDirective: 'COPY',
          IfNoneMatch: ifNoneMatch,
        }),
        { abortSignal: signal },
      );
    } catch (err) {
      // CopyObject's 404 is about the source; everything else about the copy.
      if (!signal?.aborted && classifyS3Error(err) === 'not_found' && s3ErrorCode(err) !== 'NoSuchBucket') {
        throw new NotFoundError(from, { target: ctx.name, cause: redactError(err) });
      }
      throw toStorageError(err, ectx);
    }
    const info = await headByObjectKey(ctx, to, target, signal, 'copy');
    // Deleted again between the copy and the head: report what is there now.
    if (info === null) throw new NotFoundError(to, { target: ctx.name });
    return info;
  };
  if (ifNoneMatch !== '*' || ctx.conditionalWrites === 'native') return copy();
  return ctx.lock.run(target, async () => {
    if ((await headByObjectKey(ctx, to, target, signal, 'copy')) !== null) {
      throw new PreconditionFailedError(to, { target: ctx.name, reason: 'an object exists at the key' });
    }
    return copy();
  });
}

/**
 * S3 refuses to copy an object onto itself unchanged; the result would be the object itself.
 * With `ifNoneMatch` the destination exists whenever the source does: a failed precondition.
 */
async function copyOntoItself(
  ctx: StoreContext,
  key: string,
  objectKey: string,
  ifNoneMatch: boolean,
  signal: AbortSignal | undefined,
): Promise<BlobInfo> {
  const info = await headByObjectKey(ctx, key, objectKey, signal, 'copy');
  if (info === null) throw new NotFoundError(key, { target: ctx.name });
  if (ifNoneMatch) {
    throw new PreconditionFailedError(key, { target: ctx.name, reason: 'an object exists at the key' });
  }
  return info;
}
