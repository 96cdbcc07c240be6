import type { FleetCalls } from './fleet-calls.js';
import { decideResync, pairs } from './fleet-decide.js';
import type { ProbeLeases } from './fleet-leases.js';
import { OPEN_NOW } from './fleet-lua.js';
import { parseFleetMessage } from './fleet-messages.js';
import type { ResolvedFleetOptions } from './fleet-options.js';

/**
 * The fleet's breaker state as this instance applies it: the openings and closings other
 * instances published, tripped and recovered on this instance's router, and what is open
 * fleet-wide read again after the subscriber (re)connects.
 *
 * @internal
 */
export class RemoteBreakers {
  readonly #o: ResolvedFleetOptions;
  readonly #leases: ProbeLeases;
  /** Targets this instance's router has open because the fleet said so. */
  readonly #open = new Set<string>();
  #closed = false;
  /** Trips and recoveries applied to the router. */
  applied = 0;
  /** How long the last message took from its publisher to here, ms (clocks permitting). */
  lastMessageDelayMs: number | undefined;

  constructor(o: ResolvedFleetOptions, leases: ProbeLeases) {
    this.#o = o;
    this.#leases = leases;
  }

  /** Opens `target` on this instance's router because the fleet says so. */
  trip(target: string, reason: string): void {
    this.#open.add(target);
    this.#apply(() => this.#o.router.trip(target, { reason }));
  }

  /** Closes `target` on this instance's router because the fleet says so. */
  recover(target: string): void {
    this.#open.delete(target);
    this.#apply(() => this.#o.router.recover(target));
  }

  /** This instance's own opening or closing of `target` replaces the fleet's. */
  forget(target: string): void {
    this.#open.delete(target);
  }

  /** One message of the fleet's channel (this instance's own are ignored). */
  readonly onMessage = (raw: string): void => {
    const message = parseFleetMessage(raw);
    if (this.#closed || message === undefined || message.from === this.#o.instanceId) return;
    // Read by the router's listeners of the trip or recovery below.
    if (message.at !== undefined) this.lastMessageDelayMs = Math.max(0, Date.now() - message.at);
    if (message.t === 'open') {
      this.trip(message.target, `fleet: ${message.reason ?? 'opened'} on ${message.from}`);
      this.#leases.acquire(message.target, message.ms + this.#o.probeLeaseMs);
    } else {
      this.#leases.forget(message.target);
      this.recover(message.target);
    }
  };

  /** After (re)subscribing: applies what is open fleet-wide now, recovers what no longer is. */
  async resync(calls: FleetCalls): Promise<void> {
    const reply = await calls.run<unknown[]>(OPEN_NOW, [this.#o.breakersKey], []);
    if (!Array.isArray(reply) || this.#closed) return;
    const { trip, recover } = decideResync(pairs(reply), this.#o.instanceId, this.#open);
    for (const { target, from } of trip) this.trip(target, `fleet: open on ${from ?? 'another instance'}`);
    for (const target of recover) this.recover(target);
  }

  /** Applies nothing more. */
  close(): void {
    this.#closed = true;
  }

  /** Applies one trip or recovery to the router; counts it. */
  #apply(run: () => void): void {
    try {
      run();
      this.applied++;
    } catch {
      // A target this instance's router does not have: not ours to trip.
    }
  }
}
