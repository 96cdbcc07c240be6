import type { FleetCalls } from './fleet-calls.js';
import { ACQUIRE, RELEASE } from './fleet-lua.js';
import type { ResolvedFleetOptions } from './fleet-options.js';

interface Lease {
  readonly owner: boolean;
  /** Local clock (ms) after which the lease is no longer trusted. */
  readonly until: number;
}

/**
 * This instance's view of the fleet's half-open probe leases: at each opening the instances race
 * for `probes` slots in Redis (ACQUIRE); only a holder may probe the target when its reset period
 * ends. A lease is trusted a little less long than Redis keeps it.
 *
 * @internal
 */
export class ProbeLeases {
  readonly #o: ResolvedFleetOptions;
  readonly #calls: FleetCalls;
  readonly #leases = new Map<string, Lease>();
  readonly #acquiring = new Set<string>();
  #closed = false;

  constructor(o: ResolvedFleetOptions, calls: FleetCalls) {
    this.#o = o;
    this.#calls = calls;
  }

  /** Asks Redis for one of `target`'s slots for `ttlMs` (one request per target at a time). */
  acquire(target: string, ttlMs: number): void {
    if (this.#closed || this.#acquiring.has(target)) return;
    this.#acquiring.add(target);
    const asked = Date.now();
    const o = this.#o;
    void this.#calls.run<number>(ACQUIRE, o.leaseKeys(target), [o.instanceId, String(ttlMs)]).then((slot) => {
      this.#acquiring.delete(target);
      if (slot === undefined) return;
      this.#leases.set(target, {
        owner: Number(slot) > 0,
        until: asked + ttlMs - Math.min(o.timeoutMs, ttlMs / 2),
      });
    });
  }

  /** Forgets `target`'s lease, and gives its slot back in Redis when this instance held it. */
  release(target: string): void {
    const lease = this.#leases.get(target);
    this.#leases.delete(target);
    if (lease?.owner) void this.#calls.run(RELEASE, this.#o.leaseKeys(target), [this.#o.instanceId]);
  }

  /** Forgets `target`'s lease without telling Redis (another instance's probe closed it). */
  forget(target: string): void {
    this.#leases.delete(target);
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
    const owned = [...this.#leases].filter(([, l]) => l.owner).map(([t]) => t);
    this.#leases.clear();
    await Promise.all(owned.map((t) => this.#calls.run(RELEASE, this.#o.leaseKeys(t), [this.#o.instanceId])));
  }
}
