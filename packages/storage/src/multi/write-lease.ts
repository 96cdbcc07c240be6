import { randomBytes } from 'node:crypto';
import { FailoverError } from '@failover/core';
import { abortedError, throwIfAborted } from '../abort.js';
import type { Journal, WriteLeaseAnswer } from '../journal/types.js';
import { createKeyedLock, type KeyedLock } from '../keyed-lock.js';
import type { MultiCloudCounts } from './types.js';
import type { HybridClock } from './version.js';

/** A write's hold on its key, from {@link WriteLeases.claim}: given back once every copy settled. */
export interface WriteClaim {
  /** Gives the hold back (the fleet's lease too, when it was taken). Safe to call twice. */
  release(): void;
}

/** `writeLease` after validation: how long a lease lasts unrenewed, how long a write waits for one. */
export interface WriteLeaseLimits {
  readonly ttlMs: number;
  readonly waitMs: number;
}

/** The first pause of a write waiting for another write's lease (ms); it doubles up to {@link MAX_PAUSE_MS}. */
const FIRST_PAUSE_MS = 2;
/** The longest pause between two tries of a lease another write holds (ms). */
const MAX_PAUSE_MS = 50;

/**
 * The writes of one key, made one after the other across a fleet (a journal with
 * {@link Journal.leaseWrite}, such as the Redis journal): each write takes the key's lease before
 * its version is chosen (the lease's answer carries the key's high-water mark, which the version
 * then follows) and gives it back once every copy it sent settled, a quorum's stragglers included.
 * Two instances writing one key at once then never send their copies at the same time, so no
 * cloud keeps the older one last, and the later write always has the newer version. The writes of
 * one key in this process queue here first (one asks the journal at a time). A lease is renewed
 * every quarter of `ttlMs` while its write runs; a holder that died stops renewing and its lease
 * lapses after `ttlMs`.
 *
 * Availability first: when the journal cannot tell (away, slow) or another write held the lease for
 * longer than `waitMs`, the write goes on without it (counted in `writeLeaseSkipped`), as it would
 * with a journal of one process. Without a shared journal (or with `writeLease: false`) a write
 * only moves the clock past the key's high-water mark, when the journal has one.
 */
export class WriteLeases {
  readonly #journal: Journal;
  readonly #limits: WriteLeaseLimits | undefined;
  readonly #clock: HybridClock;
  readonly #counts: MultiCloudCounts;
  /** This process's writes of each key, one at a time. */
  readonly #turns: KeyedLock = createKeyedLock();
  /** Releases sent to the journal and not answered yet (`settled()` waits for them). */
  readonly #releasing = new Set<Promise<void>>();

  constructor(
    journal: Journal,
    limits: WriteLeaseLimits | undefined,
    clock: HybridClock,
    counts: MultiCloudCounts,
  ) {
    this.#journal = journal;
    this.#limits = journal.leaseWrite === undefined ? undefined : limits;
    this.#clock = clock;
    this.#counts = counts;
  }

  /**
   * Takes the hold on `key` for a write about to choose its version: after it, `clock.next()` is
   * newer than every write any instance journaled for the key. Rejects only when `signal` aborts
   * while the write waits.
   */
  async claim(key: string, signal: AbortSignal | undefined): Promise<WriteClaim> {
    if (this.#limits === undefined) {
      await observeHighWater(this.#journal, this.#clock, key);
      return NO_CLAIM;
    }
    const leave = await this.#enter(key, signal);
    let token: string | undefined;
    try {
      token = await this.#acquire(key, this.#limits, signal);
    } catch (err) {
      leave();
      throw err;
    }
    const held = token;
    const renewal =
      held === undefined
        ? undefined
        : setInterval(() => void this.#renew(key, held), Math.max(1, Math.floor(this.#limits.ttlMs / 4)));
    renewal?.unref?.();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        if (renewal !== undefined) clearInterval(renewal);
        if (held !== undefined) this.#release(key, held);
        leave();
      },
    };
  }

