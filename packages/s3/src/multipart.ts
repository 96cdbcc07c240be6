import { pipeline } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { type BlobInfo, InvalidArgumentError, StorageError } from '@failover/storage';
import { ByteCounter } from './byte-counter.js';
import type { StoreContext } from './context.js';
import { abortedError } from './errors.js';
import { unquoteEtag } from './info.js';
import { largestStream, MAX_PARTS, partSizes } from './part-sizes.js';
import { bytesParts, type PartSource, streamParts } from './part-source.js';
import { putBytes } from './put-bytes.js';
import { bodyStreamError, quoted, type WriteRequest, writeError, written } from './put-common.js';
import { requestChecksumMode } from './put-plan.js';

/** The checksums an `UploadPart` answer may carry, which `CompleteMultipartUpload` lists again. */
const PART_CHECKSUMS = ['ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumSHA1', 'ChecksumSHA256'] as const;
/** How long the clean-up of a failed upload (`AbortMultipartUpload`) may take, in ms. */
const ABORT_UPLOAD_MS = 30_000;

/**
 * A put in parts: `CreateMultipartUpload`, `UploadPart` for every `partSize` bytes (`queueSize`
 * at once), `CompleteMultipartUpload` (which carries `ifNoneMatch`/`ifMatch`). A body that fits
 * in one part goes in one `PutObject` with its `Content-MD5` instead.
 *
 * A stream is copied into `queueSize` buffers of `partSize` bytes, reused from part to part, so
 * memory stays at `partSize * queueSize` whatever the size, and every part is a buffer the SDK
 * can send again when its request fails (its own retries). A stream is counted on the way (its
 * `size` hint is enforced) and nothing is committed before it has ended cleanly. A byte body is
 * sent in views of itself. A failed or aborted upload cancels the parts in flight and sends
 * `AbortMultipartUpload` (not awaited: the error is not delayed by the clean-up).
 */
