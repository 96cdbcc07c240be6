import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobBeginCopyFromUrlPollState, BlobClient, BlobRequestConditions } from '@azure/storage-blob';
import type { StorageError } from '@failover/storage';

/** How often a pending copy's status is read. */
export const COPY_POLL_INTERVAL_MS = 1000;

/**
 * Copies `source` to `destination` with Copy Blob (`beginCopyFromURL`), which the service
 * authorizes for a source in the same storage account with the destination's own credential
 * (shared key, SAS or Microsoft Entra ID), and which azurite implements. (Copy Blob From URL,
 * `syncCopyFromURL`, would need a SAS or a bearer token for the source on real Azure.)
 *
 * Within one account the copy usually completes at once; when the service answers `pending`, the
 * destination's properties are polled until the copy succeeds, fails or is aborted. An abort of
 * `signal` while pending also aborts the copy on the service (best effort).
 *
 * Metadata and content type travel with the copy (no metadata is sent, so the source's is kept).
 * Throws the SDK's error for failed requests and a `StorageError` for a copy that ended badly.
 */
export async function copyBlob(
  source: BlobClient,
  destination: BlobClient,
  conditions: BlobRequestConditions | undefined,
  signal: AbortSignal | undefined,
  failure: (kind: 'unavailable' | 'unknown', message: string) => StorageError,
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
    for (;;) {
      await sleep(COPY_POLL_INTERVAL_MS, undefined, signal ? { signal } : undefined);
      const props = await destination.getProperties(signal ? { abortSignal: signal } : {});
      if (copyId !== undefined && props.copyId !== undefined && props.copyId !== copyId) {
        throw failure('unknown', 'another copy replaced this one at the destination');
      }
      switch (props.copyStatus) {
        case 'success':
          return;
        case 'failed':
          throw failure(
            'unavailable',
            `the service failed the copy (${props.copyStatusDescription ?? 'no reason given'})`,
          );
        case 'aborted':
          throw failure('unknown', 'the copy was aborted on the service');
        default:
          break; // pending
      }
    }
  } catch (err) {
    if (signal?.aborted && copyId !== undefined) {
      await destination.abortCopyFromURL(copyId).catch(() => {
        // Best effort: the copy may have finished meanwhile.
      });
    }
    throw err;
  }
}