  /** Resolves once every release sent to the journal was answered (before the journal closes). */
  async settled(): Promise<void> {
    while (this.#releasing.size > 0) await Promise.all(this.#releasing);
  }

  /**
   * Waits for this process's earlier writes of `key` (their turns in the store's keyed lock, each
   * held until its write gives it back); returns the function that lets the next one go.
   */
  async #enter(key: string, signal: AbortSignal | undefined): Promise<() => void> {
    let leave!: () => void;
    const left = new Promise<void>((resolve) => {
      leave = resolve;
    });
    let started!: () => void;
    const turn = new Promise<void>((resolve) => {
      started = resolve;
    });
    void this.#turns(key, () => {
      started();
      return left;
    });
    try {
      await untilAborted(turn, signal);
    } catch (err) {
      leave(); // its turn, when it comes, ends at once
      throw err;
    }
    return leave;
  }

  /** The lease's token once taken; `undefined` when the write goes on without one. */
  async #acquire(
    key: string,
    limits: WriteLeaseLimits,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    const token = randomBytes(9).toString('base64url');
    const started = Date.now();
    let pause = FIRST_PAUSE_MS;
    let waited = false;
    for (;;) {
      throwIfAborted(signal);
      let answer: WriteLeaseAnswer;
      try {
        answer = await this.#journal.leaseWrite!(key, token, limits.ttlMs);
      } catch (err) {
        // The journal cannot tell (its shared part away or slow): the local clock decides. A call
        // that timed out may still take the lease later: given back after it (same connection,
        // so in order), or the key's next writer would wait for it to lapse.
        this.#counts.writeLeaseSkipped++;
        if (err instanceof FailoverError && err.kind === 'timeout') this.#release(key, token);
        return undefined;
      }
      if (answer.granted) {
        this.#clock.observe(answer.highWater?.version);
        if (waited) this.#counts.writeLeaseWaits++;
        return token;
      }
      waited = true;
      const left = limits.waitMs - (Date.now() - started);
      if (left <= 0) {
        this.#counts.writeLeaseSkipped++;
        await observeHighWater(this.#journal, this.#clock, key);
        return undefined;
      }
      await untilAborted(pauseFor(Math.min(pause, Math.max(1, answer.retryInMs), left)), signal);
      pause = Math.min(pause * 2, MAX_PAUSE_MS);
    }
  }

  async #renew(key: string, token: string): Promise<void> {
    try {
      await this.#journal.leaseWrite!(key, token, this.#limits!.ttlMs);
    } catch {
      // The next renewal tries again; a lease that lapsed meanwhile is another write's to take.
    }
  }

  #release(key: string, token: string): void {
    const done = (this.#journal.releaseWrite?.(key, token) ?? Promise.resolve()).catch(() => {
      // Lapses after ttlMs.
    });
    this.#releasing.add(done);
    void done.then(() => this.#releasing.delete(done));
  }
}

/**
 * Moves `clock` past the key's high-water mark, when the journal is a fleet's (it has `pendingOf`
 * and `highWater`): an instance whose clock is behind another's would otherwise stamp a blind
 * overwrite older than the acknowledged write it replaces, and that earlier write would win (reads
 * and repair would bring it back over the later one). When the journal does not answer (the
 * shared journal away), the local clock decides, as with a journal of one process.
 */
export async function observeHighWater(journal: Journal, clock: HybridClock, key: string): Promise<void> {
  if (journal.pendingOf === undefined || journal.highWater === undefined) return;
  try {
    clock.observe((await journal.highWater(key))?.version);
  } catch {
    // Away: the local clock decides.
  }
}

const NO_CLAIM: WriteClaim = Object.freeze({ release: () => {} });

/** Resolves when `promise` does; rejects with the store's abort error once `signal` aborts first. */
function untilAborted(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return promise;
  throwIfAborted(signal);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function pauseFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
