import {
  AbortedError,
  classifyFailure,
  FailoverError,
  type FailureKind,
  redact,
  redactError,
} from '@failover/core';
import { NotFoundError, PreconditionFailedError, StorageError } from '@failover/storage';
import { azureErrorCode, azureStatusOf, isRestError } from './classify.js';

/** What an error is about: the store, the operation and (when there is one) the key. */
export interface ErrorContext {
  /** The store's name (the error's `target`). */
  readonly target: string;
  /** The container's name, for `ContainerNotFound` messages. */
  readonly container: string;
  /** The operation, e.g. `put` or `list`. */
  readonly op: string;
  /** The caller's key (without the store prefix). */
  readonly key?: string;
  /** The caller's signal: errors while it is aborted become `AbortedError`. */
  readonly signal?: AbortSignal;
}

/**
 * Turns anything an SDK call threw into a library error: core's `AbortedError` (its `cause` the
 * signal's reason) when the caller's signal aborted the call, else a `StorageError` with a `kind`,
 * the store as `target`, the key, and a redacted copy of the original error (core's `redactError`)
 * as `cause`. Messages are redacted (no SAS
 * token, account key or signed URL). `NotFoundError` and `PreconditionFailedError` are used for
 * those kinds.
 */
export function mapAzureError(err: unknown, ctx: ErrorContext): StorageError | AbortedError {
  if (err instanceof StorageError || err instanceof AbortedError) return err;
  if (ctx.signal?.aborted && (isAbortLike(err) || !isRestError(err))) return abortedError(ctx);
  // The SDK's error holds its request (SharedKey or SAS): keep a redacted copy.
  const base = { cause: redactError(err), target: ctx.target };
  if (isAbortLike(err)) {
    // Aborted by something other than the caller (a timeout policy in the client's pipeline).
    return storageError('timeout', `${describeOp(ctx)} timed out in the Azure SDK`, ctx, err);
  }
  const kind: FailureKind = err instanceof FailoverError ? err.kind : classifyFailure(err);
  const code = azureErrorCode(err);
  if (kind === 'not_found') {
    if (code === 'ContainerNotFound') {
      return storageError(
        'not_found',
        `${describeOp(ctx)} failed: container ${JSON.stringify(ctx.container)} does not exist`,
        ctx,
        err,
      );
    }
    if (ctx.key !== undefined) return new NotFoundError(ctx.key, base);
  }
  if (kind === 'precondition' && ctx.key !== undefined) {
    return new PreconditionFailedError(ctx.key, { ...base, reason: reasonOf(err, code) });
  }
  return storageError(kind, `${describeOp(ctx)} failed: ${describeCause(err, code)}`, ctx, err);
}

/**
 * Maps an error from a download body. The caller's abort is `aborted`; anything else the service
 * did not explain is a lost connection (`network`): the SDK reports a socket closed mid-body as an
 * `AbortError` ("The operation was aborted"), and a body cut short after its own resume attempts
 * as a plain `Error`.
 */
export function toBodyError(err: unknown, ctx: ErrorContext): StorageError | AbortedError {
  if (err instanceof StorageError || err instanceof AbortedError) return err;
  if (ctx.signal?.aborted) return abortedError(ctx);
  if (!ctx.signal?.aborted && isAbortLike(err)) {
    return storageError(
      'network',
      `${describeOp(ctx)}: the connection closed while reading the body`,
      ctx,
      err,
    );
  }
  const mapped = mapAzureError(err, ctx);
  if (mapped.kind !== 'unknown') return mapped;
  return storageError('network', `${mapped.message} (while reading the body)`, ctx, err);
}

/** A `StorageError` about the store, operation and key of `ctx`, with `cause` kept. */
function storageError(kind: FailureKind, message: string, ctx: ErrorContext, cause: unknown): StorageError {
  return new StorageError(kind, message, { cause: redactError(cause), target: ctx.target, key: ctx.key });
}

/** Core's `AbortedError` for the caller's abort: `cause` is the signal's reason, `target` the store. */
export function abortedError(ctx: ErrorContext): AbortedError {
  return new AbortedError({ cause: ctx.signal?.reason, target: ctx.target });
}

function isAbortLike(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

function describeOp(ctx: ErrorContext): string {
  const about = ctx.key === undefined ? '' : ` of ${JSON.stringify(ctx.key)}`;
  return `Azure Blob ${ctx.op}${about} on ${ctx.target}`;
}

function reasonOf(err: unknown, code: string | undefined): string {
  const status = azureStatusOf(err);
  if (code !== undefined) return status === undefined ? code : `${status} ${code}`;
  return status === undefined ? 'the condition did not hold' : `HTTP ${status}`;
}

function describeCause(err: unknown, code: string | undefined): string {
  const status = azureStatusOf(err);
  const parts: string[] = [];
  if (status !== undefined) parts.push(`HTTP ${status}`);
  if (code !== undefined) parts.push(code);
  else if (isRestError(err) && typeof err.code === 'string') parts.push(err.code);
  const message = err instanceof Error ? firstLine(err.message) : typeof err === 'string' ? err : '';
  const head = parts.join(' ');
  const text = message && message !== code ? (head ? `${head}: ${message}` : message) : head;
  return redact(text || 'unknown error');
}

/** Azure appends `RequestId:` and `Time:` lines to its messages; the first line says it all. */
function firstLine(message: string): string {
  const line = message.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
