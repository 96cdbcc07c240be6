import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { decide, newClock, type RequestClock, type RequestSample, shiftClock } from './request-clock.js';
import { RequestScope } from './request-scope.js';
import type { ResolvedIoTimeouts } from './timeouts.js';
import { TransferError, type TransferErrorContext, type TransferPhase } from './transfer-error.js';

/**
 * Watches the HTTP requests one store operation sends through the user's own SDK client, without
 * changing that client: every `http`/`https` request the SDK creates while the operation runs
 * (found through Node's `http.client.request.start` diagnostics channel and an
 * `AsyncLocalStorage`) is checked against {@link ResolvedIoTimeouts}, and a response body that is
 * cut is noticed. When a request stops making progress, the operation fails with a
 * {@link TransferError}: the request is destroyed, the promise given to {@link IoWatch.run}
 * rejects with it, and listeners given to {@link IoWatch.onFailure} (the body streams handed to
 * the caller) are told. Requests the SDK still starts for the operation afterwards (its own
 * retries) are destroyed at once.
 */
export interface IoWatch {
  /** The failure, once the operation failed. */
  readonly failure: TransferError | undefined;
  /**
   * Runs `fn` with its HTTP requests watched; settles like `fn`'s promise, or rejects with the
   * {@link TransferError} as soon as one of its requests fails.
   */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Calls `listener` once with the failure (at once if it already happened). Returns a function
   * that removes the listener.
   */
  onFailure(listener: (err: TransferError) => void): () => void;
  /**
   * Runs `fn` (synchronously) with the requests it creates watched, without waiting for anything:
   * for SDK hooks that create requests from callbacks outside the operation's own async context.
   */
  enter<T>(fn: () => T): T;
  /**
   * Watches `request` as one of the operation's requests from now on (a request already watched
   * is left as it is). For requests whose body is a stream: Node 20 announces a request on
   * `http.client.request.start` only once its whole body was written, so until then a stalled
   * upload would go unseen. Call it when the SDK starts writing the body (it pipes the body
   * stream into the request).
   */
  watchRequest(request: ClientRequest): void;
}

/** What a request looks like to {@link IoWatchOptions.isCommit}. */
export interface WatchedRequestInfo {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path and query string, as sent. */
  readonly path: string;
}

/** Provider knowledge the watchdog uses. */
export interface IoWatchOptions {
  /**
   * True for requests that make the cloud assemble an object (S3 CompleteMultipartUpload, Azure
   * Put Block List): `commitTimeoutMs` bounds their answer instead of `responseTimeoutMs` and
   * `idleTimeoutMs`.
   */
  readonly isCommit?: (request: WatchedRequestInfo) => boolean;
}

/** Creates an {@link IoWatch} for one operation. */
export function createIoWatch(
  timeouts: ResolvedIoTimeouts,
  ctx: TransferErrorContext,
  options: IoWatchOptions = {},
): IoWatch {
  return new Watch(timeouts, ctx, options);
}

/** The watch of the operation running now (told of the requests its SDK call creates). */
const current = new RequestScope<Watch>();

interface Watched {
  readonly request: ClientRequest;
  readonly timeouts: ResolvedIoTimeouts;
  response: IncomingMessage | undefined;
  clock: RequestClock;
}

/** How often requests in flight are looked at: a quarter of the shortest bound, 25 to 250 ms. */
function tickOf(t: ResolvedIoTimeouts): number {
  const bounds = [t.connectTimeoutMs, t.responseTimeoutMs, t.idleTimeoutMs, t.commitTimeoutMs].filter(
    (ms) => ms > 0,
  );
  if (bounds.length === 0) return 0;
  return Math.min(250, Math.max(25, Math.floor(Math.min(...bounds) / 4)));
}

class Watch implements IoWatch {
  failure: TransferError | undefined;
  readonly #timeouts: ResolvedIoTimeouts;
  readonly #commitTimeouts: ResolvedIoTimeouts;
  readonly #options: IoWatchOptions;
  readonly #ctx: TransferErrorContext;
  readonly #active = new Set<Watched>();
  /** Every request adopted so far (each is watched once). */
  readonly #adopted = new WeakSet<ClientRequest>();
  readonly #listeners = new Set<(err: TransferError) => void>();
  readonly #tick: number;
  #timer: NodeJS.Timeout | undefined;
  #lastTick = 0;
  /** Keeps the request scope on while requests are watched (their SDK may re-request). */
  #release: (() => void) | undefined;

