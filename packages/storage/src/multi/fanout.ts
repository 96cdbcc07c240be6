import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FailoverError } from '@failover/core';
import { abortedError, throwIfAborted } from '../abort.js';
import { InvalidArgumentError, StorageError } from '../errors.js';

/** How a {@link Fanout} buffers and whether it keeps a replay copy. */
export interface FanoutLimits {
  /**
   * Bytes held in memory ahead of the slowest reader, without a replay copy (at least 1 MiB). With
   * one, the window is 1 MiB: a reader further behind reads from the file.
   */
  readonly windowBytes: number;
  /** Directory of the replay file; `undefined`: no replay file (a second send may fail). */
  readonly dir: string | undefined;
  /** The caller's `size` hint: the body must have exactly this many bytes. */
  readonly size: number | undefined;
  readonly key: string;
  /**
   * The SHA-256 the body must have (a copy of a stored object): a body that ends with another
   * one fails with `mismatch(actual)`'s error instead of ending, its last byte never sent.
   */
  readonly expect?: { readonly sha256: string; readonly mismatch: (actual: string) => Error } | undefined;
}

/** What the body turned out to be, once read to its end. */
export interface FanoutResult {
  readonly sha256: string;
  readonly size: number;
}

/** The smallest window: a few chunks of a typical stream. */
const MIN_WINDOW_BYTES = 1024 * 1024;
/**
 * The window with a replay copy: a reader that falls further behind reads from the file, so the
 * window only smooths the pace of the source, the sends and the disk. Kept small because a chunk
 * that lives longer costs more memory than its size: chunks held until the disk took them survive
 * the young-generation collections and their buffers are freed only at the next full one (measured
 * on a 1 GiB put, docs/benchmarks.md: an 8 MiB window grew the process 30 MiB more than a 1 MiB
 * one, at the same speed).
 */
const REPLAY_WINDOW_BYTES = 1024 * 1024;
/** Bytes read from the replay file per read. */
const FILE_READ_BYTES = 256 * 1024;

/**
 * One stream body sent to several targets at once, and again after a failure, while it is read
 * once. The source is read as fast as the slowest reader takes it (backpressure), up to
 * `windowBytes` ahead; its SHA-256 and size are computed on the way. With a replay directory, every
 * byte is also written to a temporary file **in parallel** with the sends: a reader that starts
 * late (a retry, a failover to another target) or falls behind the window reads what it missed
 * from the file, so the other readers never wait for it. The file is removed by
 * {@link Fanout.release}. Without one, a reader that starts after the first bytes were dropped
 * fails (the body cannot be sent again).
 *
 * No reader gets the body's last byte before the source has ended cleanly (its stream ended, with
 * exactly the `size` given, when one was): a target that sends a body of known length in one
 * request, and stores it once every byte arrived, never completes an object whose source then
 * fails at its very end (a copy whose source fails verification as it ends, a size mismatch).
 */
export class Fanout {
  readonly #source: Readable;
  readonly #chunks: AsyncIterator<unknown>;
  readonly #limits: FanoutLimits;
  readonly #hash = createHash('sha256');
  /** Chunks in memory, the first starting at byte `#windowStart`. */
  readonly #window: Buffer[] = [];
  #windowStart = 0;
  #windowBytes = 0;
  /** Bytes read from the source so far. */
  #read = 0;
  #ended = false;
  #error: Error | undefined;
  #started = false;
  #released = false;
  readonly #readers = new Set<FanoutReader>();
  #wake: (() => void) | undefined;
  #file: { handle: FileHandle; path: string; written: number; chain: Promise<void> } | undefined;
  #fileFailed = false;
  readonly #result: Promise<FanoutResult>;
  #settle!: { resolve: (r: FanoutResult) => void; reject: (e: Error) => void };

  /**
   * `chunks` reads `source` (an iterator of it); `head` are the chunks already read from it.
   */
  constructor(
    source: Readable,
    chunks: AsyncIterator<unknown>,
    head: readonly Buffer[],
    limits: FanoutLimits,
  ) {
    this.#source = source;
    this.#chunks = chunks;
    const windowBytes =
      limits.dir === undefined ? Math.max(limits.windowBytes, MIN_WINDOW_BYTES) : REPLAY_WINDOW_BYTES;
    this.#limits = { ...limits, windowBytes };
    this.#result = new Promise<FanoutResult>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.#result.catch(() => undefined);
    for (const chunk of head) this.#accept(chunk);
  }

  /** The SHA-256 and size, once the source ended (rejects when it failed). */
  get result(): Promise<FanoutResult> {
    return this.#result;
  }

  /** The SHA-256, or `undefined` while the source has not ended. */
  sha256: string | undefined;

  /**
   * Awaited once the source ended cleanly, with its SHA-256 and size, before any reader gets the
   * body's last byte: what must be known before a target can hold a whole copy (the hash of a
   * streamed write, published to a journal a fleet shares). Its failure is ignored. Set before
   * the first {@link Fanout.reader}.
   */
  beforeEnd: ((result: FanoutResult) => Promise<void>) | undefined;

