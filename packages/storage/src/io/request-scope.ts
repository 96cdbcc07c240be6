import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

/** Code that wants to know of the HTTP requests created while it runs. */
export interface RequestObserver {
  /** Told of each `http`/`https` request created within {@link RequestScope.run} (maybe twice). */
  noteRequest(request: ClientRequest): void;
}

/**
 * Tells an observer of every outgoing HTTP request created while a function runs, including in
 * what that function starts (timers, promises, the SDK's own retries): Node's
 * `http.client.request.created` (Node 22.14+, 23.2+: before the request's body is written) and
 * `http.client.request.start` (every version: once the body was written) diagnostics channels,
 * within an `AsyncLocalStorage` scope. A request announced by both channels is told twice: the
 * observer keeps it once. The channels are subscribed on the first `run`.
 */
export class RequestScope<O extends RequestObserver> {
  readonly #current = new AsyncLocalStorage<O>();
  #subscribed = false;

  /** Runs `fn` with `observer` told of the requests created in it. */
  run<T>(observer: O, fn: () => T): T {
    this.#subscribe();
    return this.#current.run(observer, fn);
  }

  #subscribe(): void {
    if (this.#subscribed) return;
    this.#subscribed = true;
    const onRequest = (message: unknown): void => {
      this.#current.getStore()?.noteRequest((message as { request: ClientRequest }).request);
    };
    subscribe('http.client.request.created', onRequest);
    subscribe('http.client.request.start', onRequest);
  }
}