  constructor(timeouts: ResolvedIoTimeouts, ctx: TransferErrorContext, options: IoWatchOptions) {
    this.#timeouts = timeouts;
    this.#options = options;
    const commit = timeouts.commitTimeoutMs;
    this.#commitTimeouts = { ...timeouts, responseTimeoutMs: commit, idleTimeoutMs: commit };
    this.#ctx = ctx;
    this.#tick = tickOf(timeouts);
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const off = this.onFailure(reject);
      current.run(this, fn).then(
        (value) => {
          off();
          if (this.failure) reject(this.failure);
          else resolve(value);
        },
        (err: unknown) => {
          off();
          reject(this.failure ?? err);
        },
      );
    });
  }

  enter<T>(fn: () => T): T {
    return current.run(this, fn);
  }

  onFailure(listener: (err: TransferError) => void): () => void {
    if (this.failure) {
      listener(this.failure);
      return () => undefined;
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  watchRequest(request: ClientRequest): void {
    this.adopt(request);
  }

  noteRequest(request: ClientRequest): void {
    this.adopt(request);
  }

  adopt(request: ClientRequest): void {
    if (this.#adopted.has(request)) return;
    this.#adopted.add(request);
    if (this.failure) {
      request.destroy(this.failure);
      return;
    }
    const commit = this.#options.isCommit?.({ method: request.method, path: request.path }) === true;
    this.#release ??= current.hold();
    const watched: Watched = {
      request,
      timeouts: commit ? this.#commitTimeouts : this.#timeouts,
      response: undefined,
      clock: newClock(performance.now()),
    };
    this.#active.add(watched);
    const done = (): void => {
      this.#active.delete(watched);
      if (this.#active.size === 0) this.#stopTimer();
    };
    request.once('response', (res: IncomingMessage) => {
      watched.response = res;
      res.once('end', done);
      res.once('close', () => {
        done();
        // Closed before the whole body came: the server or the network cut it (the client's own
        // destroy() without an error is not a cut).
        if (!res.complete && res.errored && !(res.errored instanceof TransferError))
          this.#fail('cut', 0, watched);
      });
    });
    request.once('close', () => {
      if (!watched.response) done();
    });
    this.#startTimer();
  }

  #startTimer(): void {
    if (this.#timer || this.#tick === 0) return;
    this.#lastTick = performance.now();
    // Looked at after the I/O callbacks that are due (setImmediate runs after the poll phase):
    // after the event loop was blocked, timers run before the I/O that arrived meanwhile, and a
    // connect or a chunk that is already there must count.
    this.#timer = setInterval(() => setImmediate(() => this.#check()), this.#tick);
    this.#timer.unref();
  }

  /** Every watched request ended (or the operation failed): the timer stops, the scope is let go. */
  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#release?.();
    this.#release = undefined;
  }

  #check(): void {
    if (this.failure || this.#timer === undefined) return;
    const now = performance.now();
    // A look much later than planned means this process was blocked (CPU, GC, a sync call):
    // that time is not the cloud's silence.
    const late = now - this.#lastTick - this.#tick;
    this.#lastTick = now;
    const stalled = late > this.#tick + 50 ? late : 0;
    for (const watched of this.#active) {
      if (stalled > 0) watched.clock = shiftClock(watched.clock, stalled);
      if (watched.response?.complete) {
        // Every byte arrived; what the reader does with them is no longer the network's business.
        this.#active.delete(watched);
        continue;
      }
      const { clock, failed } = decide(watched.clock, sample(watched, now), watched.timeouts);
      watched.clock = clock;
      if (failed) {
        const option =
          watched.timeouts === this.#commitTimeouts && failed !== 'connect' ? 'commitTimeoutMs' : undefined;
        this.#fail(failed, boundOf(failed, watched.timeouts), watched, option);
        return;
      }
    }
    if (this.#active.size === 0) this.#stopTimer();
  }

  #fail(phase: TransferPhase, ms: number, watched: Watched, option?: string): void {
    if (this.failure) return;
    const err = new TransferError(phase, ms, this.#ctx, option);
    this.failure = err;
    this.#stopTimer();
    const all = [watched, ...this.#active];
    this.#active.clear();
    for (const w of all) {
      if (w.response && !w.response.destroyed) w.response.destroy(err);
      if (!w.request.destroyed) w.request.destroy(err);
    }
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener(err);
  }
}

function boundOf(phase: TransferPhase, t: ResolvedIoTimeouts): number {
  if (phase === 'connect') return t.connectTimeoutMs;
  if (phase === 'response') return t.responseTimeoutMs;
  return t.idleTimeoutMs;
}

/** Reads what the watchdog needs from a request's socket and streams (the I/O side of `decide`). */
function sample(w: Watched, now: number): RequestSample {
  const req = w.request;
  const socket = req.socket as Socket | null;
  const res = w.response;
  const socketPending = socket ? socket.writableLength : 0;
  return {
    now,
    hasSocket: socket !== null && socket !== undefined,
    connecting: socket?.connecting === true,
    pendingBytes: req.writableLength + socketPending,
    sentBytes: socket ? socket.bytesWritten - socketPending : 0,
    finished: req.writableFinished,
    hasResponse: res !== undefined,
    receivedBytes: socket ? socket.bytesRead : 0,
    readerBusy: res !== undefined && (res.isPaused() || res.readableLength >= res.readableHighWaterMark),
  };
}
