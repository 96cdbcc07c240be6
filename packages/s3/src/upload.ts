import { pipeline, type Readable } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';
import { type BlobInfo, StorageError } from '@failover/storage';
import { withAbortSignal } from './abortable-client.js';
import { ByteCounter } from './byte-counter.js';
import type { StoreContext } from './context.js';
import { abortedError } from './errors.js';
import { md5FromEtag, unquoteEtag } from './info.js';
import { bodyStreamError, quoted, type WriteRequest, writeError, written } from './put-common.js';

/**
 * A put through lib-storage's `Upload`: a multipart upload of `partSize` parts (`queueSize` at
 * once), each held as a buffer so the SDK never sends an aws-chunked stream, or one `PutObject`
 * of a buffer when the body fits in one part. A stream is counted on the way (its `size` hint is
 * enforced). A failed or aborted upload sends `AbortMultipartUpload`.
 */
export async function upload(ctx: StoreContext, request: WriteRequest): Promise<BlobInfo> {
  const { signal } = request;
  let body: Uint8Array | Readable;
  let counter: ByteCounter | undefined;
  let sourceError: unknown;
  if (request.body.type === 'stream') {
    const source = request.body.stream;
    source.once('error', (err) => {
      sourceError ??= err;
    });
    counter = new ByteCounter(request.size, request.key, ctx.name);
    // pipeline destroys the caller's stream when the counter is destroyed (failure, abort).
    pipeline(source, counter, () => {});
    body = counter;
  } else {
    body = request.body.bytes;
  }
  const uploader = new Upload({
    client: withAbortSignal(ctx.client, signal),
    params: {
      Bucket: ctx.bucket,
      Key: request.objectKey,
      Body: body,
      ContentType: request.contentType,
      Metadata: request.metadata,
      IfNoneMatch: request.ifNoneMatch,
      IfMatch: quoted(request.ifMatch),
    },
    partSize: ctx.partSize,
    queueSize: ctx.queueSize,
    leavePartsOnError: false,
  });
  const onAbort = (): void => {
    void uploader.abort();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await uploader.done();
    const size = counter ? counter.bytes : request.body.type === 'bytes' ? request.body.bytes.byteLength : 0;
    const etag = unquoteEtag(res.ETag);
    // A multipart ETag is not an MD5 of the content (s3rver's even look like one): claim none.
    const md5 = uploader.uploadId === undefined ? md5FromEtag(etag, res) : undefined;
    return written(request, size, etag, md5);
  } catch (err) {
    counter?.destroy();
    if (signal?.aborted) throw abortedError(request.ectx);
    if (err instanceof StorageError) throw err;
    if (sourceError !== undefined) throw bodyStreamError(request, sourceError);
    throw writeError(err, request);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
