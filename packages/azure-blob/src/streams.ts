import { PassThrough, pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { toleratingUnheardErrors } from '@failover/storage';

/** A pass-through stream that counts the bytes flowing through it. */
export class ByteCounter extends Transform {
  /** Bytes seen so far. */
  bytes = 0;

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.bytes += buf.byteLength;
    callback(null, buf);
  }
}

/** An `Error` named `AbortError`, carrying the signal's reason as `cause`. */
export function abortError(signal: AbortSignal | undefined): Error {
  const err = new Error('The operation was aborted', { cause: signal?.reason });
  err.name = 'AbortError';
  return err;
}

/**
 * Pipes an upload body through a {@link ByteCounter}. The SDK's `uploadStream` neither watches its
 * abort signal while reading nor notices a stream closed without an error, so both become errors
 * on the counter here: an abort destroys the pipeline with an `AbortError`, and `pipeline` turns a
 * premature close into `ERR_STREAM_PREMATURE_CLOSE`. `release` detaches the abort listener.
 */
export function countedUpload(
  source: Readable,
  signal: AbortSignal | undefined,
): { counter: ByteCounter; release: () => void } {
  const counter = new ByteCounter();
  pipeline(source, counter, () => {
    // Errors reach the SDK through the counter ('error' is re-emitted on it); nothing to do here.
  });
  const onAbort = () => counter.destroy(abortError(signal));
  signal?.addEventListener('abort', onAbort, { once: true });
  return { counter, release: () => signal?.removeEventListener('abort', onAbort) };
}

/**
 * Wraps a download stream from the SDK so that every error it emits goes through `mapError`
 * (becoming a `StorageError`), an abort of `signal` destroys it with an error, and destroying the
 * returned stream early releases the SDK's stream (and its socket).
 */
export function wrapDownload(
  source: Readable,
  signal: AbortSignal | undefined,
  mapError: (err: unknown) => Error,
): Readable {
  const out = toleratingUnheardErrors(new PassThrough());
  let failed = false;
  const fail = (err: unknown) => {
    if (failed) return;
    failed = true;
    out.destroy(mapError(err));
    if (!source.destroyed) source.destroy();
  };
  const onAbort = () => fail(abortError(signal));
  source.on('error', fail);
  source.pipe(out);
  out.once('close', () => {
    signal?.removeEventListener('abort', onAbort);
    if (!source.destroyed) source.destroy();
  });
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return out;
}
