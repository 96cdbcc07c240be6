import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IntegrityError } from './errors.js';

/** What a verifying stream checks and whom it tells about a mismatch. */
export interface VerifySpec {
  readonly key: string;
  readonly target: string;
  readonly expected: string;
  readonly version: string | undefined;
  /** Called once with the error when the content does not match. */
  readonly onMismatch: (error: IntegrityError) => void;
}

/** SHA-256 of bytes, lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A pass-through stream that hashes what flows through it and, as the source ends, fails with an
 * {@link IntegrityError} instead of ending when the SHA-256 differs from `spec.expected`. The
 * reader sees every byte but never a clean end of a corrupt object.
 */
export function verifyingStream(spec: VerifySpec): Transform {
  const hash = createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      const actual = hash.digest('hex');
      if (actual === spec.expected) {
        callback();
        return;
      }
      const error = new IntegrityError(spec.key, spec.target, spec.expected, actual, spec.version);
      spec.onMismatch(error);
      callback(error);
    },
  });
}
