import { finished, type Readable } from 'node:stream';

/**
 * Reads `stream` to its end, handing each chunk to `onChunk` as it comes (flowing mode, no async
 * iterator: one listener and one callback per stream rather than a promise per chunk, which is
 * most of what reading a small body costs). Resolves at the stream's `'end'`; rejects with the
 * stream's error, with `ERR_STREAM_PREMATURE_CLOSE` when it is destroyed before its end (as
 * `for await` does), or with what `onChunk` threw (the stream is destroyed then). Only the
 * readable side counts: a duplex's writable side is not waited for.
 */
export function drainStream(stream: Readable, onChunk: (chunk: unknown) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let thrown: { error: unknown } | undefined;
    const onData = (chunk: unknown): void => {
      if (thrown !== undefined) return;
      try {
        onChunk(chunk);
      } catch (error) {
        thrown = { error };
        stream.destroy(error instanceof Error ? error : undefined);
      }
    };
    stream.on('data', onData);
    const cleanup = finished(stream, { writable: false }, (err) => {
      cleanup();
      stream.off('data', onData);
      // Once finished, a late 'error' (a destroyed stream's) must not go unheard.
      if (stream.listenerCount('error') === 0) stream.on('error', ignore);
      if (thrown !== undefined) reject(thrown.error);
      else if (err) reject(err);
      else resolve();
    });
  });
}

function ignore(): void {}

/**
 * A stream chunk as a `Buffer`: a `Buffer` as it is, a `Uint8Array` as a view (not a copy), a
 * string as its UTF-8 bytes; `undefined` for anything else.
 */
export function chunkBytes(chunk: unknown): Buffer | undefined {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return undefined;
}
