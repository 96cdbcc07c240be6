import type { TargetFailure } from '@failover/core';
import { StorageError } from '../errors.js';

/**
 * The bytes read from a target do not match the SHA-256 the object carries (`kind: 'unknown'`):
 * the copy is corrupt. A whole-object read that meets one moves on to another target; a stream
 * already handed to the caller fails with this error as it ends. Either way the copy is queued for
 * repair and an `integrityError` event is emitted.
 */
export class IntegrityError extends StorageError {
  /** The SHA-256 the object's metadata promised. */
  readonly expected: string;
  /**
   * The SHA-256 of the bytes actually read; or, when the cloud's store rejected them by the
   * provider's own checksum before the store saw them (a `ContentMismatchError`), that checksum
   * as `<name>:<value>` (e.g. `md5:...`): the bytes were not kept.
   */
  readonly actual: string;
  /** The object's version, when it has one. */
  readonly version: string | undefined;

  constructor(key: string, target: string, expected: string, actual: string, version: string | undefined) {
    super(
      'unknown',
      `Integrity check failed for ${JSON.stringify(key)} on "${target}": content does not match its SHA-256`,
      {
        key,
        target,
      },
    );
    this.expected = expected;
    this.actual = actual;
    this.version = version;
  }
}

/**
 * A quorum write reached fewer targets than required (`kind`: the last failure's kind). The write
 * is not acknowledged. Copies that did land are journaled, so the targets still converge on one
 * version (see the docs: a failed write's effect is unknown; retry it to be sure).
 */
export class QuorumNotReachedError extends StorageError {
  /** Copies required (`writes.quorum`, or 1 for the other modes). */
  readonly required: number;
  /** Targets that took the write. */
  readonly succeeded: readonly string[];
  /** Each failed target's failure. */
  readonly failures: readonly TargetFailure[];

  constructor(
    key: string,
    op: 'put' | 'delete',
    required: number,
    succeeded: readonly string[],
    failures: readonly TargetFailure[],
  ) {
    const last = failures[failures.length - 1];
    const list = failures.map((f) => `${f.target}: ${f.kind}`).join('; ');
    super(
      last?.kind ?? 'unavailable',
      `The ${op} of ${JSON.stringify(key)} reached ${succeeded.length} of the ${required} targets required (${list})`,
      { key, cause: last?.cause },
    );
    this.required = required;
    this.succeeded = Object.freeze([...succeeded]);
    this.failures = Object.freeze([...failures]);
  }
}
