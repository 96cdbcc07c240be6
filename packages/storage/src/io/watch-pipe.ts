import { ClientRequest } from 'node:http';
import type { Readable } from 'node:stream';
import type { IoWatch } from './watch.js';

/** How many streams between the body and the request are followed (a multipart wrapper is one). */
const MAX_HOPS = 3;

/**
 * Hands the HTTP request that `body` ends up piped into to `watch` (see
 * {@link IoWatch.watchRequest}) at the moment the pipe is made, before any byte is written.
 *
 * For clients that send a stream body by piping it into their `http.ClientRequest` (node-fetch
 * under gaxios and teeny-request, the AWS SDK's node handler): Node 20 announces such a request on
 * `http.client.request.start` only once the whole body was written, so an upload the server stops
 * reading would otherwise never be watched, and would hang. When `body` is first piped into another
 * stream (a multipart wrapper), that stream's pipe is followed too, up to three streams deep.
 */
export function watchPipedRequest(body: Readable, watch: Pick<IoWatch, 'watchRequest'>): void {
  follow(body, watch, 0);
}

function follow(stream: Readable, watch: Pick<IoWatch, 'watchRequest'>, hops: number): void {
  const pipe = stream.pipe.bind(stream);
  stream.pipe = <T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T => {
    if (destination instanceof ClientRequest) watch.watchRequest(destination);
    else if (hops + 1 < MAX_HOPS && isReadable(destination)) follow(destination, watch, hops + 1);
    return pipe(destination, options);
  };
}

function isReadable(value: unknown): value is Readable {
  return typeof (value as { pipe?: unknown } | null)?.pipe === 'function';
}
