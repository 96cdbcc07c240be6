import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

/** Code that wants to know of the HTTP requests created while it runs. */
export interface RequestObserver {
  /** Told of each `http`/`https` request created within {@link RequestScope.run} (maybe twice). */
  noteRequest(request: ClientRequest): void;
}

/**
 * How long a scope keeps its `AsyncLocalStorage` on after nothing holds it any more (ms): the
 * SDKs' own follow-up requests of an operation that just ended (a retry, a re-request of a broken
 * download) are still told.
 */
export const SCOPE_IDLE_MS = 1000;

/**
 * Tells an observer of every outgoing HTTP request created while a function runs, including in
 * what that function starts (timers, promises, the SDK's own retries): Node's
 * `http.client.request.created` (Node 22.14+, 23.2+: before the request's body is written) and
 * `http.client.request.start` (every version: once the body was written) diagnostics channels,
 * within an `AsyncLocalStorage` scope. A request announced by both channels is told twice: the
 * observer keeps it once. The channels are subscribed on the first `run`.
 *
 * On Node 20 and 22 an enabled `AsyncLocalStorage` turns on promise hooks for the whole process
 * (every promise of the application pays for them; a bare `await` loop runs several times slower).
 * So the storage is on only while something holds it: a {@link RequestScope.run} until the
 * promise `fn` returned settles, a {@link RequestScope.hold} until it is released (the request
 * watchdog holds it while requests it watches are open), and 1 s (`SCOPE_IDLE_MS`) after that;
 * then it is disabled until the next `run`. (Node 24 and later keep the context without hooks.)
 */
export class RequestScope<O extends RequestObserver> {
  readonly #current = new AsyncLocalStorage<O>();
  #subscribed = false;
  #holds = 0;
  #idle: ReturnType<typeof setTimeout> | undefined;

  /** Runs `fn` with `observer` told of the requests created in it. */
  run<T>(observer: O, fn: () => T): T {
    this.#subscribe();
    const release = this.hold();
    let result: T;
    try {
      result = this.#current.run(observer, fn);
    } catch (err) {
      release();
      throw err;
    }
    if (isThenable(result)) result.then(release, release);
    else release();
    return result;
  }

  /** Keeps the scope's storage on until the returned function is called (more calls do nothing). */
  hold(): () => void {
    this.#holds++;
    if (this.#idle !== undefined) {
      clearTimeout(this.#idle);
      this.#idle = undefined;
    }
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--this.#holds === 0) this.#idleSoon();
    };
  }

  #idleSoon(): void {
    this.#idle = setTimeout(() => {
      this.#idle = undefined;
      if (this.#holds === 0) this.#current.disable();
    }, SCOPE_IDLE_MS);
    this.#idle.unref?.();
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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
