import type { FleetCalls } from './fleet-calls.js';
import { CLOSED, OPENED } from './fleet-lua.js';
import type { FleetMessage } from './fleet-messages.js';
import type { ResolvedFleetOptions } from './fleet-options.js';
import type { LuaScript } from './scripts.js';

/**
 * What this instance publishes on the fleet's channel, and how many of its openings and closings
 * reached it ({@link FleetPublisher.published}).
 *
 * @internal
 */
export class FleetPublisher {
  readonly #o: ResolvedFleetOptions;
  readonly #calls: FleetCalls;
  /** Openings and closings this instance published. */
  published = 0;

  constructor(o: ResolvedFleetOptions, calls: FleetCalls) {
    this.#o = o;
    this.#calls = calls;
  }

  /** Records an opening (until `ttlMs` from now, Redis's clock) or a closing, and publishes it. */
  publish(message: FleetMessage, ttlMs?: number): void {
    const o = this.#o;
    const raw = JSON.stringify(message);
    void (
      message.t === 'open'
        ? this.#calls.run(
            OPENED,
            [o.breakersKey],
            [message.target, JSON.stringify({ from: o.instanceId }), String(ttlMs ?? 0), o.channel, raw],
          )
        : this.#calls.run(CLOSED, [o.breakersKey], [message.target, o.channel, raw])
    ).then((done) => {
      if (done !== undefined) this.published++;
    });
  }

  /**
   * Runs a script that counts towards a fleet-wide opening of `target` (FAILED, EJECTED): its
   * arguments `head`, then the opening's record, reset timeout (`ejectResetTimeoutMs`), channel,
   * message, the time it is sent and `tail`. Resolves true when it opened the target fleet-wide (counted
   * as published), false otherwise (not yet, a late report, or Redis did not answer).
   */
  async count(
    script: LuaScript,
    keys: string[],
    head: string[],
    target: string,
    reason: string,
    tail: readonly string[] = [],
  ): Promise<boolean> {
    const o = this.#o;
    const me = o.instanceId;
    const raw = JSON.stringify({ t: 'open', target, from: me, ms: o.ejectResetTimeoutMs, reason });
    const reply = await this.#calls.run<number>(script, keys, [
      ...head,
      target,
      JSON.stringify({ from: me }),
      String(o.ejectResetTimeoutMs),
      o.channel,
      raw,
      String(Date.now()),
      ...tail,
    ]);
    if (Number(reply) !== 1) return false;
    this.published++;
    return true;
  }
}
