import type { PartSizes } from './part-sizes.js';

/**
 * The parts of a multipart upload, taken from a body one after the other. A part is a view of a
 * buffer the source owns: it stays valid until {@link PartSource.release} gives it back.
 */
export interface PartSource {
  /** The next part: `partSize` bytes but for the last one, or `undefined` after the last. */
  next(): Promise<Uint8Array | undefined>;
  /** Whether every byte has been handed out (reads ahead to the end when it must). */
  atEnd(): Promise<boolean>;
  /** Gives back a part handed out by {@link next} once its request has ended (sent or failed). */
  release(part: Uint8Array): void;
}

/** The parts of a body already in memory: views of it, nothing copied. */
export function bytesParts(bytes: Uint8Array, sizes: PartSizes): PartSource {
  let offset = 0;
  let index = 0;
  return {
    next: async () => {
      if (offset >= bytes.byteLength && offset > 0) return undefined;
      const part = bytes.subarray(offset, offset + sizes(index++));
      offset += Math.max(part.byteLength, 1);
      return part;
    },
    atEnd: async () => offset >= bytes.byteLength && offset > 0,
    release: () => {},
  };
}

/**
 * The parts of a stream, copied into at most `buffers` buffers that are reused from part to part
 * (a buffer too small for the next part's size is dropped for a larger one): memory stays at
 * `buffers` parts of the current size whatever the size of the body, and no part leaves garbage
 * behind for the collector. The caller keeps at most `buffers` parts out at once (a part it has
 * not released yet holds its buffer).
 */
export function streamParts(chunks: AsyncIterable<Buffer>, sizes: PartSizes, buffers: number): PartSource {
  const iterator = chunks[Symbol.asyncIterator]();
  const free: Buffer[] = [];
  let allocated = 0;
  let rest: Buffer | undefined;
  let ended = false;
  let handedOut = 0;

  const read = async (): Promise<Buffer | undefined> => {
    if (rest !== undefined) {
      const chunk = rest;
      rest = undefined;
      return chunk;
    }
    if (ended) return undefined;
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      return undefined;
    }
    return next.value;
  };

  const take = (partSize: number): Buffer => {
    const reused = free.pop();
    if (reused !== undefined && reused.byteLength >= partSize) return reused;
    // Too small for the parts from here on: left to the collector.
    if (reused !== undefined) allocated--;
    if (allocated >= buffers) throw new Error(`streamParts: more than ${buffers} parts out at once`);
    allocated++;
    return Buffer.allocUnsafeSlow(partSize);
  };

  return {
    next: async () => {
      const partSize = sizes(handedOut);
      const buffer = take(partSize);
      const first = await read();
      if (first === undefined && handedOut > 0) {
        free.push(buffer);
        return undefined;
      }
      let filled = 0;
      let chunk = first;
      while (chunk !== undefined) {
        const n = Math.min(chunk.byteLength, partSize - filled);
        chunk.copy(buffer, filled, 0, n);
        filled += n;
        if (n < chunk.byteLength) {
          rest = chunk.subarray(n);
          break;
        }
        if (filled === partSize) break;
        chunk = await read();
      }
      handedOut++;
      return buffer.subarray(0, filled);
    },
    atEnd: async () => {
      if (rest !== undefined) return false;
      if (ended) return true;
      rest = await read();
      return rest === undefined;
    },
    // Every part is a view from the start of one of the buffers taken above, each its own
    // ArrayBuffer (allocUnsafeSlow).
    release: (part) => {
      free.push(Buffer.from(part.buffer, 0, part.buffer.byteLength));
    },
  };
}
