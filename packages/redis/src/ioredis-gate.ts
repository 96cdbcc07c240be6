import type { IoredisClient } from './ioredis-types.js';

/**
 * Why a command was not handed to an ioredis client: its connection was not ready. The message
 * names the client's state only (never an address, a password or the command's arguments).
 */
export class RedisNotReadyError extends Error {
  /** The client's `status` when the command was refused (one of ioredis's known states, else `unknown`). */
  readonly status: string;

  constructor(status: string) {
    const known = KNOWN_STATUS.has(status) ? status : 'unknown';
    super(`the ioredis client is not ready (${STATE_TEXT[known] ?? `status ${known}`})`);
    this.name = 'RedisNotReadyError';
    this.status = known;
  }
}

const KNOWN_STATUS = new Set(['wait', 'connecting', 'connect', 'ready', 'close', 'reconnecting', 'end']);
const STATE_TEXT: Record<string, string> = {
  wait: 'never connected: a lazyConnect client needs connect() first',
  close: 'its connection was lost',
  reconnecting: 'its connection was lost; it is reconnecting',
  end: 'it was closed',
  connecting: 'it did not finish connecting',
  connect: 'it did not finish connecting',
};

/** States in which the client is getting a connection: a command waits (bounded) for `ready`. */
const CONNECTING = new Set(['connecting', 'connect']);

/** What the gate does with a command, by the client's `status`; see {@link ReadyGate}. */
export type GateAction = 'send' | 'wait' | 'refuse';

/** The gate's decision for a command made while the client's `status` is `status`. */
export function gateAction(status: string): GateAction {
  if (status === 'ready') return 'send';
  return CONNECTING.has(status) ? 'wait' : 'refuse';
}

interface Waiter {
  readonly args: readonly string[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/**
 * Hands commands to an ioredis client only while its connection is ready, so none ever waits in
 * ioredis's offline queue, to be sent after the caller gave up on it:
 *
 * - `ready`: sent at once (after any command still waiting here, in order);
 * - `connecting` / `connect` (a connection attempt under way): the command waits here for the
 *   `ready` event, in the order commands were made, until `signal` aborts (the caller's timeout:
 *   it is then dropped, never sent) or the attempt fails (`close`, `end`: rejected at once);
 * - anything else (`reconnecting` after a lost connection, `close`, `end`, `wait`): rejected at
 *   once with a {@link RedisNotReadyError}, so a caller with a fallback falls back at once.
 *
 * What the gate cannot take back is a command already written to the socket when the connection
 * stalls or drops: Redis may still apply it (and ioredis resends it after a reconnect, with
 * `autoResendUnfulfilledCommands`, its default). docs/fleet.md explains why that is safe.
 */
export class ReadyGate {
  readonly #client: IoredisClient;
  readonly #waiting = new Set<Waiter>();
  #listening = false;
  readonly #onReady = (): void => this.#flush();
  readonly #onLost = (): void => {
    const status = this.#client.status;
    this.#rejectAll(new RedisNotReadyError(status === 'ready' ? 'close' : status));
  };

  constructor(client: IoredisClient) {
    this.#client = client;
  }

  /** Sends `args` (command first) when the connection is ready; see the class. */
  send(args: readonly string[], signal?: AbortSignal): Promise<unknown> {
    const status = this.#client.status;
    const action = gateAction(status);
    if (action === 'send') {
      this.#flush();
      return this.#call(args);
    }
    if (action === 'refuse' || signal?.aborted) return Promise.reject(new RedisNotReadyError(status));
    return new Promise<unknown>((resolve, reject) => {
      const waiter: Waiter = {
        args,
        resolve,
        reject,
        signal,
        onAbort: () => {
          if (this.#drop(waiter)) reject(new RedisNotReadyError(this.#client.status));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiting.add(waiter);
      this.#listen();
    });
  }

  #call(args: readonly string[]): Promise<unknown> {
    try {
      return this.#client.call(args[0] ?? '', args.slice(1));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Sends every waiting command, oldest first (only once the client is ready). */
  #flush(): void {
    if (this.#waiting.size === 0 || this.#client.status !== 'ready') return;
    for (const waiter of [...this.#waiting]) {
      this.#drop(waiter);
      this.#call(waiter.args).then(waiter.resolve, waiter.reject);
    }
  }

  #rejectAll(err: RedisNotReadyError): void {
    for (const waiter of [...this.#waiting]) {
      this.#drop(waiter);
      waiter.reject(err);
    }
  }

  /** Forgets `waiter`; false when it was gone already. */
  #drop(waiter: Waiter): boolean {
    if (!this.#waiting.delete(waiter)) return false;
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    if (this.#waiting.size === 0) this.#unlisten();
    return true;
  }

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    this.#client.on('ready', this.#onReady);
    this.#client.on('close', this.#onLost);
    this.#client.on('end', this.#onLost);
  }

  #unlisten(): void {
    if (!this.#listening) return;
    this.#listening = false;
    this.#client.off('ready', this.#onReady);
    this.#client.off('close', this.#onLost);
    this.#client.off('end', this.#onLost);
  }
}
