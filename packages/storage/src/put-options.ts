import { createHash } from 'node:crypto';
import { type NormalizedBody, normalizeBody } from './body.js';
import { checkCallOptions } from './call-options.js';
import { normalizeContentType } from './content-type.js';
import { InvalidArgumentError, PreconditionFailedError } from './errors.js';
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
  /** The entity tag the object at the key must have for the write to happen (`ifMatch`), when given. */
  readonly ifMatch: string | undefined;
  /** The announced body size, when given. */
  readonly size: number | undefined;
  /** The caller's signal. */
  readonly signal: AbortSignal | undefined;
  /** The body's MD5 the caller gave (`md5`), lowercase hex, when given. */
  readonly md5: string | undefined;
}

/**
 * Validates and fills in {@link PutOptions} for the object at `key`: content type (see
 * `normalizeContentType`), metadata (see `normalizeMetadata`), `ifNoneMatch` (only `'*'`),
 * `ifMatch` (see `normalizeIfMatch`; not with `ifNoneMatch`), `size` (a non-negative integer), `md5` (see
 * `normalizePutMd5`) and `signal` (an `AbortSignal`); `options` itself must be an object
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
  const ifNoneMatch = normalizeIfNoneMatch(o.ifNoneMatch, key, target);
  const ifMatch = normalizeIfMatch(o.ifMatch, key, target);
  if (ifNoneMatch && ifMatch !== undefined) {
    throw new InvalidArgumentError('ifMatch', 'cannot be combined with ifNoneMatch', { key, target });
  }
  return {
    contentType: normalizeContentType(o.contentType, key),
    metadata: normalizeMetadata(o.metadata, key),
    ifNoneMatch,
    ifMatch,
    size,
    signal: o.signal,
    md5: normalizePutMd5(o.md5, key, target),
  };
}

/** An MD5 digest as hex. */
const MD5_HEX = /^[0-9a-fA-F]{32}$/;

/**
 * Validates `md5` of {@link PutOptions}: absent, or 32 hex digits (either case; returned
 * lowercase). The `InvalidArgumentError` names `key` and, when given, the store as `target`.
 */
export function normalizePutMd5(value: PutOptions['md5'], key: string, target?: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !MD5_HEX.test(value)) {
    throw new InvalidArgumentError('md5', 'must be the MD5 of the body as 32 hex digits', { key, target });
  }
  return value.toLowerCase();
}

/**
 * The MD5 a store sends with a put's body (16 bytes): the caller's (`md5`, normalized by
 * {@link normalizePutOptions}) when given, else computed from the bytes; `undefined` for a stream
 * body. A caller's `md5` with a stream body is an `InvalidArgumentError` (nothing could check it
 * before the object is stored).
 */
export function putBodyMd5(
  md5: string | undefined,
  body: NormalizedBody,
  key: string,
  target?: string,
): Buffer | undefined {
  if (body.type === 'stream') {
    if (md5 !== undefined) {
      throw new InvalidArgumentError('md5', 'is only taken with a byte body (a Uint8Array or a string)', {
        key,
        target,
      });
    }
    return undefined;
  }
  return md5 === undefined ? createHash('md5').update(body.bytes).digest() : Buffer.from(md5, 'hex');
}

/**
 * Checks the caller's `md5` against `bytes` where no cloud checks it (a store's own copy, a body
 * sent in parts): a mismatch is an `InvalidArgumentError` (`argument: 'md5'`) naming `key` and the
 * store. Returns the digest of `bytes` (hex).
 */
export function checkPutMd5(md5: string | undefined, bytes: Uint8Array, key: string, target: string): string {
  const actual = createHash('md5').update(bytes).digest('hex');
  if (md5 !== undefined && md5 !== actual) {
    throw new InvalidArgumentError('md5', 'does not match the body', { key, target });
  }
  return actual;
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

/** The longest entity tag `ifMatch` accepts (every provider's are far shorter). */
const MAX_IF_MATCH_CHARS = 1024;
/** Printable ASCII without `"`: what goes into an `If-Match` header unchanged. */
const IF_MATCH = /^[\x20\x21\x23-\x7e]+$/;

/**
 * Validates `ifMatch` of {@link PutOptions}: absent, or an entity tag as the store reports it in
 * `BlobInfo.etag` (unquoted): 1 to 1024 printable ASCII characters without `"`, not `'*'`. The
 * `InvalidArgumentError` names `key` and, when given, the store as `target`.
 */
export function normalizeIfMatch(
  value: PutOptions['ifMatch'],
  key: string,
  target?: string,
): string | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'string' ||
    value.length > MAX_IF_MATCH_CHARS ||
    !IF_MATCH.test(value) ||
    value.trim() !== value ||
    value === '*'
  ) {
    throw new InvalidArgumentError(
      'ifMatch',
      "must be an entity tag the store returned (BlobInfo.etag): 1 to 1024 printable ASCII characters without '\"', not '*'",
      { key, target },
    );
  }
  return value;
}

/**
 * The `PreconditionFailedError` of a write whose `ifMatch` did not hold: the object at `key` is
 * another version (`exists`), or there is none. Shared by every store so the reason reads the same.
 */
export function ifMatchFailed(
  key: string,
  target: string,
  exists: boolean,
  cause?: unknown,
): PreconditionFailedError {
  return new PreconditionFailedError(key, {
    target,
    reason: exists
      ? 'the object at the key is not the version given (ifMatch)'
      : 'no object exists at the key (ifMatch)',
    ...(cause === undefined ? {} : { cause }),
  });
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
