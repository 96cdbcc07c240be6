import type { BlobBeginCopyFromUrlPollState, BlobClient, BlobRequestConditions } from '@azure/storage-blob';
import type { StorageError } from '@failover/storage';
import { abortError } from './streams.js';

/** How often a pending copy's status is read. */
export const COPY_POLL_INTERVAL_MS = 1000;

/** Builds the error for a copy that ended badly on the service. */
export type CopyFailure = (kind: 'unavailable' | 'unknown', message: string) => StorageError;

/** What {@link waitForCopy} reads of the destination on each poll. */
export interface CopyStatusView {
  copyId?: string;
  copyStatus?: string;
  copyStatusDescription?: string;
}

/**
 * Copies `source` to `destination` with Copy Blob (`beginCopyFromURL`), which the service
 * authorizes for a source in the same storage account with the destination's own credential
 * (shared key, SAS or Microsoft Entra ID), and which azurite implements. (Copy Blob From URL,
 * `syncCopyFromURL`, would need a SAS or a bearer token for the source on real Azure.)
 *
 * Within one account the copy usually completes at once; when the service answers `pending`, the
 * destination's properties are polled (see {@link waitForCopy}). An abort of `signal` while
 * pending also aborts the copy on the service (best effort).
 *
 * Metadata and content type travel with the copy (no metadata is sent, so the source's is kept).
 * Throws the SDK's error for failed requests and a `StorageError` for a copy that ended badly.
 */
export async function copyBlob(
  source: BlobClient,
  destination: BlobClient,
  conditions: BlobRequestConditions | undefined,
  signal: AbortSignal | undefined,
  failure: CopyFailure,
): Promise<void> {
  const poller = await destination.beginCopyFromURL(source.url, {
    ...(conditions ? { conditions } : {}),
    ...(signal ? { abortSignal: signal } : {}),
    intervalInMs: COPY_POLL_INTERVAL_MS,
  });
  const state = poller.getOperationState() as BlobBeginCopyFromUrlPollState;
  if (state.error) throw state.error;
  if (state.isCompleted) return;
  const copyId = state.copyId;
  try {
    await waitForCopy(
      () => destination.getProperties(signal ? { abortSignal: signal } : {}),
      copyId,
      signal,
      failure,
    );
  } catch (err) {
    if (signal?.aborted && copyId !== undefined) {
      await destination.abortCopyFromURL(copyId).catch(() => {
        // Best effort: the copy may have finished meanwhile.
      });
    }
    throw err;
  }
}

/**
 * Polls a pending copy every `intervalMs` until it succeeds (resolves), fails (`unavailable`), is
 * aborted on the service or replaced by another copy (`unknown`), or `signal` aborts (rejects
 * with an `AbortError`). `readStatus` reads the destination's properties.
 */
export async function waitForCopy(
  readStatus: () => Promise<CopyStatusView>,
  copyId: string | undefined,
  signal: AbortSignal | undefined,
  failure: CopyFailure,
  intervalMs = COPY_POLL_INTERVAL_MS,
): Promise<void> {
  for (;;) {
    await delay(intervalMs, signal);
    const status = await readStatus();
    if (copyId !== undefined && status.copyId !== undefined && status.copyId !== copyId) {
      throw failure('unknown', 'another copy replaced this one at the destination');
    }
    switch (status.copyStatus) {
      case 'success':
        return;
      case 'failed':
        throw failure(
          'unavailable',
          `the service failed the copy (${status.copyStatusDescription ?? 'no reason given'})`,
        );
      case 'aborted':
        throw failure('unknown', 'the copy was aborted on the service');
      default:
        break; // pending
    }
  }
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', fail);
      resolve();
    }, ms);
    if (signal?.aborted) fail();
    else signal?.addEventListener('abort', fail, { once: true });
  });
}
