import { redact } from '@failover/core';
import { InvalidArgumentError, StorageError } from './errors.js';
import { validateKey } from './keys.js';
import { normalizeMetadata } from './metadata.js';
import type { PresignMethod, PresignOptions } from './presign-types.js';

export type { PresignedUrl, Presigner, PresignMethod, PresignOptions } from './presign-types.js';

/** Default lifetime of a presigned URL, in seconds. */
export const DEFAULT_PRESIGN_EXPIRES_IN = 900;
/** Longest lifetime of a presigned URL, in seconds (7 days). */
export const MAX_PRESIGN_EXPIRES_IN = 604_800;

/** {@link PresignOptions} after validation. */
export interface NormalizedPresignOptions {
  readonly expiresIn: number;
  readonly method: PresignMethod;
  readonly contentType: string | undefined;
  readonly metadata: Readonly<Record<string, string>> | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * Validates `key` and `options` for `presign` (the rules every store shares) and fills in the
 * defaults. Throws `InvalidKeyError` or `InvalidArgumentError` naming the option.
 */
export function normalizePresignOptions(
  key: unknown,
  options: PresignOptions = {},
): NormalizedPresignOptions {
  validateKey(key);
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('options', 'must be an object', { key });
  }
  const expiresIn = options.expiresIn ?? DEFAULT_PRESIGN_EXPIRES_IN;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_EXPIRES_IN) {
    throw new InvalidArgumentError(
      'options.expiresIn',
      `must be an integer number of seconds from 1 to ${MAX_PRESIGN_EXPIRES_IN}, got ${String(expiresIn)}`,
      { key },
    );
  }
  const method = options.method ?? 'GET';
  if (method !== 'GET' && method !== 'PUT') {
    throw new InvalidArgumentError('options.method', `must be 'GET' or 'PUT', got ${String(method)}`, {
      key,
    });
  }
  const { contentType } = options;
  if (contentType !== undefined) {
    if (method !== 'PUT') throw new InvalidArgumentError('options.contentType', 'is for PUT only', { key });
    if (typeof contentType !== 'string' || contentType.length === 0 || /[\r\n]/.test(contentType)) {
      throw new InvalidArgumentError('options.contentType', 'must be a non-empty single-line string', {
        key,
      });
    }
  }
  let metadata: Readonly<Record<string, string>> | undefined;
  if (options.metadata !== undefined) {
    if (method !== 'PUT') throw new InvalidArgumentError('options.metadata', 'is for PUT only', { key });
    metadata = normalizeMetadata({ ...options.metadata }, key);
  }
  return { expiresIn, method, contentType, metadata, signal: options.signal };
}

/**
 * The error for a signature the client could not make (missing or unsuitable credentials):
 * kind `invalid` with the provider's message redacted (never a URL), the original as `cause`.
 */
export function presignError(target: string, key: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StorageError(
    'invalid',
    `Cannot presign ${JSON.stringify(key)} on ${target}: ${redact(message).slice(0, 300)}`,
    { key, target, cause: err },
  );
}
