import { Transform, type TransformCallback } from 'node:stream';
import { InvalidArgumentError } from '@failover/storage';

/**
 * A pass-through stream that counts the bytes going through it. With `expected` (the caller's
 * `size` hint), it fails as soon as more bytes arrive, or at the end when fewer did, so an upload
 * fed from it never completes with a body of the wrong size.
 */
export class ByteCounter extends Transform {
  /** Bytes seen so far. */
  bytes = 0;

  constructor(
    private readonly expected: number | undefined,
    private readonly key: string,
    private readonly target: string,
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
    callback(null, buffer);
  }

  override _flush(callback: TransformCallback): void {
    if (this.expected !== undefined && this.bytes !== this.expected) callback(this.mismatch());
    else callback();
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