export async function multipartUpload(ctx: StoreContext, request: WriteRequest): Promise<BlobInfo> {
  const { signal } = request;
  const size = request.body.type === 'bytes' ? request.body.bytes.byteLength : request.size;
  // A body of known size takes parts large enough to fit in S3's 10,000; a stream of unknown
  // size, parts that grow as it goes on.
  const sizes = partSizes(ctx.partSize, size);
  // One signal for every request: the caller's abort, or the first failure, cancels all of them.
  const cut = new AbortController();
  const onAbort = (): void => cut.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let counter: ByteCounter | undefined;
  let sourceError: unknown;
  let parts: PartSource;
  if (request.body.type === 'stream') {
    const source = request.body.stream;
    source.once('error', (err) => {
      // Once cut, the stream is destroyed by us: that is no failure of the caller's stream.
      if (!cut.signal.aborted) sourceError ??= err;
    });
    const body = new ByteCounter(request.size, request.key, ctx.name);
    // pipeline destroys the caller's stream when the counter is destroyed (failure, abort).
    pipeline(source, body, () => {});
    // A read waiting for the caller's stream ends when the upload is cut.
    cut.signal.addEventListener('abort', () => body.destroy(), { once: true });
    parts = streamParts(body, sizes, ctx.queueSize);
    counter = body;
  } else {
    parts = bytesParts(request.body.bytes, sizes);
  }
  try {
    const first = await parts.next();
    if (first === undefined || (await parts.atEnd())) {
      const bytes = first ?? new Uint8Array(0);
      // A stream given with the caller's MD5 is refused earlier: this MD5 is computed here.
      return await putBytes(ctx, request, bytes);
    }
    const etag = await sendParts(ctx, request, parts, first, cut);
    const stored = counter ? counter.bytes : (size ?? 0);
    // A multipart ETag is not an MD5 of the content: claim none.
    return written(request, stored, etag, undefined);
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

/** The multipart upload itself, once the body is known to need more than one part. */
async function sendParts(
  ctx: StoreContext,
  request: WriteRequest,
  parts: PartSource,
  first: Uint8Array,
  cut: AbortController,
): Promise<string | undefined> {
  // With the SDK's default checksum mode every part carries a CRC32, which S3 then expects the
  // upload to declare (as lib-storage's Upload does); the parts' checksums go to the commit.
  const crc32 = (await requestChecksumMode(ctx.client.config)) === 'WHEN_SUPPORTED';
  const created = await ctx.client.send(
    new CreateMultipartUploadCommand({
      Bucket: ctx.bucket,
      Key: request.objectKey,
      ContentType: request.contentType,
      Metadata: request.metadata,
      ...(crc32 ? { ChecksumAlgorithm: 'CRC32' as const } : {}),
    }),
    { abortSignal: cut.signal },
  );
  if (created.UploadId === undefined) {
    throw new StorageError('unknown', 'CreateMultipartUpload returned no upload id', {
      target: ctx.name,
      key: request.key,
    });
  }
  return uploadParts(ctx, request, parts, first, created.UploadId, cut);
}

/** Sends every part and completes the upload, or cancels it and cleans up. */
async function uploadParts(
  ctx: StoreContext,
  request: WriteRequest,
  parts: PartSource,
  first: Uint8Array,
  uploadId: string,
  cut: AbortController,
): Promise<string | undefined> {
  const done: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown): void => {
    failure ??= { error };
    cut.abort(error);
  };
  try {
    let part: Uint8Array | undefined = first;
    for (let number = 1; part !== undefined && failure === undefined; number++) {
      if (number > MAX_PARTS) throw tooManyParts(ctx, request);
      const body = part;
      const sent: Promise<void> = ctx.client
        .send(
          new UploadPartCommand({
            Bucket: ctx.bucket,
            Key: request.objectKey,
            UploadId: uploadId,
            PartNumber: number,
            Body: body,
            ContentLength: body.byteLength,
          }),
          { abortSignal: cut.signal },
        )
        .then((res) => {
          if (res.ETag === undefined) throw noEtag(ctx, request, number);
          const completed: CompletedPart = { ETag: res.ETag, PartNumber: number };
          for (const field of PART_CHECKSUMS) if (res[field] !== undefined) completed[field] = res[field];
          done.push(completed);
        })
        .catch(fail)
        .finally(() => {
          parts.release(body);
          inFlight.delete(sent);
        });
      inFlight.add(sent);
      while (inFlight.size >= ctx.queueSize) await Promise.race(inFlight);
      if (failure === undefined) part = await parts.next();
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure.error;
    done.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const res = await ctx.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: ctx.bucket,
        Key: request.objectKey,
        UploadId: uploadId,
        MultipartUpload: { Parts: done },
        IfNoneMatch: request.ifNoneMatch,
        IfMatch: quoted(request.ifMatch),
      }),
      { abortSignal: cut.signal },
    );
    return unquoteEtag(res.ETag);
  } catch (err) {
    // The first failure is what the caller sees: a failed part (which cut the read short), or
    // this error (the parts in flight then fail with the cut's abort, which is not the cause).
    failure ??= { error: err };
    const { error } = failure;
    cut.abort(error);
    await Promise.allSettled(inFlight);
    // The clean-up still reaches S3 although the caller's signal fired, or the parts would stay.
    ctx.client
      .send(
        new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: request.objectKey, UploadId: uploadId }),
        {
          abortSignal: AbortSignal.timeout(ABORT_UPLOAD_MS),
        },
      )
      .catch(() => {});
    throw error;
  }
}

function tooManyParts(ctx: StoreContext, request: WriteRequest): InvalidArgumentError {
  return new InvalidArgumentError(
    'size',
    `a stream of unknown size needs more than S3's ${MAX_PARTS} parts: more than ${largestStream(partSizes(ctx.partSize, undefined))} bytes with a partSize of ${ctx.partSize}`,
    { key: request.key, target: ctx.name },
  );
}

function noEtag(ctx: StoreContext, request: WriteRequest, part: number): StorageError {
  return new StorageError('unknown', `UploadPart of part ${part} returned no ETag`, {
    target: ctx.name,
    key: request.key,
  });
}
