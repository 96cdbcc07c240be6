import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes a stream's bytes through unchanged while computing their MD5 (Node's native one), so an
 * upload of a stream can be checked against the `md5Hash` the server answers with
 * ({@link checkUploadedMd5}) instead of the client's crc32c, which it computes in JavaScript.
 */
export class Md5Tap extends Transform {
  readonly #hash = createHash('md5');

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  /** The MD5 of every byte that passed; call once, after the stream finished. */
  digest(): Buffer {
    return this.#hash.digest();
  }
}
