import { PassThrough, pipeline, type Readable } from 'node:stream';
import { AbortedError } from '@failover/core';
import { checkSignal } from './call-options.js';
import { toleratingUnheardErrors } from './unheard-errors.js';

/**
 * The error every store rejects with when the caller's `AbortSignal` aborts: core's
 * `AbortedError` (`kind: 'aborted'`) with the signal's `reason` as `cause`, and the store as
 * `target` when given. Adapters use it too, so an abort looks the same whatever store was aborted.
 */
export function abortedError(signal: AbortSignal, target?: string): AbortedError {
  return new AbortedError(target === undefined ? { cause: signal.reason } : { cause: signal.reason, target });
}

/**
 * Throws {@link abortedError} (naming `target` when given) when `signal` has already aborted; does
 * nothing otherwise. A `signal` that is not an `AbortSignal` (e.g. `{}`) is an
 * `InvalidArgumentError` (see `checkSignal`).
 */
export function throwIfAborted(signal: AbortSignal | undefined, target?: string): void {
  checkSignal(signal);
  if (signal?.aborted) throw abortedError(signal, target);
}

/**
 * Wraps a body stream so that aborting `signal` while it is being read destroys it with
 * {@link abortedError}. Whatever error ends the source once the signal has aborted (an SDK's own
 * `AbortError`, a socket reset) is reported as that same `AbortedError`; other errors pass through
 * unchanged. Destroying the returned stream destroys the source. Without a signal the source is
 * returned as it is.
 */
export function abortableStream(source: Readable, signal: AbortSignal | undefined): Readable {
  if (!signal) return source;
  const onAbort = (): void => {
    out.destroy(abortedError(signal));
  };
  const out = toleratingUnheardErrors(
    new PassThrough({
      destroy(error, callback) {
        signal.removeEventListener('abort', onAbort);
        if (!source.destroyed) source.destroy();
        callback(error && signal.aborted ? abortedError(signal) : error);
      },
    }),
  );
  pipeline(source, out, () => {
    // Errors reach the reader through `out` (see `destroy` above).
  });
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return out;
}
