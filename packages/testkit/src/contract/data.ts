import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ReadableStream } from 'node:stream/web';

/** One mebibyte. */
export const MiB = 1024 * 1024;

/** SHA-256 of some bytes, as hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** MD5 of some bytes, as hex. */
export function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** Reads a stream to the end, returning its SHA-256 and size without keeping its bytes. */
export async function digestStream(
  stream: AsyncIterable<unknown>,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    hash.update(bytes);
    size += bytes.byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Reads a stream to the end into one buffer. */
export async function readStream(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * A large body produced chunk by chunk, never held in memory whole: random bytes with each chunk's
 * index written into its first 8 bytes (so lost, repeated or reordered chunks change the hash).
 */
export class GeneratedBody {
  readonly size: number;
  readonly sha256: string;
  private readonly base: Buffer;
  private readonly chunkBytes: number;

  constructor(size: number, chunkBytes = 256 * 1024) {
    this.size = size;
    this.chunkBytes = chunkBytes;
    this.base = randomBytes(chunkBytes);
    const hash = createHash('sha256');
    for (const chunk of this.chunks()) hash.update(chunk);
    this.sha256 = hash.digest('hex');
  }

  /** The chunks, each a new buffer. */
  *chunks(): Generator<Buffer> {
    for (let at = 0, index = 0; at < this.size; at += this.chunkBytes, index++) {
      const chunk = Buffer.from(this.base.subarray(0, Math.min(this.chunkBytes, this.size - at)));
      if (chunk.length >= 8) chunk.writeBigUInt64BE(BigInt(index), 0);
      yield chunk;
    }
  }

  /** The body as a Node `Readable`. */
  toReadable(): Readable {
    return Readable.from(this.chunks(), { objectMode: false });
  }

  /** The body as a web `ReadableStream`. */
  toWebStream(): ReadableStream<Uint8Array> {
    const chunks = this.chunks();
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.next();
        if (next.done) controller.close();
        else
          controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
      },
    });
  }

  /** The body as a plain async iterable (an async generator, not a stream). */
  async *toAsyncIterable(): AsyncGenerator<Uint8Array> {
    for (const chunk of this.chunks()) {
      await Promise.resolve();
      yield chunk;
    }
  }
}

/**
 * A stream that produces `bytes` bytes and then stalls forever (until destroyed), to abort an
 * upload midway. `stalled` resolves once the reader has taken everything and asked for more.
 */
export function stallingStream(
  bytes: number,
  chunkBytes = 16 * 1024,
): { stream: Readable; stalled: Promise<void> } {
  let sent = 0;
  let onStall!: () => void;
  const stalled = new Promise<void>((resolve) => {
    onStall = resolve;
  });
  const stream = new Readable({
    highWaterMark: chunkBytes,
    read() {
      if (sent >= bytes) {
        onStall();
        return; // no push: the reader waits until the stream is destroyed
      }
      const size = Math.min(chunkBytes, bytes - sent);
      sent += size;
      this.push(randomBytes(size));
    },
  });
  return { stream, stalled };
}
