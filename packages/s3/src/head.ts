import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { type BlobInfo, prefixedKey } from '@failover/storage';
import { classifyS3Error, s3ErrorCode } from './classify.js';
import { errorContext, type StoreContext } from './context.js';
import { throwIfAborted, toStorageError } from './errors.js';
import { infoFromHeaders } from './info.js';

/**
 * `head`: HeadObject. `null` when S3 answers 404 (a HEAD response has no body, so a missing
 * bucket looks the same as a missing key here).
 */
export function headObject(
  ctx: StoreContext,
  key: string,
  signal: AbortSignal | undefined,
): Promise<BlobInfo | null> {
  return headByObjectKey(ctx, key, prefixedKey(ctx.prefix, key), signal);
}

/** HeadObject for an already validated key; shared by `head`, `get`, `copy` and emulated conditional writes and deletes. */
export async function headByObjectKey(
  ctx: StoreContext,
  key: string,
  objectKey: string,
  signal: AbortSignal | undefined,
  operation: 'head' | 'get' | 'put' | 'copy' | 'delete' = 'head',
): Promise<BlobInfo | null> {
  const ectx = errorContext(ctx, operation, key, signal);
  throwIfAborted(ectx);
  try {
    const res = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: objectKey }), {
      abortSignal: signal,
    });
    return infoFromHeaders(key, res, res.ContentLength ?? 0);
  } catch (err) {
    if (!signal?.aborted && classifyS3Error(err) === 'not_found' && s3ErrorCode(err) !== 'NoSuchBucket') {
      return null;
    }
    throw toStorageError(err, ectx);
  }
}
