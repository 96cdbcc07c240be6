import { type NormalizedBody, normalizeBody } from './body.js';
import { checkCallOptions } from './call-options.js';
import { normalizeContentType } from './content-type.js';
import { InvalidArgumentError } from './errors.js';
import { normalizeMetadata } from './metadata.js';
import type { BlobBody, CopyOptions, PutOptions } from './types.js';

/** {@link PutOptions} checked and filled in, as a store applies them. */
export interface NormalizedPutOptions {
  /** The content type to store (the default when none was given). */
  readonly contentType: string;
  /** Metadata with lowercase keys (empty when none was given). */
  readonly metadata: Record<string, string>;
  /** Whether the write must fail when an object exists (`ifNoneMatch: '*'`). */
  readonly ifNoneMatch: boolean;
  /** The announced body size, when given. */
  readonly size: number | undefined;
  /** The caller's signal. */
  readonly signal: AbortSignal | undefined;
}

/**
 * Validates and fills in {@link PutOptions} for the object at `key`: content type (see
 * `normalizeContentType`), metadata (see `normalizeMetadata`), `ifNoneMatch` (only `'*'`) and
 * `size` (a non-negative integer), `signal` (an `AbortSignal`); `options` itself must be an object
 * when given (see `checkCallOptions`). Throws `InvalidArgumentError` naming the bad option, with the
 * store as `target` when given.
 */
export function normalizePutOptions(
  key: string,
  options: PutOptions | undefined,
  target?: string,
): NormalizedPutOptions {
  const o = checkCallOptions(options, { key, target });
  const size = normalizePutSize(o.size, key, target);
  return {
    contentType: normalizeContentType(o.contentType, key),
    metadata: normalizeMetadata(o.metadata, key),
    ifNoneMatch: normalizeIfNoneMatch(o.ifNoneMatch, key, target),
    size,
    signal: o.signal,
  };
}

/**
 * Validates `ifNoneMatch` of {@link PutOptions} or {@link CopyOptions}: absent or `'*'`. The
 * `InvalidArgumentError` names `key` and, when given, the store as `target`.
 */
export function normalizeIfNoneMatch(
  value: CopyOptions['ifNoneMatch'],
  key: string,
  target?: string,
): boolean {
  if (value === undefined) return false;
  if (value === '*') return true;
  throw new InvalidArgumentError('ifNoneMatch', "must be '*' when given", { key, target });
}

/**
 * Validates `size` of {@link PutOptions}: absent or a non-negative safe integer. The
 * `InvalidArgumentError` names `key` and, when given, the store as `target`.
 */
export function normalizePutSize(size: PutOptions['size'], key: string, target?: string): number | undefined {
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
    throw new InvalidArgumentError('size', 'must be an integer >= 0', { key, target });
  }
  return size;
}

/**
 * Checks a body against the `size` announced for it (when one was), once its length is known:
 * a mismatch is an `InvalidArgumentError` (`argument: 'size'`) naming `key` and the store.
 */
export function checkPutSize(
  announced: number | undefined,
  actual: number,
  key: string,
  target: string,
): void {
  if (announced !== undefined && announced !== actual) {
    throw new InvalidArgumentError('size', `is ${announced} but the body had ${actual} bytes`, {
      key,
      target,
    });
  }
}

/**
 * {@link normalizeBody} for a `put`: a body of any other type is an `InvalidArgumentError`
 * (`argument: 'body'`, the `TypeError` as `cause`) naming `key` and, when given, the store as
 * `target`.
 */
export function normalizePutBody(body: BlobBody, key: string, target?: string): NormalizedBody {
  try {
    return normalizeBody(body);
  } catch (err) {
    throw new InvalidArgumentError(
      'body',
      'must be a Uint8Array, a string, a Readable, a ReadableStream or an AsyncIterable',
      { key, target, cause: err },
    );
  }
}
