import { PassThrough, pipeline, Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { redactError } from '@failover/core';
import {
  type ByteRange,
  type GetRequest,
  type GetResult,
  type IoWatch,
  NotFoundError,
  prefixedKey,
  resolveRange,
  type StoreCall,
  toleratingUnheardErrors,
} from '@failover/storage';
import { s3ErrorCode } from './classify.js';
import { errorContext, type StoreContext } from './context.js';
import { abortedError, type ErrorContext, toStorageError } from './errors.js';
import { headByObjectKey } from './head.js';
import { infoFromHeaders, totalFromContentRange } from './info.js';
import { SliceStream } from './slice-stream.js';

/**
 * `get`: GetObject, with `Range: bytes=start-end` for a range. `info` describes the whole object
 * (its size from `Content-Range`). A range that starts at or past the end is an empty read: S3
 * answers 416 InvalidRange, and a HeadObject then gives the info. The signal reaches the SDK call
 * and, once the body flows, destroys it with an `aborted` error. A body that stalls or is cut
 * (see the store's `timeouts`) fails with a `TransferError` of kind `network`.
 */
export async function getObject(
  ctx: StoreContext,
  { key, range }: GetRequest,
  { signal, watch }: StoreCall,
): Promise<GetResult> {
  const objectKey = prefixedKey(ctx.prefix, key);
  const ectx = errorContext(ctx, 'get', key, signal);
  // `bytes=0-` is the whole object: sent without a Range (s3rver also breaks on it for empty objects).
  const rangeHeader =
    range === undefined || (range.start === 0 && range.end === undefined)
      ? undefined
      : `bytes=${range.start}-${range.end ?? ''}`;
  let res: GetObjectCommandOutput;
  try {
    res = await ctx.client.send(
      new GetObjectCommand({ Bucket: ctx.bucket, Key: objectKey, Range: rangeHeader }),
      {
        abortSignal: signal,
      },
    );
  } catch (err) {
    if (range !== undefined && !signal?.aborted && s3ErrorCode(err) === 'InvalidRange') {
      return emptyRead(ctx, key, objectKey, range, ectx, err);
    }
    throw toStorageError(err, ectx);
  }
  const total = totalFromContentRange(res.ContentRange);
  const size = total ?? res.ContentLength ?? 0;
  const info = infoFromHeaders(key, res, size);
  let body = toNodeReadable(res.Body);
  if (range !== undefined && resolveRange(range, size) === null) {
    // Nothing of the object lies in the range (S3 says 416; some servers answer 206 for an empty
    // object, s3rver with a body it never sends): the read is empty whatever came with it.
    body.destroy();
    return { info, body: Readable.from([]) };
  }
  if (rangeHeader !== undefined && total === undefined && range !== undefined) {
    // The server ignored the Range and sent the whole object: serve the range from it.
    const served = resolveRange(range, size);
    const slice = new SliceStream(served?.start ?? size, served ? served.end + 1 : size);
    pipeline(body, slice, () => {});
    body = slice;
  }
  return { info, body: guardBody(body, ectx, watch) };
}

/** The range starts at or past the end of the object: its info and an empty body. */
async function emptyRead(
  ctx: StoreContext,
  key: string,
  objectKey: string,
  range: ByteRange,
  ectx: ErrorContext,
  rangeError: unknown,
): Promise<GetResult> {
  const info = await headByObjectKey(ctx, key, objectKey, ectx.signal, 'get');
  if (info === null) throw new NotFoundError(key, { target: ctx.name, cause: redactError(rangeError) });
  if (resolveRange(range, info.size) !== null) throw toStorageError(rangeError, ectx);
  return { info, body: Readable.from([]) };
}

function toNodeReadable(body: GetObjectCommandOutput['Body']): Readable {
  if (body instanceof Readable) return body;
  if (body === undefined || body === null) return Readable.from([]);
  const web = body as unknown as ReadableStream<Uint8Array>;
  if (typeof web.getReader === 'function') return Readable.fromWeb(web);
  return Readable.from(body as unknown as AsyncIterable<Uint8Array>);
}

/**
 * The body handed to the caller: errors from the SDK's stream become library errors (network
 * kinds kept), the caller's signal destroys it with an `aborted` error, and destroying it early
 * releases the connection.
 */
function guardBody(source: Readable, ectx: ErrorContext, watch: IoWatch | undefined): Readable {
  const out = toleratingUnheardErrors(new PassThrough());
  const { signal } = ectx;
  const onAbort = (): void => {
    out.destroy(abortedError(ectx));
    source.destroy();
  };
  source.on('error', (err) => out.destroy(toStorageError(watch?.failure ?? err, ectx)));
  // A stalled or cut body fails the stream even when the SDK's stream itself stays silent.
  const offFailure = watch?.onFailure((err) => {
    out.destroy(toStorageError(err, ectx));
    source.destroy();
  });
  out.once('close', () => {
    offFailure?.();
    signal?.removeEventListener('abort', onAbort);
    if (!source.destroyed) source.destroy();
  });
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  source.pipe(out);
  return out;
}
