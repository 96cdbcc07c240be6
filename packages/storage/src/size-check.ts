import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { InvalidArgumentError } from './errors.js';

/**
 * Passes a put's body stream through, and fails it with an `InvalidArgumentError`
 * (`argument: 'size'`, naming `key` and the store as `target`) as soon as more than `expected`
 * bytes arrive, or at its end when fewer did: an upload fed from it never completes with a body of
 * another size than announced. Without `expected` the source is returned as it is. Destroying the
 * returned stream destroys the source.
 */
export function sizeCheckedStream(
  source: Readable,
  expected: number | undefined,
  key: string,
  target?: string,
): Readable {
  if (expected === undefined) return source;
  let bytes = 0;
  const mismatch = (): InvalidArgumentError =>
    new InvalidArgumentError(
      'size',
      bytes > expected
        ? `the body is longer than the ${expected} bytes given`
        : `the body has ${bytes} bytes, not the ${expected} given`,
      { key, ...(target === undefined ? {} : { target }) },
    );
  const out = new Transform({
    transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      bytes += buffer.byteLength;
      if (bytes > expected) callback(mismatch());
      else callback(null, buffer);
    },
    flush(callback: TransformCallback) {
      callback(bytes === expected ? null : mismatch());
    },
    destroy(error, callback) {
      if (!source.destroyed) source.destroy();
      callback(error);
    },
  });
  source.on('error', (err) => out.destroy(err));
  source.pipe(out);
  return out;
}
