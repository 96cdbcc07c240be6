import { Readable } from 'node:stream';
import type { BlockBlobClient } from '@azure/storage-blob';
import { type IoWatch, watchPipedRequest } from '@failover/storage';

type StageBody = Parameters<BlockBlobClient['stageBlock']>[1];

/**
 * Makes every block `blob` stages watched from its first byte. `uploadStream` stages each block
 * with a stream body that the SDK's HTTP client pipes into the request, and Node 20 announces such
 * a request only once its whole body was written: a Put Block the server stops reading would never
 * be bounded, and the put would hang. This wraps `stageBlock` on this client only (the store makes
 * one per call) so that each block's body, on every attempt, hands its request to `watch` as soon
 * as it is piped into it (see {@link watchPipedRequest}).
 */
export function watchStagedBlocks(blob: BlockBlobClient, watch: Pick<IoWatch, 'watchRequest'>): void {
  const stage = blob.stageBlock.bind(blob);
  blob.stageBlock = (blockId, body, contentLength, options) =>
    stage(blockId, watchedBody(body, watch), contentLength, options);
}

function watchedBody(body: StageBody, watch: Pick<IoWatch, 'watchRequest'>): StageBody {
  if (body instanceof Readable) {
    watchPipedRequest(body, watch);
    return body;
  }
  if (typeof body !== 'function') return body;
  const make = body as () => NodeJS.ReadableStream;
  return () => {
    const stream = make();
    if (stream instanceof Readable) watchPipedRequest(stream, watch);
    return stream;
  };
}
