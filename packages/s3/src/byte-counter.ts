import { Transform, type TransformCallback } from 'node:stream';
import { InvalidArgumentError } from '@failover/storage';

/**
 * A pass-through stream that counts the bytes going through it. With `expected` (the caller's
 * `size` hint), it fails as soon as more bytes arrive, or at the end when fewer did, so an upload
 * fed from it never completes with a body of the wrong size.
 *
 * With `holdLastByte` (and `expected` above 0), the last expected byte is passed on only once the
 * source has ended: a request whose `Content-Length` is `expected` then never carries its whole
 * body (which the server would store at once) before the source is known to end cleanly, with
 * exactly that many bytes.
 */
export class ByteCounter extends Transform {
  /** Bytes seen so far. */
  bytes = 0;
  #held: Buffer | undefined;

  constructor(
    private readonly expected: number | undefined,
    private readonly key: string,
    private readonly target: string,
    private readonly holdLastByte = false,
  ) {
    super();
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.bytes += buffer.byteLength;
    if (this.expected !== undefined && this.bytes > this.expected) {
      callback(this.mismatch());
      return;
    }
    if (this.holdLastByte && this.bytes === this.expected && buffer.byteLength > 0) {
      this.#held = buffer.subarray(buffer.byteLength - 1);
      callback(null, buffer.byteLength > 1 ? buffer.subarray(0, buffer.byteLength - 1) : undefined);
      return;
    }
    callback(null, buffer);
  }

  override _flush(callback: TransformCallback): void {
    if (this.expected !== undefined && this.bytes !== this.expected) {
      callback(this.mismatch());
      return;
    }
    callback(null, this.#held);
  }

  private mismatch(): InvalidArgumentError {
    return new InvalidArgumentError(
      'size',
      this.bytes > (this.expected ?? 0)
        ? `the body is longer than the ${this.expected} bytes given`
        : `the body has ${this.bytes} bytes, not the ${this.expected} given`,
      { key: this.key, target: this.target },
    );
  }
}
