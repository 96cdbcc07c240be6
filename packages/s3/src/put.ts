import {
  type BlobInfo,
  checkPutMd5,
  type IoWatch,
  ifMatchFailed,
  PreconditionFailedError,
  type PutRequest,
  prefixedKey,
  type StoreCall,
} from '@failover/storage';
import { errorContext, type StoreContext } from './context.js';
import { headByObjectKey } from './head.js';
import { multipartUpload } from './multipart.js';
import { putBytes } from './put-bytes.js';
import type { WriteRequest } from './put-common.js';
import { planPut, sendsStreamsAsIs } from './put-plan.js';
import { putStream } from './put-stream.js';

/**
 * `put`, sent as {@link planPut} decides: a body of known size up to `multipartThreshold` in one
 * PutObject (bytes with Content-Length and Content-MD5; a stream of at least `partSize` bytes
 * streamed as it is read, see {@link putStream}); anything else in parts (see
 * {@link multipartUpload}). `ifNoneMatch: '*'` becomes S3's `If-None-Match: *` and
 * `ifMatch` S3's `If-Match` (on PutObject, and on CompleteMultipartUpload for multipart uploads);
 * S3's 404 for an `If-Match` on a missing key is a `PreconditionFailedError` too.
 */
export async function putObject(ctx: StoreContext, put: PutRequest, call: StoreCall): Promise<BlobInfo> {
  const request = writeRequest(ctx, put, call.signal);
  const { key } = put;
  const { watch } = call;
  const conditional = request.ifNoneMatch === '*' || request.ifMatch !== undefined;
  if (!conditional || ctx.conditionalWrites === 'native') return write(ctx, request, watch);
  return ctx.lock.run(request.objectKey, async () => {
    const existing = await headByObjectKey(ctx, key, request.objectKey, request.signal, 'put');
    if (request.ifNoneMatch === '*' && existing !== null) {
      throw new PreconditionFailedError(key, { target: ctx.name, reason: 'an object exists at the key' });
    }
    if (request.ifMatch !== undefined && existing?.etag !== request.ifMatch) {
      throw ifMatchFailed(key, ctx.name, existing !== null);
    }
    return write(ctx, request, watch);
  });
}

function write(ctx: StoreContext, request: WriteRequest, watch: IoWatch | undefined): Promise<BlobInfo> {
  const { body } = request;
  const plan = planPut({
    type: body.type,
    size: body.type === 'bytes' ? body.bytes.byteLength : request.size,
    partSize: ctx.partSize,
    multipartThreshold: ctx.multipartThreshold,
    streamsAsIs: true,
  });
  if (plan === 'bytes' && body.type === 'bytes') return putBytes(ctx, request, body.bytes);
  // Sent in parts, with no MD5 of the whole object for S3 to check: the caller's is checked here.
  if (body.type === 'bytes' && request.md5 !== undefined) {
    checkPutMd5(request.md5, body.bytes, request.key, ctx.name);
  }
  if (plan === 'stream' && body.type === 'stream') {
    // Only where the client sends a stream as it is (read from its config once per store).
    return streamsAsIs(ctx).then((asIs) =>
      asIs ? putStream(ctx, request, body.stream, watch) : multipartUpload(ctx, request),
    );
  }
  return multipartUpload(ctx, request);
}

/** Whether the store's client sends stream bodies as they are (read once per store). */
function streamsAsIs(ctx: StoreContext): Promise<boolean> {
  ctx.streamsAsIs ??= sendsStreamsAsIs(ctx.client.config);
  return ctx.streamsAsIs;
}

/** The put the facade checked, with what S3 needs besides (the object key, the error context). */
function writeRequest(ctx: StoreContext, put: PutRequest, signal: AbortSignal | undefined): WriteRequest {
  const { key, body, contentType, metadata, ifMatch, size, md5 } = put;
  return {
    key,
    objectKey: prefixedKey(ctx.prefix, key),
    body,
    contentType,
    metadata,
    ifNoneMatch: put.ifNoneMatch ? '*' : undefined,
    ifMatch,
    size,
    md5,
    signal,
    ectx: errorContext(ctx, 'put', key, signal),
  };
}
