import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 64 * 1024;

/**
 * A deterministic byte generator (xorshift32 seeded with `seed`): the same seed and size always
 * give the same bytes, so verification can regenerate a receipt instead of keeping it in memory.
 */
function* generate(seed: number, size: number, chunkSize: number): Generator<Buffer> {
  let state = seed >>> 0 || 0x9e3779b9;
  let left = size;
  while (left > 0) {
    const n = Math.min(chunkSize, left);
    const chunk = Buffer.allocUnsafe(Math.ceil(n / 4) * 4);
    for (let i = 0; i < chunk.length; i += 4) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      chunk.writeUInt32LE(state >>> 0, i);
    }
    left -= n;
    yield n === chunk.length ? chunk : chunk.subarray(0, n);
  }
}

/** A receipt's bytes, all at once. */
export function receiptBytes(seed: number, size: number): Buffer {
  return Buffer.concat([...generate(seed, size, CHUNK)], size);
}

/** The same bytes as {@link receiptBytes}, as a stream of 64 KiB chunks (a streamed upload). */
export function receiptStream(seed: number, size: number): Readable {
  return Readable.from(generate(seed, size, CHUNK), { objectMode: false });
}

/** SHA-256 of bytes, lowercase hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
