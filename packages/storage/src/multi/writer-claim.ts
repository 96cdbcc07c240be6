import { StorageError } from '../errors.js';
import type { Journal } from '../journal/types.js';
import { STORE_PREFIX } from './reserved.js';

/**
 * A store's claim on its `writerId` in a journal a fleet shares: two live processes given the same
 * id (cluster workers all named after their host) can stamp two writes of one key with the same
 * version, and a write the other replaced is then reported `lost` rather than a `conflict`. The
 * store holds a lease on `_failover/writer/<writerId>` (`Journal.lease`), asked again every
 * {@link WRITER_RENEW_MS}. A predecessor that died (a restart with the same id) renews nothing: its
 * lease ends within {@link WRITER_LEASE_MS}. Refused for longer than that and one more renewal
 * period (a renewal the predecessor sent as it died may land late), the id is another live
 * process's: reported once (an `error` event, `during: 'writer'`, with a {@link StorageError} of
 * kind `invalid`) and in `status().writerIdShared`. The store keeps working (nothing is refused):
 * the fix is the configuration's.
 */

/** How long the lease on a writer id lasts without renewal (ms). */
export const WRITER_LEASE_MS = 30_000;
/** How often the lease is asked for again (ms). */
export const WRITER_RENEW_MS = 10_000;

/** How long a lease lasts and how often it is renewed (ms). */
export interface ClaimTimes {
  readonly leaseMs: number;
  readonly renewMs: number;
}

/** What a claim has seen: since when the lease has been refused without a break, if it is. */
export interface ClaimState {
  /** When the first refused request of the current run of refusals was sent (ms), or `undefined`. */
  readonly refusedSince: number | undefined;
  /** Another live process holds the id (refused for longer than a lease lasts). */
  readonly shared: boolean;
}

/**
 * The claim's next state after an answer (pure): `got` true when the lease was granted (or
 * renewed), false when another process holds it, `undefined` when the journal could not answer
 * (nothing learned); `sentAt` when that request was sent (a refusal proves the lease held at some
 * moment after it, however late the answer is read: a stalled process never concludes too soon).
 * The id is shared once refusals ran, without a grant between them, for longer than a lease lasts
 * plus one renewal period: a holder that died would have lost it by then.
 */
export function nextClaim(
  state: ClaimState,
  got: boolean | undefined,
  sentAt: number,
  times: ClaimTimes,
): ClaimState {
  if (got === undefined) return state;
  if (got) return { refusedSince: undefined, shared: false };
  const refusedSince = state.refusedSince ?? sentAt;
  return { refusedSince, shared: state.shared || sentAt - refusedSince > times.leaseMs + times.renewMs };
}

/** Claims a store's writer id in its journal (see the module's comment). */
export class WriterClaim {
  #state: ClaimState = { refusedSince: undefined, shared: false };
  #timer: NodeJS.Timeout | undefined;
  #asking: Promise<void> | undefined;
  #closed = false;
  #holding = false;
  readonly #key: string;

  constructor(
    private readonly journal: Journal,
    private readonly writerId: string,
    /** Told once, when the id is found shared. */
    private readonly report: (error: StorageError) => void,
    private readonly times: ClaimTimes = { leaseMs: WRITER_LEASE_MS, renewMs: WRITER_RENEW_MS },
  ) {
    this.#key = `${STORE_PREFIX}writer/${writerId}`;
  }

  /** Whether this store claims anything: a journal a fleet shares, with leases. */
  get applies(): boolean {
    return this.journal.lease !== undefined && this.journal.pendingOf !== undefined;
  }

  /** True once another live process was found using this store's writer id. */
  get shared(): boolean {
    return this.#state.shared;
  }

  /** Whether the last answer granted (or renewed) the lease. */
  get holding(): boolean {
    return this.#holding;
  }

  /** Asks for the lease now and every {@link WRITER_RENEW_MS} until closed. */
  start(): void {
    if (!this.applies || this.#closed || this.#timer !== undefined) return;
    void this.#ask();
    this.#timer = setInterval(() => void this.#ask(), this.times.renewMs);
    this.#timer.unref?.();
  }

  /** Stops renewing and gives the lease back (a journal failure is ignored: it expires). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#asking;
    if (!this.applies || this.#state.shared) return;
    await this.journal.release?.([this.#key]).catch(() => undefined);
  }

  #ask(): Promise<void> {
    if (this.#asking !== undefined || this.#closed) return this.#asking ?? Promise.resolve();
    this.#asking = (async () => {
      let got: boolean | undefined;
      const sentAt = Date.now();
      try {
        got = (await this.journal.lease!([this.#key], this.times.leaseMs)).includes(this.#key);
      } catch {
        got = undefined; // the journal is away: nothing learned
      }
      if (got !== undefined) this.#holding = got;
      const was = this.#state.shared;
      this.#state = nextClaim(this.#state, got, sentAt, this.times);
      if (this.#state.shared && !was) {
        this.report(
          new StorageError(
            'invalid',
            `Another live process uses writerId ${JSON.stringify(this.writerId)}: give each process its own (two writes of one key could get the same version)`,
          ),
        );
      }
    })().finally(() => {
      this.#asking = undefined;
    });
    return this.#asking;
  }
}