  /** Why the body could not be read (its stream failed, its size was wrong), if it could not. */
  get failure(): Error | undefined {
    return this.#ended ? undefined : this.#error;
  }

  /** Bytes read from the source so far (the size, once it ended). */
  get bytesRead(): number {
    return this.#read;
  }

  /**
   * A new stream of the whole body from its first byte. `onProgress` is called each time it hands
   * its consumer more bytes (the consumer asked for them: its target is taking the body).
   */
  reader(onProgress?: () => void): Readable {
    if (this.#released) throw new StorageError('invalid', 'The body was already released');
    const r = new FanoutReader(this, onProgress);
    this.#readers.add(r);
    if (!this.#started) {
      this.#started = true;
      void this.#pump();
    }
    return r;
  }

  /** Stops reading the source, closes and removes the replay file. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (!this.#ended) {
      this.#source.destroy();
      this.#fail(new StorageError('aborted', 'The write ended before the body was read'));
    }
    for (const r of this.#readers) r.destroy();
    this.#window.length = 0;
    this.#windowBytes = 0;
    const file = this.#file;
    this.#file = undefined;
    if (file !== undefined) {
      void file.chain
        .then(() => file.handle.close())
        .catch(() => undefined)
        .then(() => unlink(file.path))
        .catch(() => undefined);
    }
  }

  /** @internal Serves `reader` its next bytes, or waits for them. */
  feed(reader: FanoutReader): void {
    const pos = reader.position;
    if (pos < this.#windowStart) {
      this.#fromFile(reader, pos);
      return;
    }
    // The last byte waits for the source's clean end (see the class comment).
    const limit = this.#ended ? this.#read : this.#read - 1;
    if (pos < limit) {
      let at = this.#windowStart;
      for (const chunk of this.#window) {
        if (pos < at + chunk.length) {
          const part = chunk.subarray(pos - at, Math.min(chunk.length, limit - at));
          reader.position += part.length;
          reader.onProgress?.();
          reader.push(part);
          this.#trim();
          return;
        }
        at += chunk.length;
      }
    }
    if (this.#error !== undefined) {
      reader.destroy(this.#error);
      return;
    }
    if (this.#ended) {
      reader.push(null);
      return;
    }
    reader.waiting = true;
    this.#wakeUp();
  }

  /** @internal */
  detach(reader: FanoutReader): void {
    this.#readers.delete(reader);
    this.#trim();
  }

  #fromFile(reader: FanoutReader, pos: number): void {
    const file = this.#file;
    if (file === undefined || this.#fileFailed) {
      reader.destroy(
        new StorageError(
          'unavailable',
          `The body of ${JSON.stringify(this.#limits.key)} cannot be sent again: its first bytes were already sent and no replay copy was kept`,
          { key: this.#limits.key },
        ),
      );
      return;
    }
    const n = Math.min(FILE_READ_BYTES, this.#windowStart - pos);
    const buf = Buffer.allocUnsafe(n);
    file.handle.read(buf, 0, n, pos).then(
      ({ bytesRead }) => {
        if (reader.destroyed) return;
        if (bytesRead === 0) {
          reader.destroy(new StorageError('unavailable', 'The replay copy of the body is short'));
          return;
        }
        reader.position += bytesRead;
        reader.onProgress?.();
        reader.push(buf.subarray(0, bytesRead));
      },
      (err: unknown) => reader.destroy(err instanceof Error ? err : new Error(String(err))),
    );
  }

  async #pump(): Promise<void> {
    try {
      for (;;) {
        const next = await this.#chunks.next();
        if (next.done) break;
        const raw = next.value;
        if (this.#released) return;
        this.#accept(Buffer.isBuffer(raw) ? raw : Buffer.from(raw as Uint8Array | string));
        this.#notify();
        while (this.#full() && !this.#released && this.#error === undefined) {
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
        }
        if (this.#error !== undefined) return;
      }
      if (this.#released) return;
      const { size } = this.#limits;
      if (size !== undefined && size !== this.#read) {
        throw new InvalidArgumentError('size', `is ${size} but the body had ${this.#read} bytes`, {
          key: this.#limits.key,
        });
      }
      const sha256 = this.#hash.digest('hex');
      const expected = this.#limits.expect;
      if (expected !== undefined && expected.sha256 !== sha256) throw expected.mismatch(sha256);
      await this.beforeEnd?.({ sha256, size: this.#read }).catch(() => undefined);
      if (this.#released) return;
      this.#ended = true;
      this.sha256 = sha256;
      this.#settle.resolve({ sha256: this.sha256, size: this.#read });
      this.#notify();
    } catch (err) {
      if (!this.#source.destroyed) this.#source.destroy();
      this.#fail(
        err instanceof FailoverError
          ? err
          : new StorageError('unknown', 'Reading the body failed', { key: this.#limits.key, cause: err }),
      );
    }
  }

  #accept(chunk: Buffer): void {
    this.#hash.update(chunk);
    this.#window.push(chunk);
    this.#windowBytes += chunk.length;
    this.#read += chunk.length;
    const { size } = this.#limits;
    if (size !== undefined && this.#read > size) {
      this.#fail(
        new InvalidArgumentError('size', `is ${size} but the body is longer`, { key: this.#limits.key }),
      );
      return;
    }
    this.#spool(chunk);
  }

  /** Appends a chunk to the replay file (in the background: sends never wait for the disk). */
  #spool(chunk: Buffer): void {
    if (this.#limits.dir === undefined || this.#fileFailed) return;
    if (this.#file === undefined) {
      const path = join(this.#limits.dir, `failover-spool-${process.pid}-${randomBytes(8).toString('hex')}`);
      const opened = open(path, 'wx+', 0o600);
      this.#file = {
        handle: undefined as unknown as FileHandle,
        path,
        written: 0,
        chain: opened.then((h) => {
          this.#file!.handle = h;
        }),
      };
    }
    const file = this.#file;
    file.chain = file.chain
      .then(async () => {
        let at = 0;
        while (at < chunk.length) {
          const { bytesWritten } = await file.handle.write(chunk, at, chunk.length - at);
          at += bytesWritten;
        }
        file.written += chunk.length;
        this.#trim();
      })
      .catch(() => {
        // A replay copy that cannot be written (disk full): the sends go on without one.
        this.#fileFailed = true;
        this.#trim();
      });
  }

  /**
   * Drops chunks from memory once every reader has them and (with a replay copy) they are in the
   * file. With a replay copy, a reader more than a window behind the fastest one does not hold the
   * others back: it reads what it missed from the file. Then lets the source go on.
   */
  #trim(): void {
    const replayable = this.#file !== undefined && !this.#fileFailed;
    let fastest = 0;
    for (const r of this.#readers) fastest = Math.max(fastest, r.position);
    let floor = Number.POSITIVE_INFINITY;
    for (const r of this.#readers) {
      if (replayable && fastest - r.position > this.#limits.windowBytes) continue;
      floor = Math.min(floor, r.position);
    }
    // No reader yet (or between a failed send and its retry): keep what is there.
    if (this.#readers.size === 0) floor = this.#windowStart;
    const spooled = replayable ? this.#file!.written : Number.POSITIVE_INFINITY;
    while (this.#window.length > 0) {
      const end = this.#windowStart + this.#window[0]!.length;
      if (end > floor || end > spooled) break;
      this.#window.shift();
      this.#windowStart = end;
    }
    this.#windowBytes = this.#read - this.#windowStart;
    if (!this.#full()) this.#wakeUp();
  }

  /**
   * Whether the source must wait: the window holds its limit. Readers cannot finish the newest
   * chunk (its last byte waits for the next read, see {@link Fanout.feed}): with only that chunk
   * left, the next one is read whatever its size.
   */
  #full(): boolean {
    return this.#windowBytes >= this.#limits.windowBytes && this.#window.length > 1;
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #notify(): void {
    for (const r of this.#readers) {
      if (!r.waiting) continue;
      r.waiting = false;
      this.feed(r);
    }
  }

  #fail(error: Error): void {
    if (this.#error !== undefined || this.#ended) return;
    this.#error = error;
    this.#settle.reject(error);
    for (const r of this.#readers) r.destroy(error);
    this.#wakeUp();
  }
}

/** One reader of a {@link Fanout}: the whole body from its first byte. */
class FanoutReader extends Readable {
  position = 0;
  waiting = false;
  readonly onProgress: (() => void) | undefined;
  readonly #fanout: Fanout;

  constructor(fanout: Fanout, onProgress: (() => void) | undefined) {
    super();
    this.#fanout = fanout;
    this.onProgress = onProgress;
  }

  override _read(): void {
    this.#fanout.feed(this);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#fanout.detach(this);
    callback(error);
  }
}

/** The first bytes of a stream body, and how to read the rest. */
export interface Head {
  readonly chunks: Buffer[];
  /** The rest of the stream; `undefined` when it ended within the limit. */
  readonly rest: AsyncIterator<unknown> | undefined;
}

/**
 * Reads a stream until it ends or more than `limit` bytes came. Honours `signal` (core's
 * `AbortedError`); a failing stream rejects with a `StorageError` (kind `unknown`).
 */
export async function readHead(
  stream: Readable,
  limit: number,
  signal: AbortSignal | undefined,
  key: string,
): Promise<Head> {
  throwIfAborted(signal);
  const onAbort = (): void => {
    if (signal) stream.destroy(abortedError(signal));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const iterator = stream[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    while (size <= limit) {
      const next = await iterator.next();
      if (next.done) return { chunks, rest: undefined };
      const raw = next.value as Uint8Array | string;
      const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as Uint8Array);
      chunks.push(chunk);
      size += chunk.length;
    }
    return { chunks, rest: iterator };
  } catch (err) {
    if (!stream.destroyed) stream.destroy();
    if (signal?.aborted) throw abortedError(signal);
    if (err instanceof FailoverError) throw err;
    throw new StorageError('unknown', 'Reading the body failed', { key, cause: err });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
