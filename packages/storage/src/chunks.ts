import type { Readable } from 'node:stream';
import { FailoverError, redact } from '@failover/core';
import { abortedError, throwIfAborted } from './abort.js';
import { chunkBytes, drainStream } from './drain.js';
import { InvalidArgumentError, StorageError } from './errors.js';

/**
 * Reads a stream chunk by chunk, awaiting `onChunk` before pulling the next one (so memory stays
 * flat however large the stream). Aborting `signal` destroys the stream and rejects with core's
 * `AbortedError` (cause: the signal's reason). A stream that fails rejects with a
 * {@link StorageError} (`kind: 'unknown'`) whose `cause` is the stream's error; library errors
 * (e.g. from `onChunk`) pass through unchanged.
 */
export function forEachChunk(
  stream: Readable,
  signal: AbortSignal | undefined,
  onChunk: (chunk: Buffer) => Promise<void> | void,
  key?: string,
): Promise<void> {
  return guarded(stream, signal, key, async () => {
    for await (const chunk of stream) await onChunk(toBuffer(chunk, key));
  });
}

/**
 * Reads a whole stream into one new `Buffer` (never one of the stream's own chunks), honouring
 * `signal` as {@link forEachChunk} does.
 */
export async function collectStream(
  stream: Readable,
  signal: AbortSignal | undefined,
  key?: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  await guarded(stream, signal, key, () =>
    drainStream(stream, (chunk) => {
      const b = toBuffer(chunk, key);
      chunks.push(b);
      length += b.length;
    }),
  );
  return Buffer.concat(chunks, length); // always a fresh copy, never the caller's own buffer
}

/** Runs `read` over `stream` with `signal` and the error mapping of {@link forEachChunk}. */
async function guarded(
  stream: Readable,
  signal: AbortSignal | undefined,
  key: string | undefined,
  read: () => Promise<void>,
): Promise<void> {
  // Aborted already: nobody reads this stream, and left open a later error of it (a stalled
  // download) would be an unhandled 'error' event.
  if (signal?.aborted) stream.destroy();
  throwIfAborted(signal);
  const onAbort = (): void => {
    if (signal) stream.destroy(abortedError(signal));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await read();
  } catch (err) {
    if (!stream.destroyed) stream.destroy();
    if (signal?.aborted) throw abortedError(signal);
    if (err instanceof FailoverError) throw err;
    throw new StorageError('unknown', `Reading the body failed: ${describe(err)}`, {
      cause: err,
      ...(key === undefined ? {} : { key }),
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  throwIfAborted(signal);
}

function toBuffer(chunk: unknown, key: string | undefined): Buffer {
  const bytes = chunkBytes(chunk);
  if (bytes !== undefined) return bytes;
  throw new InvalidArgumentError('body', 'a stream must yield Uint8Array or string chunks', {
    ...(key === undefined ? {} : { key }),
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string'
      ? `${err.name} ${code}`
      : `${err.name}: ${redact(err.message).slice(0, 120)}`;
  }
  return redact(String(err)).slice(0, 120);
}
