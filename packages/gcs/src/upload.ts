import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IoWatch, NormalizedBody } from '@failover/storage';
import type { CreateWriteStreamOptions, File, FileMetadata } from '@google-cloud/storage';
import { Md5Tap } from './md5-tap.js';
import { raceSignal } from './signal.js';
import { abortUploadRequestsOn } from './upload-abort.js';
import { checkUploadedMd5 } from './upload-check.js';
import { watchSimpleUploadOn } from './upload-watch.js';

/** What one upload needs, already validated. */
export interface UploadRequest {
  readonly file: File;
  readonly body: NormalizedBody;
  /** The MD5 of a byte body (the caller's, or computed once by the store); computed here when absent. */
  readonly md5?: Buffer | undefined;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly ifNoneMatch: boolean;
  /**
   * `ifMatch` resolved to the object version it names: the write must replace exactly this
   * generation and metageneration (`ifGenerationMatch`, `ifMetagenerationMatch`).
   */
  readonly ifVersion?: { readonly generation: number; readonly metageneration: number } | undefined;
  /** The caller's size hint for a stream body. */
  readonly sizeHint: number | undefined;
  readonly resumableThreshold: number;
  readonly chunkSize: number | undefined;
  readonly signal: AbortSignal | undefined;
  /**
   * The call's request watchdog: requests are created in its context, and those with a streamed
   * body are handed to it when the body is piped in (see {@link abortUploadRequestsOn}).
   */
  readonly watch?: Pick<IoWatch, 'enter' | 'watchRequest'>;
}

/**
 * Uploads a body and resolves with the object resource the server answered with. Rejects with
 * the SDK's error, or with the signal's reason (or an `AbortError`) when the caller aborted.
 *
 * - Byte bodies below the resumable threshold go up in one multipart request. A stream whose
 *   `size` hint is below the threshold is first read into memory (an abort then sends nothing);
 *   if it turns out larger, it continues as a resumable upload.
 * - Other bodies go through a resumable upload fed by `stream.pipeline` with the caller's signal;
 *   when the pipeline fails (an abort, the body stream's error), the upload's request in flight is
 *   aborted too (see {@link abortUploadRequestsOn}).
 *
 * Both use `file.createWriteStream`, the call `file.save` wraps, with the client's own validation
 * off: the MD5 the server answers with must be the MD5 of the bytes sent ({@link checkUploadedMd5},
 * what the client's `validation: 'md5'` checks). A byte body carries its MD5 for GCS to check
 * before it stores it (computed once, or the caller's); a stream's is computed as it is sent
 * ({@link Md5Tap}). The client's default check of a stream, crc32c, is computed in JavaScript:
 * about 5 to 30 ms per MiB, several times Node's native MD5, on the event loop of every upload.
 * `ifNoneMatch` becomes `ifGenerationMatch: 0`; `ifVersion` `ifGenerationMatch` and
 * `ifMetagenerationMatch`.
 */
export async function uploadObject(req: UploadRequest): Promise<FileMetadata> {
  let body = req.body;
  if (body.type === 'stream' && req.sizeHint !== undefined && req.sizeHint < req.resumableThreshold) {
    body = await bufferUpTo(body.stream, req.resumableThreshold, req.signal);
  }
  const resumable = body.type === 'stream' || body.bytes.byteLength >= req.resumableThreshold;
  const md5 = body.type === 'bytes' ? (req.md5 ?? createHash('md5').update(body.bytes).digest()) : undefined;
  const options = writeOptions(req, md5, resumable);

  if (body.type === 'bytes' && !resumable) {
    // One request with every byte at hand: it is not cut on abort (the client offers no way to
    // cancel a multipart request, and a half-sent one would hang its connection); the caller
    // stops waiting at once and the call reports the abort, never success.
    if (req.watch) watchSimpleUploadOn(req.file, req.watch);
    const sink = req.file.createWriteStream(options);
    const done = pipeline(Readable.from([toBuffer(body.bytes)]), sink).then(async () => {
      await checkUploadedMd5(req.file, req.file.metadata, md5!);
      return req.file.metadata;
    });
    return raceSignal(done, req.signal, abortReason);
  }

  // Any failure of the pipeline (the caller's abort, the body stream's own error) cuts the
  // upload's request in flight, which the client would otherwise leave open.
  const cut = new AbortController();
  const onAbort = () => cut.abort(req.signal?.reason);
  req.signal?.addEventListener('abort', onAbort, { once: true });
  abortUploadRequestsOn(req.file, cut.signal, req.watch);
  const sink = req.file.createWriteStream(options);
  const tap = body.type === 'stream' ? new Md5Tap() : undefined;
  try {
    const streamOptions = req.signal ? { signal: req.signal } : {};
    if (body.type === 'bytes') await pipeline(Readable.from([toBuffer(body.bytes)]), sink, streamOptions);
    else await pipeline(body.stream, tap!, sink, streamOptions);
  } catch (err) {
    cut.abort(err);
    throw err;
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
  }
  await checkUploadedMd5(req.file, req.file.metadata, md5 ?? tap!.digest());
  return req.file.metadata;
}

/**
 * `md5`: a byte body's, sent for GCS to check. The client's validation is off: every answer is
 * checked by {@link checkUploadedMd5}.
 */
function writeOptions(
  req: UploadRequest,
  md5: Buffer | undefined,
  resumable: boolean,
): CreateWriteStreamOptions {
  const resource: FileMetadata = { contentType: req.contentType, metadata: { ...req.metadata } };
  if (md5 !== undefined) resource.md5Hash = md5.toString('base64');
  const options: CreateWriteStreamOptions = {
    resumable,
    validation: false,
    contentType: req.contentType,
    metadata: resource,
  };
  if (req.ifNoneMatch) options.preconditionOpts = { ifGenerationMatch: 0 };
  if (req.ifVersion !== undefined) {
    options.preconditionOpts = {
      ifGenerationMatch: req.ifVersion.generation,
      ifMetagenerationMatch: req.ifVersion.metageneration,
    };
  }
  if (resumable && req.chunkSize !== undefined) options.chunkSize = req.chunkSize;
  return options;
}

/**
 * Reads a stream until it ends (its bytes) or passes `limit` bytes (a stream of what was read
 * followed by the rest). An abort destroys the stream and rejects.
 */
async function bufferUpTo(
  stream: Readable,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<NormalizedBody> {
  const onAbort = () => stream.destroy();
  if (signal?.aborted) {
    onAbort();
    throw abortReason(signal.reason);
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  const iterator = stream[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    while (size <= limit) {
      const next = await iterator.next();
      if (next.done) return { type: 'bytes', bytes: Buffer.concat(chunks, size) };
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array | string);
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (err) {
    if (signal?.aborted) throw abortReason(signal.reason);
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const rest: AsyncIterable<unknown> = { [Symbol.asyncIterator]: () => iterator };
  return {
    type: 'stream',
    stream: Readable.from(
      (async function* () {
        yield* chunks;
        yield* rest;
      })(),
      { objectMode: false },
    ),
  };
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function abortReason(reason: unknown): Error {
  return reason instanceof Error ? reason : new DOMException('The operation was aborted', 'AbortError');
}
