import { Readable } from 'node:stream';
import { ReadableStream } from 'node:stream/web';
import { chunkBytes, drainStream } from './drain.js';
import type { BlobBody } from './types.js';

/** A body reduced to one of two shapes an adapter can send: all bytes at hand, or a stream. */
export type NormalizedBody =
  | { readonly type: 'bytes'; readonly bytes: Uint8Array }
  | { readonly type: 'stream'; readonly stream: Readable };

/**
 * Reduces any {@link BlobBody} to bytes (a `Uint8Array` or a UTF-8 string) or a Node `Readable`
 * (a `Readable`, a web `ReadableStream` or an async iterable). Nothing is read here.
 */
export function normalizeBody(body: BlobBody): NormalizedBody {
  if (typeof body === 'string') return { type: 'bytes', bytes: Buffer.from(body, 'utf8') };
  if (body instanceof Uint8Array) return { type: 'bytes', bytes: body };
  if (body instanceof Readable) return { type: 'stream', stream: body };
  if (body instanceof ReadableStream || isWebStream(body)) {
    return { type: 'stream', stream: Readable.fromWeb(body as ReadableStream<Uint8Array>) };
  }
  if (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    return {
      type: 'stream',
      stream: Readable.from(body as AsyncIterable<Uint8Array>, { objectMode: false }),
    };
  }
  throw new TypeError(
    'body must be a Uint8Array, a string, a Readable, a ReadableStream or an AsyncIterable',
  );
}

/** A Node `Readable` over any {@link BlobBody}. */
export function toReadable(body: BlobBody): Readable {
  const n = normalizeBody(body);
  return n.type === 'stream' ? n.stream : streamOfBytes(n.bytes);
}

/**
 * Reads a stream (or any body) to the end into one `Buffer`. Honours `signal`: an abort destroys
 * the stream and rejects with the signal's reason.
 */
export async function readAll(body: BlobBody | Readable, signal?: AbortSignal): Promise<Buffer> {
  const n = normalizeBody(body);
  if (n.type === 'bytes') return Buffer.from(n.bytes.buffer, n.bytes.byteOffset, n.bytes.byteLength);
  const chunks: Buffer[] = [];
  await readStreamInto(n.stream, chunks, signal);
  return joinChunks(chunks);
}

/**
 * Reads `stream` to the end, pushing each chunk onto `chunks` as it comes (so a caller still holds
 * what arrived when the stream fails). Honours `signal` as {@link readAll} does.
 *
 * @internal
 */
export async function readStreamInto(
  stream: Readable,
  chunks: Buffer[],
  signal?: AbortSignal,
): Promise<void> {
  // Aborted already: nobody reads this stream; left open, a later error of it would be unheard.
  if (signal?.aborted) stream.destroy();
  signal?.throwIfAborted();
  const onAbort = () => stream.destroy(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await drainStream(stream, (chunk) => {
      chunks.push(chunkBytes(chunk) ?? Buffer.from(chunk as ArrayLike<number>));
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The chunks as one `Buffer` (the one chunk itself when there is only one). @internal */
export function joinChunks(chunks: readonly Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * A byte stream over bytes already at hand, as one chunk: a plain `Readable` with the bytes
 * pushed (`Readable.from` would wrap them in an async iterator, a promise per read).
 */
export function streamOfBytes(bytes: Uint8Array): Readable {
  const stream = new Readable({ read() {} });
  if (bytes.byteLength > 0) {
    stream.push(
      Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    );
  }
  stream.push(null);
  return stream;
}

function isWebStream(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { getReader?: unknown }).getReader === 'function' &&
    typeof (body as { pipeTo?: unknown }).pipeTo === 'function'
  );
}
