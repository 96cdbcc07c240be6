import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { forEachChunk } from '../chunks.js';
import { InvalidArgumentError, StorageError } from '../errors.js';
import type { BlobBody } from '../types.js';

/** Where and how much a spool keeps in memory before it moves to a temporary file. */
export interface SpoolLimits {
  /** Bytes kept in memory; a larger body goes to a temporary file. */
  readonly memoryBytes: number;
  /** Directory of the temporary files. */
  readonly dir: string;
}

/**
 * A body written once and replayable any number of times: the bytes of a `put` kept (in memory up
 * to a bound, then in a temporary file) so that the write can be sent to another target after a
 * failure, or to several at once. Its SHA-256 and size are computed while it fills. Reference
 * counted: {@link Spool.release} the last reference removes the temporary file.
 */
export class Spool {
  /** Size in bytes. */
  readonly size: number;
  /** SHA-256 of the content, lowercase hex. */
  readonly sha256: string;
  readonly #bytes: Buffer | undefined;
  readonly #path: string | undefined;
  #md5: string | undefined;
  #refs = 1;

  private constructor(size: number, sha256: string, bytes: Buffer | undefined, path: string | undefined) {
    this.size = size;
    this.sha256 = sha256;
    this.#bytes = bytes;
    this.#path = path;
  }

  /**
   * A spool over bytes already in memory (no copy is made). `md5`: their MD5 (lowercase hex) when
   * the caller gave it, else computed when first asked for ({@link Spool.md5}).
   */
  static ofBytes(bytes: Uint8Array, md5?: string): Spool {
    const buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const spool = new Spool(buf.length, createHash('sha256').update(buf).digest('hex'), buf, undefined);
    spool.#md5 = md5;
    return spool;
  }

  /**
   * The MD5 of a body in memory (lowercase hex), computed once (every target's put sends this
   * one, for its cloud to check, instead of hashing the bytes again); `undefined` for a body in a
   * temporary file (sent as a stream, which carries none).
   */
  get md5(): string | undefined {
    if (this.#bytes === undefined) return undefined;
    this.#md5 ??= createHash('md5').update(this.#bytes).digest('hex');
    return this.#md5;
  }

  /**
   * Reads `stream` to its end into a spool. Honours `signal` (rejects with core's `AbortedError`);
   * a failing stream rejects with a `StorageError` and leaves no file behind.
   */
  static async fromStream(
    stream: Readable,
    limits: SpoolLimits,
    signal: AbortSignal | undefined,
    key: string,
  ): Promise<Spool> {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    let file: FileHandle | undefined;
    let path: string | undefined;
    try {
      await forEachChunk(
        stream,
        signal,
        async (chunk) => {
          hash.update(chunk);
          size += chunk.length;
          if (file === undefined) {
            // A copy: the stream may reuse its buffers.
            chunks.push(Buffer.from(chunk));
            if (size <= limits.memoryBytes) return;
            path = join(limits.dir, `failover-spool-${process.pid}-${randomBytes(8).toString('hex')}`);
            file = await openSpoolFile(path, key);
            for (const c of chunks.splice(0)) await writeAll(file, c, key);
            return;
          }
          await writeAll(file, chunk, key);
        },
        key,
      );
      if (file !== undefined) await file.close();
    } catch (err) {
      if (file !== undefined) await file.close().catch(() => undefined);
      if (path !== undefined) await unlink(path).catch(() => undefined);
      throw err;
    }
    const sha256 = hash.digest('hex');
    return new Spool(size, sha256, path === undefined ? Buffer.concat(chunks) : undefined, path);
  }

  /** True when the content lives in a temporary file. */
  get onDisk(): boolean {
    return this.#path !== undefined;
  }

  /** A body to send once: the bytes themselves, or a new stream over the temporary file. */
  body(): BlobBody {
    if (this.#refs <= 0) throw new StorageError('invalid', 'The spooled body was already released');
    if (this.#bytes !== undefined) return this.#bytes;
    return createReadStream(this.#path!);
  }

  /** Takes one more reference (for writes that outlive the call that made the spool). */
  retain(): void {
    this.#refs++;
  }

  /** Gives a reference back; the last one removes the temporary file. */
  release(): void {
    if (--this.#refs !== 0) return;
    if (this.#path !== undefined) void unlink(this.#path).catch(() => undefined);
  }
}

/** Checks a `size` hint against the spooled size. */
export function checkSize(spool: Spool, size: number | undefined, key: string): void {
  if (size !== undefined && size !== spool.size) {
    throw new InvalidArgumentError('size', `is ${size} but the body had ${spool.size} bytes`, { key });
  }
}

async function openSpoolFile(path: string, key: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx', 0o600);
  } catch (err) {
    throw new StorageError('unavailable', `Cannot create a spool file for ${JSON.stringify(key)}`, {
      key,
      cause: err,
    });
  }
}

async function writeAll(file: FileHandle, chunk: Buffer, key: string): Promise<void> {
  try {
    let at = 0;
    while (at < chunk.length) {
      const { bytesWritten } = await file.write(chunk, at, chunk.length - at);
      at += bytesWritten;
    }
  } catch (err) {
    throw new StorageError('unavailable', `Cannot write the spool file for ${JSON.stringify(key)}`, {
      key,
      cause: err,
    });
  }
}
