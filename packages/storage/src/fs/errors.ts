import type { FailureKind } from '@failover/core';
import { StorageError } from '../errors.js';

const KINDS: Readonly<Record<string, FailureKind>> = {
  EACCES: 'auth',
  EPERM: 'auth',
  ENOSPC: 'unavailable',
  EDQUOT: 'unavailable',
  EROFS: 'unavailable',
  EIO: 'unavailable',
  EMFILE: 'unavailable',
  ENFILE: 'unavailable',
  EBUSY: 'unavailable',
  EAGAIN: 'unavailable',
  ETIMEDOUT: 'timeout',
  ENAMETOOLONG: 'invalid',
};

/** The `code` of a Node system error, if `err` is one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when `err` is a system error with one of `codes`. */
export function hasCode(err: unknown, ...codes: string[]): boolean {
  const code = errorCode(err);
  return code !== undefined && codes.includes(code);
}

/**
 * A filesystem error as a {@link StorageError}: permission errors are `auth`, a full, read-only
 * or failing disk is `unavailable`, a path too long is `invalid`, the rest `unknown`. The message
 * names the operation, the key and the error code (not the path); `cause` is the error itself.
 */
export function fsError(err: unknown, operation: string, key: string, target: string): StorageError {
  if (err instanceof StorageError) return err;
  const code = errorCode(err);
  const kind = (code && KINDS[code]) || 'unknown';
  return new StorageError(
    kind,
    `Filesystem store could not ${operation} ${JSON.stringify(key)}: ${code ?? 'error'}`,
    {
      key,
      target,
      cause: err,
    },
  );
}
