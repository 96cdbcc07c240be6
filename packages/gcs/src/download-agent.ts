import type { ClientRequest, IncomingMessage } from 'node:http';
import { type RequestObserver, RequestScope } from '@failover/storage';

/**
 * Keeps one failed download from resetting every other request of the client.
 *
 * @google-cloud/storage's `File#createReadStream` (7, and 8.4 over teeny-request 11) pipes the
 * response into the stream it returns and, when that pipeline ends with an error (a cut or stalled
 * body, a failed checksum, the stream destroyed before its end by its reader), calls
 * `response.request.agent.destroy()`: node-fetch would otherwise keep the socket of an unfinished
 * body open (googleapis/nodejs-storage#2313).
 * That agent is teeny-request's keep-alive pool (`forever: true`, one per protocol per process),
 * shared by every request of every client: `Agent#destroy` destroys the sockets of all of them, so
 * their heads, gets, puts and listings fail with `socket hang up` (ECONNRESET).
 *
 * {@link DownloadSockets.run} notes the requests a download creates (storage's
 * {@link RequestScope}: Node's HTTP client diagnostics channels within an `AsyncLocalStorage`); {@link DownloadSockets.scope} puts a stand-in agent on the download's response whose
 * `destroy()` closes only those requests' connections. The client's clean-up still happens, for
 * its own download only; the shared pool, and keep-alive reuse, are left alone.
 */
export class DownloadSockets implements RequestObserver {
  readonly #requests: ClientRequest[] = [];

  /** Runs `fn`, noting the download requests (`alt=media`) created in it or in what it starts. */
  run<T>(fn: () => T): T {
    return scope.run(this, fn);
  }

  /**
   * Replaces the agent on the client's view of the response (`response.request.agent`, read by the
   * client when the download fails) by one that closes this download's connection only. A response
   * of another shape (another client version) is left as it is.
   */
  scope(response: unknown): void {
    const request = (response as { request?: unknown } | null | undefined)?.request;
    if (request === null || typeof request !== 'object') return;
    const agent = (request as { agent?: unknown }).agent;
    if (agent === null || typeof agent !== 'object') return;
    if (typeof (agent as { destroy?: unknown }).destroy !== 'function') return;
    (request as { agent: unknown }).agent = { destroy: () => this.close() };
  }

  /** Closes the connections of this download's requests that are still open. */
  close(): void {
    for (const request of this.#requests) {
      // Destroying the response without an error closes its socket (an unfinished body's socket
      // cannot go back to the pool) and is not a cut to the request watchdog; a finished one has
      // given its socket back already and is left alone.
      const response = (request as { res?: IncomingMessage }).res;
      if (response) {
        if (!response.destroyed) response.destroy();
      } else if (!request.destroyed) {
        request.destroy();
      }
    }
  }

  noteRequest(request: ClientRequest): void {
    if (!isDownload(request) || this.#requests.includes(request)) return;
    this.#requests.push(request);
  }
}

const scope = new RequestScope<DownloadSockets>();

/** A media download (not an auth token or metadata request the client made along the way). */
function isDownload(request: ClientRequest): boolean {
  return typeof request.path === 'string' && /[?&]alt=media(?:&|$)/.test(request.path);
}
