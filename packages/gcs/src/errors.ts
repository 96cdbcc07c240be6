import {
  AbortedError,
  classifyFailure,
  FailoverError,
  type FailureKind,
  redact,
  redactError,
} from '@failover/core';
import {
  ContentMismatchError,
  NotFoundError,
  PreconditionFailedError,
  StorageError,
  TransferError,
} from '@failover/storage';
import { DOWNLOAD_MISMATCH } from './content-check.js';

/** What an error is about: the store, the operation and the key (as the caller gave it). */
export interface ErrorContext {
  /** The store's name (`target` of the error). */
  readonly target: string;
  /** The operation, e.g. `put`. */
  readonly op: string;
  /** The key, without the store prefix. */
  readonly key?: string;
}

const MAX_DETAIL = 300;
// A resumable session URI is a bearer capability: anyone holding it can write to the session.
const UPLOAD_ID = /([?&;\s]|^)(upload_id)=([^&;\s"']+)/gi;

/** Removes credentials, signed-URL parameters and resumable session ids from a text. */
export function redactGcs(text: string): string {
  return redact(text).replace(UPLOAD_ID, (_m, pre: string, name: string) => `${pre}${name}=[redacted]`);
}

/**
 * Turns anything the GCS client threw into a `StorageError` (or a subclass): `NotFoundError` for
 * `not_found`, `PreconditionFailedError` for `precondition`, else a `StorageError` with the kind
 * from `classifyFailure`. A redacted copy of the SDK error (core's `redactError`: no request,
 * response or config objects) is kept as `cause`; the message is redacted. The library's
 * own errors (an `AbortedError`, an idle timeout) pass through unchanged.
 */
export function toStorageError(err: unknown, ctx: ErrorContext, kindOverride?: FailureKind): FailoverError {
  if (err instanceof FailoverError && kindOverride === undefined) return err;
  const kind = kindOverride ?? classifyFailure(err);
  // The SDK's error reaches its request (the OAuth bearer token): keep a redacted copy.
  const opts = { cause: redactError(err), target: ctx.target };
  if (kind === 'not_found' && ctx.key !== undefined) return new NotFoundError(ctx.key, opts);
  if (isDownloadMismatch(err)) return new ContentMismatchError(ctx.key, mismatchDetail(err), opts);
  if (kind === 'precondition' && ctx.key !== undefined) {
    return new PreconditionFailedError(ctx.key, { ...opts, reason: detailOf(err) });
  }
  const about = ctx.key === undefined ? '' : ` ${JSON.stringify(ctx.key)}`;
  return new StorageError(kind, `GCS ${ctx.op}${about} on ${ctx.target} failed (${kind}): ${detailOf(err)}`, {
    ...opts,
    ...(ctx.key === undefined ? {} : { key: ctx.key }),
  });
}

/** A download whose bytes did not match the object's checksum: this adapter's check, or the client's. */
function isDownloadMismatch(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === DOWNLOAD_MISMATCH;
}

/** The checksum a mismatch names: this adapter's check says which, the client's checks CRC32C. */
function mismatchDetail(err: unknown): { checksum: string; expected?: string; actual?: string } {
  const { checksum, expected, actual } = err as { checksum?: unknown; expected?: unknown; actual?: unknown };
  return {
    checksum: typeof checksum === 'string' ? checksum : 'crc32c',
    ...(typeof expected === 'string' ? { expected } : {}),
    ...(typeof actual === 'string' ? { actual } : {}),
  };
}

/**
 * The error for an operation the caller aborted through its signal: core's `AbortedError`
 * (`kind: 'aborted'`) with the signal's reason as `cause`, as every store reports it.
 */
export function abortedError(ctx: ErrorContext, reason: unknown): AbortedError {
  return new AbortedError({ cause: reason, target: ctx.target });
}

/** A short, redacted description of an SDK error for a message. */
function detailOf(err: unknown): string {
  let text: string;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const codeText = typeof code === 'string' || typeof code === 'number' ? ` [${code}]` : '';
    text = `${err.message || err.name}${codeText}`;
  } else if (
    err !== null &&
    typeof err === 'object' &&
    typeof (err as { message?: unknown }).message === 'string'
  ) {
    text = (err as { message: string }).message;
  } else {
    text = String(err);
  }
  text = redactGcs(text.replace(/\s+/g, ' ').trim());
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 3)}...` : text;
}

/**
 * The error for a download that received no byte for `idleMs` while the reader waited: a
 * `TransferError` (`phase: 'download'`, `kind: 'network'`), the connection stalled or dropped mid-body.
 */
export function idleError(ctx: ErrorContext, idleMs: number): StorageError {
  return new TransferError('download', idleMs, {
    target: ctx.target,
    operation: `GCS ${ctx.op}`,
    key: ctx.key,
  });
}
