import type { FleetCalls } from './fleet-calls.js';
import { ACQUIRE, RELEASE } from './fleet-lua.js';
import type { ResolvedFleetOptions } from './fleet-options.js';

interface Lease {
  readonly owner: boolean;
  /** Local clock (ms) after which this answer is no longer trusted. */
  readonly until: number;
  /** Local clock (ms) until which the lease is renewed (asked again): the window asked for. */
  readonly end: number;
}

/**
 * This instance's view of the fleet's half-open probe leases: at each opening the instances race
 * for `probes` slots in Redis (ACQUIRE); only a holder may probe the target when its reset period
 * ends. Redis keeps a slot only a short time (`2 * probeLeaseRenewMs + timeoutMs`, see
 * {@link leaseTtl}); every instance asks again each `probeLeaseRenewMs` until the window it asked
 * for ends (the reset period and `probeLeaseMs`): a live holder keeps its slot (ACQUIRE renews
 * it), and the slot of a holder that died is free soon after its last renewal and taken by the
 * next instance that asks. An answer is trusted a little less long than Redis keeps the slot.
 *
 * @internal
 */
export class ProbeLeases {
  readonly #o: ResolvedFleetOptions;
  readonly #calls: FleetCalls;
  readonly #leases = new Map<string, Lease>();
  readonly #acquiring = new Set<string>();
  /** Bumped when a target's lease is released or forgotten: an answer asked before is dropped. */
  readonly #epoch = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(o: ResolvedFleetOptions, calls: FleetCalls) {
    this.#o = o;
    this.#calls = calls;
  }

  /**
   * Asks Redis for one of `target`'s slots, and keeps asking (renewing) for `windowMs` (one
   * request per target at a time).
   */
  acquire(target: string, windowMs: number): void {
    if (this.#closed) return;
    const end = Math.max(this.#leases.get(target)?.end ?? 0, Date.now() + windowMs);
    this.#ask(target, end);
  }

  /** Forgets `target`'s lease, and gives its slot back in Redis when this instance held it. */
  release(target: string): void {
    const lease = this.#leases.get(target);
    this.#drop(target);
    if (lease?.owner) void this.#giveBack(target);
  }

  /**
   * Forgets `target`'s lease (another instance's probe closed it); a slot this instance took
   * meanwhile (a renewal that found the closing probe's slot free) is given back.
   */
  forget(target: string): void {
    this.release(target);
  }

  /**
   * True when this instance holds a trusted lease of `target`, false when another does; with no
   * trusted lease known, asks for one (the probe waits one more period) and answers false.
   */
  mayProbe(target: string): boolean {
    const lease = this.#leases.get(target);
    if (lease !== undefined && lease.until > Date.now()) return lease.owner;
    this.acquire(target, this.#o.probeLeaseMs);
    return false;
  }

  /** The targets whose lease this instance holds now. */
  held(): string[] {
    const now = Date.now();
    return [...this.#leases].filter(([, l]) => l.owner && l.until > now).map(([t]) => t);
  }

  /** Gives back every slot this instance holds; no lease is asked for afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopTimer();
    const owned = [...this.#leases].filter(([, l]) => l.owner).map(([t]) => t);
    this.#leases.clear();
    await Promise.all(owned.map((t) => this.#giveBack(t)));
  }

  /** Gives this instance's slot of `target` back in Redis. */
  #giveBack(target: string): Promise<unknown> {
    return this.#calls.run(RELEASE, this.#o.leaseKeys(target), [this.#o.instanceId]);
  }

  #ask(target: string, end: number): void {
    if (this.#acquiring.has(target)) return;
    this.#acquiring.add(target);
    const o = this.#o;
    const epoch = this.#epoch.get(target) ?? 0;
    const asked = Date.now();
    const ttl = Math.max(1, Math.min(end - asked, leaseTtl(o)));
    void this.#calls.run<number>(ACQUIRE, o.leaseKeys(target), [o.instanceId, String(ttl)]).then((slot) => {
      this.#acquiring.delete(target);
      if (slot === undefined) return;
      const owner = Number(slot) > 0;
      if (this.#closed || (this.#epoch.get(target) ?? 0) !== epoch) {
        // Released or forgotten while the answer was on its way: a slot taken is given back.
        if (owner) void this.#giveBack(target);
        return;
      }
      this.#leases.set(target, { owner, until: asked + ttl - Math.min(o.timeoutMs, ttl / 2), end });
      this.#startTimer();
    });
  }

  #drop(target: string): void {
    this.#leases.delete(target);
    this.#epoch.set(target, (this.#epoch.get(target) ?? 0) + 1);
  }

  /** Each `probeLeaseRenewMs`: every lease whose window is open is asked for again. */
  #renew(): void {
    const now = Date.now();
    for (const [target, lease] of this.#leases) {
      if (lease.end > now) this.#ask(target, lease.end);
      else if (lease.until <= now) this.#leases.delete(target);
    }
    if (this.#leases.size === 0) this.#stopTimer();
  }

  #startTimer(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => this.#renew(), this.#o.probeLeaseRenewMs);
    this.#timer.unref?.();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * How long Redis keeps a slot after it was asked for (ms): two renewal periods and one Redis
 * timeout, so a live holder's renewal (each `probeLeaseRenewMs`) arrives before the slot expires
 * even when one renewal is lost, and a dead holder's slot is free that long after its last one.
 */
export function leaseTtl(o: Pick<ResolvedFleetOptions, 'probeLeaseRenewMs' | 'timeoutMs'>): number {
  return 2 * o.probeLeaseRenewMs + o.timeoutMs;
}
