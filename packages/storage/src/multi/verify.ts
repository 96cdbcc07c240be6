import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { shortBody } from './download.js';
import { IntegrityError } from './errors.js';

/** What a verifying stream checks and whom it tells about a mismatch. */
export interface VerifySpec {
  readonly key: string;
  readonly target: string;
  readonly expected: string;
  readonly version: string | undefined;
  /** Called once with the error when the content does not match. */
  readonly onMismatch: (error: IntegrityError) => void;
  /**
   * The size the target announced: a body that ends with fewer or more bytes fails with a
   * `network` error (cut short, see `shortBody`), not an `IntegrityError`, and is not reported as
   * corrupt.
   */
  readonly size?: number | undefined;
  /** Called once when the source ended: with the short-body error, else with nothing. */
  readonly onEnd?: ((error?: unknown) => void) | undefined;
  /** Called when the stream is destroyed (by its reader, or after an error). */
  readonly onDestroy?: (() => void) | undefined;
}

/** SHA-256 of bytes, lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A pass-through stream that hashes what flows through it and, as the source ends, fails with an
 * {@link IntegrityError} instead of ending when the SHA-256 differs from `spec.expected`. The
 * reader sees every byte but never a clean end of a corrupt object. With `spec.size`, a body of
 * another length fails as cut short (`network`) instead: a transfer problem, not a corrupt copy.
 */
export function verifyingStream(spec: VerifySpec): Transform {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (spec.size !== undefined && bytes !== spec.size) {
        const error = shortBody(spec.key, spec.target);
        spec.onEnd?.(error);
        callback(error);
        return;
      }
      spec.onEnd?.();
      const actual = hash.digest('hex');
      if (actual === spec.expected) {
        callback();
        return;
      }
      const error = new IntegrityError(spec.key, spec.target, spec.expected, actual, spec.version);
      spec.onMismatch(error);
      callback(error);
    },
    destroy(error, callback) {
      spec.onDestroy?.();
      callback(error);
    },
  });
}
