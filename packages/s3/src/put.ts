import { createHash } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AbortedError, redact, redactError } from '@failover/core';
import {
  type BlobBody,
  type BlobInfo,
  blobInfo,
  InvalidArgumentError,
  type IoWatch,
  ifMatchFailed,
  type NormalizedBody,
  normalizePutBody,
  normalizePutOptions,
  PreconditionFailedError,
  type PutOptions,
  prefixedKey,
  StorageError,
} from '@failover/storage';
import { withAbortSignal } from './abortable-client.js';
import { ByteCounter } from './byte-counter.js';
import { classifyS3Error, s3ErrorCode } from './classify.js';
import { errorContext, type StoreContext } from './context.js';
import { abortedError, type ErrorContext, throwIfAborted, toStorageError } from './errors.js';
import { headByObjectKey } from './head.js';
import { md5FromEtag, unquoteEtag } from './info.js';

/** Everything a write needs, validated. */
interface WriteRequest {
  readonly key: string;
  readonly objectKey: string;
  readonly body: NormalizedBody;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly ifNoneMatch: '*' | undefined;
  /** `ifMatch`: the etag the object at the key must have (unquoted), when given. */
  readonly ifMatch: string | undefined;
  readonly size: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly ectx: ErrorContext;
}

/**
 * `put`: byte bodies up to `partSize` go in one PutObject (with Content-Length and Content-MD5);
 * larger byte bodies and every stream go through lib-storage's `Upload`, which cuts them into
 * parts held as buffers (so the SDK never sends an aws-chunked stream), or sends one PutObject
 * when the stream fits in one part. `ifNoneMatch: '*'` becomes S3's `If-None-Match: *` and
 * `ifMatch` S3's `If-Match` (on PutObject, and on CompleteMultipartUpload for multipart uploads);
 * S3's 404 for an `If-Match` on a missing key is a `PreconditionFailedError` too.
 */
export async function putObject(
  ctx: StoreContext,
  key: string,
  body: BlobBody,
  options: PutOptions = {},
  watch?: IoWatch,
): Promise<BlobInfo> {
  const request = validate(ctx, key, body, options);
  // A stalled or cut upload fails the call at once: release the caller's stream then too.
  const offFailure = watch?.onFailure(() => {
    if (request.body.type === 'stream' && !request.body.stream.destroyed) request.body.stream.destroy();
  });
  try {
    throwIfAborted(request.ectx);
    const conditional = request.ifNoneMatch === '*' || request.ifMatch !== undefined;
    if (!conditional || ctx.conditionalWrites === 'native') return await write(ctx, request);
    return await ctx.lock.run(request.objectKey, async () => {
      const existing = await headByObjectKey(ctx, key, request.objectKey, request.signal, 'put');
      if (request.ifNoneMatch === '*' && existing !== null) {
        throw new PreconditionFailedError(key, { target: ctx.name, reason: 'an object exists at the key' });
      }
      if (request.ifMatch !== undefined && existing?.etag !== request.ifMatch) {
        throw ifMatchFailed(key, ctx.name, existing !== null);
      }
      return write(ctx, request);
    });
  } catch (err) {
    // The store took the body: a stream is released whatever went wrong once it was accepted.
    if (request.body.type === 'stream' && !request.body.stream.destroyed) request.body.stream.destroy();
    throw err;
  } finally {
    offFailure?.();
  }
}

function write(ctx: StoreContext, request: WriteRequest): Promise<BlobInfo> {
  return request.body.type === 'bytes' && request.body.bytes.byteLength <= ctx.partSize
    ? putBytes(ctx, request, request.body.bytes)
    : upload(ctx, request);
}

function validate(ctx: StoreContext, key: string, body: BlobBody, options: PutOptions): WriteRequest {
  const objectKey = prefixedKey(ctx.prefix, key);
  // The rules every store shares: content type, metadata, ifNoneMatch, size, signal, options.
  const { metadata, contentType, size, ...o } = normalizePutOptions(key, options, ctx.name);
  const ifNoneMatch = o.ifNoneMatch ? '*' : undefined;
  const { ifMatch } = o;
  const normalized = normalizePutBody(body, key, ctx.name);
  if (normalized.type === 'bytes' && size !== undefined && size !== normalized.bytes.byteLength) {
    throw new InvalidArgumentError(
      'size',
      `the body has ${normalized.bytes.byteLength} bytes, not the ${size} given`,
      { key, target: ctx.name },
    );
  }
  return {
    key,
    objectKey,
    body: normalized,
    contentType,
    metadata,
    ifNoneMatch,
    ifMatch,
    size,
    signal: o.signal,
    ectx: errorContext(ctx, 'put', key, o.signal),
  };
}

async function putBytes(ctx: StoreContext, request: WriteRequest, bytes: Uint8Array): Promise<BlobInfo> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const md5 = createHash('md5').update(buffer).digest();
  try {
    const res = await ctx.client.send(
      new PutObjectCommand({
        Bucket: ctx.bucket,
        Key: request.objectKey,
        Body: buffer,
        ContentLength: buffer.byteLength,
        ContentMD5: md5.toString('base64'),
        ContentType: request.contentType,
        Metadata: request.metadata,
        IfNoneMatch: request.ifNoneMatch,
        IfMatch: quoted(request.ifMatch),
      }),
      { abortSignal: request.signal },
    );
    // S3 checked the Content-MD5 we sent, so the MD5 is the stored content's whatever the ETag is.
    return written(request, buffer.byteLength, unquoteEtag(res.ETag), md5.toString('hex'));
  } catch (err) {
    throw writeError(err, request);
  }
}

async function upload(ctx: StoreContext, request: WriteRequest): Promise<BlobInfo> {
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

/** An entity tag as the `If-Match` header carries it (quoted); `undefined` stays `undefined`. */
function quoted(etag: string | undefined): string | undefined {
  return etag === undefined ? undefined : `"${etag}"`;
}

/**
 * A failed write as a library error. With `ifMatch`, S3's 404 `NoSuchKey` means no object exists at
 * the key: the condition failed (a missing bucket stays what it is).
 */
function writeError(err: unknown, request: WriteRequest): Error {
  if (
    request.ifMatch !== undefined &&
    !request.signal?.aborted &&
    classifyS3Error(err) === 'not_found' &&
    s3ErrorCode(err) !== 'NoSuchBucket'
  ) {
    return ifMatchFailed(request.key, request.ectx.target, false, redactError(err));
  }
  return toStorageError(err, request.ectx);
}

function written(
  request: WriteRequest,
  size: number,
  etag: string | undefined,
  md5: string | undefined,
): BlobInfo {
  return blobInfo({
    key: request.key,
    size,
    contentType: request.contentType,
    metadata: { ...request.metadata },
    checksums: md5 === undefined ? {} : { md5 },
    etag,
  });
}

/**
 * The caller's body stream failed: not S3's fault, so never an availability kind (`invalid`), or
 * the stream's own `AbortedError` when it was aborted.
 */
function bodyStreamError(request: WriteRequest, cause: unknown): Error {
  if (cause instanceof AbortedError) return cause;
  const detail = cause instanceof Error ? `: ${redact(cause.message)}` : '';
  return new StorageError('invalid', `The body stream of ${JSON.stringify(request.key)} failed${detail}`, {
    target: request.ectx.target,
    key: request.key,
    cause,
  });
}
