import { FailoverError, type FailoverErrorOptions, type FailureKind } from '@failover/core';
import type { BlobInfo } from './types.js';

/**
 * Base class of storage errors. `kind` says what happened (see `FailureKind` in
 * `@failover/core`), `cause` keeps the provider's own error, `target` names the store.
 * Messages never contain credentials, signatures or signed URLs.
 */
export class StorageError extends FailoverError {
  /** The key the operation was about, when there is one. */
  readonly key: string | undefined;

  constructor(kind: FailureKind, message: string, options: FailoverErrorOptions & { key?: string } = {}) {
    super(kind, message, options);
    this.key = options.key;
  }
}

/** No object at the key (`kind: 'not_found'`). */
export class NotFoundError extends StorageError {
  constructor(key: string, options: FailoverErrorOptions = {}) {
    super('not_found', `Object not found: ${JSON.stringify(key)}`, { ...options, key });
  }
}

/** A condition (`ifNoneMatch: '*'`, `ifMatch`) did not hold (`kind: 'precondition'`). */
export class PreconditionFailedError extends StorageError {
  constructor(key: string, options: FailoverErrorOptions & { reason?: string } = {}) {
    super(
      'precondition',
      `Precondition failed for ${JSON.stringify(key)}${options.reason ? `: ${options.reason}` : ''}`,
      {
        ...options,
        key,
      },
    );
  }
}

/** A key breaks the rules every store shares (`kind: 'invalid'`); the message says which. */
export class InvalidKeyError extends StorageError {
  constructor(key: unknown, reason: string, options: FailoverErrorOptions = {}) {
    const shown =
      typeof key === 'string'
        ? JSON.stringify(key.length > 80 ? `${key.slice(0, 77)}...` : key)
        : String(key);
    super(
      'invalid',
      `Invalid key ${shown}: ${reason}`,
      typeof key === 'string' ? { ...options, key } : options,
    );
  }
}

/** An argument other than the key is invalid (metadata, range, page size...) (`kind: 'invalid'`). */
export class InvalidArgumentError extends StorageError {
  /** The argument's name, e.g. `metadata` or `range.start`. */
  readonly argument: string;

  constructor(argument: string, reason: string, options: FailoverErrorOptions & { key?: string } = {}) {
    super('invalid', `Invalid ${argument}: ${reason}`, options);
    this.argument = argument;
  }
}

/**
 * The bytes a store read do not match the checksum its provider keeps for the object (GCS's MD5
 * or CRC32C, checked by the GCS adapter on whole-object reads; an S3 response checksum the AWS
 * SDK validated). `kind: 'unavailable'`: this read did not deliver the object, another copy may.
 * The copy may be damaged at rest, or only this answer on its way.
 *
 * A multi-cloud store does not count it against the cloud's breaker: it checks the bytes against
 * its own SHA-256 instead, and a copy that does not match is reported (`integrityError`) and
 * queued for repair, whatever the cloud.
 */
export class ContentMismatchError extends StorageError {
  /** The provider's checksum that was checked, e.g. `md5`, `crc32c`, `crc32`. */
  readonly checksum: string;
  /** The checksum the provider keeps for the object (as the provider spells it), when known. */
  readonly expected: string | undefined;
  /** The checksum of the bytes received, when known. */
  readonly actual: string | undefined;
  /**
   * The copy whose bytes failed the check, as `get` would have described it, when the store
   * checked them before `get` answered (a small object): which version is damaged, for a caller
   * that reports or repairs it. Absent when the check failed a body already handed out.
   */
  readonly info: BlobInfo | undefined;

  constructor(
    key: string | undefined,
    detail: {
      checksum: string;
      expected?: string | undefined;
      actual?: string | undefined;
      info?: BlobInfo | undefined;
    },
    options: FailoverErrorOptions = {},
  ) {
    const about = key === undefined ? '' : ` of ${JSON.stringify(key)}`;
    const on = options.target === undefined ? '' : ` on "${options.target}"`;
    super('unavailable', `The bytes read${about}${on} do not match the object's ${detail.checksum}`, {
      ...options,
      ...(key === undefined ? {} : { key }),
    });
    this.checksum = detail.checksum;
    this.expected = detail.expected;
    this.actual = detail.actual;
    this.info = detail.info;
  }
}

/**
 * Whether `err` is a {@link ContentMismatchError}, or an error caused by one (a store that wrapped
 * it), up to four causes deep. Core's errors are recognised across copies of the package.
 */
export function isContentMismatch(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof ContentMismatchError) return true;
  }
  return false;
}
