import { createHash } from 'node:crypto';
import { isNoScript, type RedisCaller } from './client.js';

/** A Lua script run with EVALSHA (EVAL when the server lost it). */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

/** A script from its Lua source. */
export function luaScript(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

interface Held {
  readonly run: () => void;
}

/**
 * Runs scripts with EVALSHA, pipelined, in the order they are called. When the server answers
 * NOSCRIPT (its script cache was emptied: a restart, SCRIPT FLUSH), the call is sent again with
 * EVAL, and calls made meanwhile wait until every call sent before that is settled, so a later
 * call never takes effect before an earlier one's retry.
 */
export class ScriptRunner {
  readonly #redis: RedisCaller;
  #inFlight = 0;
  #recovering = false;
  readonly #held: Held[] = [];

  constructor(redis: RedisCaller) {
    this.#redis = redis;
  }

  /** Runs `script` with `keys` and `args`; resolves with its reply. */
  run<T>(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<T> {
    if (!this.#recovering) return this.#send<T>(script, keys, args);
    return new Promise<T>((resolve, reject) => {
      this.#held.push({ run: () => this.#send<T>(script, keys, args).then(resolve, reject) });
    });
  }

  #send<T>(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<T> {
    this.#inFlight++;
    const tail = [String(keys.length), ...keys, ...args];
    return this.#redis
      .call<T>(['EVALSHA', script.sha, ...tail])
      .catch((err: unknown) => {
        if (!isNoScript(err)) throw err;
        // Sent synchronously in the rejection handler: retries go out in the order of the replies.
        this.#recovering = true;
        return this.#redis.call<T>(['EVAL', script.source, ...tail]);
      })
      .finally(() => {
        this.#inFlight--;
        if (this.#inFlight === 0 && this.#recovering) this.#release();
      });
  }

  #release(): void {
    this.#recovering = false;
    for (const held of this.#held.splice(0)) held.run();
  }
}
