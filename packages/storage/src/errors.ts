import { FailoverError, type FailoverErrorOptions, type FailureKind } from '@failover/core';

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
