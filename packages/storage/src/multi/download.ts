import type { Readable } from 'node:stream';
import { isContentMismatch } from '../errors.js';
import { TransferError } from '../io/transfer-error.js';
import type { MultiContext } from './context.js';

/**
 * The operations the store names to its router (core's `RunOptions.operation`): each has its own
 * streak of failures in a row in a target's breaker (`breaker.consecutiveOperationFailures`), so
 * a cloud that fails every read while it takes every write is left (docs/multi-cloud.md,
 * "Sick for reads only").
 */
export const OPERATION = Object.freeze({
  /** A `get` attempt: the response headers, and the whole body when it is read before answering. */
  get: 'get',
  /** A `head` attempt. */
  head: 'head',
  /**
   * The body of a `get` handed to the caller as a stream (larger than `reads.bufferBytes`): it
   * ends after the attempt did, so its outcome is reported with `Failover.report`.
   */
  download: 'download',
});

/**
 * A body that ended before all the bytes its target announced: cut (`kind: 'network'`), not
 * corrupt. Its bytes would not match the object's SHA-256 either, but the copy may be whole:
 * it is no reason to repair it, and it counts against the target's breaker.
 */
export function shortBody(key: string, target: string): TransferError {
  return new TransferError('cut', 0, { target, operation: 'get', key });
}

/** Reports how one streamed body ended to its target's breaker; see {@link watchDownload}. */
export interface DownloadWatch {
  /** The body was read to its end: `error` for one cut short (a failure), else a success. */
  ended(error?: unknown): void;
  /** The reader stopped (destroyed the stream) before the body ended: no report. */
  stopped(): void;
}

/**
 * Watches a body the store hands to its caller after the attempt returned, and reports its end
 * to the target's breaker once, as the `download` operation (`Failover.report`):
 *
 * - the source failed (cut, stalled, reset: the adapter's error) before the reader stopped: a
 *   failure of that kind;
 * - it was read to the end: {@link DownloadWatch.ended} says how (a short body is a failure; a
 *   whole one a success, also when its content is corrupt: that is a problem of one key's copy,
 *   reported and repaired, not of the target);
 * - the reader stopped first (or cancelled): nothing, it proves neither.
 *
 * Call it before piping `source` anywhere: its `error` listener must run before the pipe's (which
 * destroys the reader's stream, and would look like the reader stopping).
 */
export function watchDownload(ctx: MultiContext, target: string, source: Readable): DownloadWatch {
  let done = false;
  const report = (error: unknown): void => {
    if (done) return;
    done = true;
    // Damaged bytes (its store's checksum found them at the end) are the copy's problem, not the
    // target's: a success, as a body whose SHA-256 does not match.
    if (isContentMismatch(error)) error = undefined;
    try {
      ctx.router.report(
        target,
        error === undefined ? { operation: OPERATION.download } : { operation: OPERATION.download, error },
      );
    } catch {
      // The store is closing (its router closed) or the target is gone: nothing to tell.
    }
  };
  source.once('error', report);
  return {
    ended: (error?: unknown) => report(error),
    stopped: () => {
      done = true;
    },
  };
}
