import { Readable } from 'node:stream';
import { type IoWatch, watchPipedRequest } from '@failover/storage';
import type { File } from '@google-cloud/storage';

type Interceptor = File['interceptors'][number];
type MultipartRequest = Record<string, unknown> & { multipart?: unknown };

/**
 * Makes the one-request (multipart) upload of `file` watched from its first byte. The client
 * sends it through teeny-request, which pipes the body stream into a multipart stream and that
 * into the HTTP request; Node 20 announces such a request only once its whole body was written,
 * so a request the server stops reading would never be bounded. This adds an interceptor (to
 * this `File` only, which the store creates per call) that follows the body's pipes to the
 * request and hands it to `watch` (see {@link watchPipedRequest}).
 */
export function watchSimpleUploadOn(file: File, watch: Pick<IoWatch, 'watchRequest'>): void {
  const interceptor = {
    request(options: MultipartRequest): MultipartRequest {
      if (Array.isArray(options.multipart)) {
        for (const part of options.multipart as { body?: unknown }[]) {
          if (part?.body instanceof Readable) watchPipedRequest(part.body, watch);
        }
      }
      return options;
    },
  };
  file.interceptors.push(interceptor as unknown as Interceptor);
}
