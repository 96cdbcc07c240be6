import { Readable } from 'node:stream';
import { type IoWatch, watchPipedRequest } from '@failover/storage';
import type { File } from '@google-cloud/storage';

type Interceptor = File['interceptors'][number];
type RequestOptions = Record<string, unknown> & { signal?: AbortSignal };
type Adapter = (
  options: RequestOptions,
  defaultAdapter: (options: RequestOptions) => Promise<unknown>,
) => Promise<unknown>;

/**
 * Makes the HTTP requests of one resumable upload abortable by `signal`.
 *
 * Destroying the stream `file.createWriteStream` returns stops feeding the upload, but the
 * client keeps the request in flight (it aborts it only when the upload itself errors), so the
 * connection would hang, half-sent, until the server gives up. The resumable upload sends its
 * requests through gaxios with the file's request interceptors as extra options; this adds an
 * interceptor (to this `File` only, which the store creates per call) whose gaxios `adapter`
 * combines the request's own signal with `signal`. When `signal` aborts, the request in flight is
 * aborted and the connection closed; the upload then fails and never completes. `watch.enter` runs
 * the request's creation in the call's context (the store's request watchdog), since the client may
 * start a request from a stream callback that runs outside it. A request whose body is a stream
 * (the data `PUT` of each chunk) is handed to `watch` as soon as that body is piped into it (see
 * {@link watchPipedRequest}): Node 20 announces it only once its whole body was sent, so a `PUT`
 * the server stops reading would otherwise never be bounded.
 */
export function abortUploadRequestsOn(
  file: File,
  signal: AbortSignal,
  watch?: Pick<IoWatch, 'enter' | 'watchRequest'>,
): void {
  const enter = <T>(fn: () => T): T => (watch ? watch.enter(fn) : fn());
  const interceptor = {
    request(options: RequestOptions): RequestOptions {
      const previous = typeof options.adapter === 'function' ? (options.adapter as Adapter) : undefined;
      const adapter: Adapter = (requestOptions, defaultAdapter) => {
        const combined = requestOptions.signal ? anySignal(requestOptions.signal, signal) : signal;
        const next = { ...requestOptions, signal: combined };
        const body = requestOptions.body;
        if (watch && body instanceof Readable) watchPipedRequest(body, watch);
        // Created in the call's context, so the store's request watchdog sees the request.
        return enter(() => (previous ? previous(next, defaultAdapter) : defaultAdapter(next)));
      };
      return { ...options, adapter };
    },
  };
  file.interceptors.push(interceptor as unknown as Interceptor);
}

/** `AbortSignal.any` (Node 20.3+), with a fallback for earlier Node 20 releases. */
function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  const controller = new AbortController();
  for (const s of [a, b]) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener('abort', () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}
