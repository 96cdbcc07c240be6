import { ClientRequest } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { type BlobInfo, type IoWatch, StorageError } from '@failover/storage';
import { ByteCounter } from './byte-counter.js';
import type { StoreContext } from './context.js';
import { abortedError } from './errors.js';
import { md5FromEtag, unquoteEtag } from './info.js';
import { bodyStreamError, quoted, type WriteRequest, writeError, written } from './put-common.js';

/**
 * A stream of known size (`request.size`) sent in one `PutObject` as it is read: no part buffers,
 * so memory stays flat whatever the size. The last byte is held back until the stream has ended
 * with exactly `size` bytes (see {@link ByteCounter}): a stream that fails, ends short or runs
 * long never completes the request, which is then aborted, so S3 stores nothing. The SDK does not
 * retry a request with a stream body; the caller (or the multi-cloud store, from its replay copy)
 * sends it again. The request is handed to `watch` as soon as the SDK starts writing the body into
 * it (see {@link IoWatch.watchRequest}), so a stalled upload is bounded like any other request.
 */
export async function putStream(
  ctx: StoreContext,
  request: WriteRequest,
  source: Readable,
  watch: IoWatch | undefined,
): Promise<BlobInfo> {
  const size = request.size!;
  const { signal } = request;
  let sourceError: unknown;
  let bodyError: unknown;
  source.once('error', (err) => {
    sourceError ??= err;
  });
  const counter = new ByteCounter(size, request.key, ctx.name, true);
  // The SDK pipes the body into its request, which a failing body does not end: cut it ourselves.
  const cut = new AbortController();
  counter.once('error', (err) => {
    bodyError ??= err;
    cut.abort(err);
  });
  // pipeline destroys the caller's stream when the counter is destroyed (failure, abort).
  pipeline(source, counter, () => {});
  if (watch !== undefined) watchOnPipe(counter, watch);
  const onAbort = (): void => cut.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await ctx.client.send(
      new PutObjectCommand({
        Bucket: ctx.bucket,
        Key: request.objectKey,
        Body: counter,
        ContentLength: size,
        ContentType: request.contentType,
        Metadata: request.metadata,
        IfNoneMatch: request.ifNoneMatch,
        IfMatch: quoted(request.ifMatch),
      }),
      { abortSignal: cut.signal },
    );
    const etag = unquoteEtag(res.ETag);
    // One PutObject: its ETag is the content's MD5 unless the object is encrypted with KMS or SSE-C.
    return written(request, size, etag, md5FromEtag(etag, res));
  } catch (err) {
    counter.destroy();
    if (signal?.aborted) throw abortedError(request.ectx);
    if (sourceError !== undefined) throw bodyStreamError(request, sourceError);
    if (bodyError instanceof StorageError) throw bodyError;
    throw writeError(err, request);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Hands the HTTP request the SDK pipes `body` into to `watch` (the SDK's `writeBody` pipes it). */
function watchOnPipe(body: Readable, watch: IoWatch): void {
  const pipe = body.pipe.bind(body);
  body.pipe = <T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T => {
    if (destination instanceof ClientRequest) watch.watchRequest(destination);
    return pipe(destination, options);
  };
}
