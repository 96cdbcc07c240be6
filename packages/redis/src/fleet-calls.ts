import { redisCaller } from './client.js';
import type { ResolvedFleetOptions } from './fleet-options.js';
import { FleetError } from './fleet-options.js';
import { type LuaScript, ScriptRunner } from './scripts.js';

/**
 * The fleet's Redis calls: every script runs with the fleet's own timeout, a failure only marks
 * Redis as unreachable (it never reaches the application), and the calls in flight can be waited
 * for ({@link FleetCalls.idle}).
 *
 * @internal
 */
export class FleetCalls {
  readonly #scripts: ScriptRunner;
  readonly #inFlight = new Set<Promise<unknown>>();
  /** False since a call failed, until one succeeds. */
  #ok = true;

  constructor(o: ResolvedFleetOptions) {
    const redis = redisCaller(
      o.client,
      o.timeoutMs,
      'Fleet',
      (kind, message, cause) => new FleetError(kind, message, { cause }),
    );
    this.#scripts = new ScriptRunner(redis);
  }

  /** True unless the last call failed. */
  get ok(): boolean {
    return this.#ok;
  }

  /** Runs a script; resolves with its reply, or `undefined` when Redis did not answer. */
  run<T>(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<T | undefined> {
    const call = (async () => {
      try {
        const value = await this.#scripts.run<T>(script, keys, args);
        this.#ok = true;
        return value;
      } catch {
        this.#ok = false;
        return undefined;
      }
    })();
    this.#inFlight.add(call);
    void call.finally(() => this.#inFlight.delete(call));
    return call;
  }

  /** Resolves once no call is in flight (calls started meanwhile are waited for too). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }
}
