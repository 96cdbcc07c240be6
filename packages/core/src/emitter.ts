import { redact } from './redact.js';

/**
 * A small typed event emitter. `emit` costs one property read when nobody listens, a listener that
 * throws never breaks the emitting call (it is reported once per listener with
 * `process.emitWarning`, its message redacted), and listeners added or removed during an emit take effect on the next one.
 */
export class TypedEmitter<E extends { [K in keyof E]: unknown }> {
  readonly #listeners: { [K in keyof E]?: ReadonlyArray<(payload: E[K]) => void> } = {};
  readonly #reported = new WeakSet<object>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: (payload: E[K]) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    this.#listeners[event] = [...(this.#listeners[event] ?? []), listener];
    return () => this.off(event, listener);
  }

  /** Adds a listener that is removed after its first call; returns a function that removes it. */
  once<K extends keyof E>(event: K, listener: (payload: E[K]) => void): () => void {
    const wrapper = (payload: E[K]): void => {
      this.off(event, wrapper);
      listener(payload);
    };
    return this.on(event, wrapper);
  }

  /** Removes a listener (the first registration of it). */
  off<K extends keyof E>(event: K, listener: (payload: E[K]) => void): void {
    const list = this.#listeners[event];
    if (list === undefined) return;
    const i = list.indexOf(listener);
    if (i < 0) return;
    const next = [...list.slice(0, i), ...list.slice(i + 1)];
    if (next.length === 0) delete this.#listeners[event];
    else this.#listeners[event] = next;
  }

  /** True when `event` has at least one listener: build payloads only then. */
  has(event: keyof E): boolean {
    return this.#listeners[event] !== undefined;
  }

  /** Number of listeners of `event`. */
  listenerCount(event: keyof E): number {
    return this.#listeners[event]?.length ?? 0;
  }

  /** Calls every listener of `event` with `payload`. Never throws. */
  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const list = this.#listeners[event];
    if (list === undefined) return;
    for (const listener of list) {
      try {
        listener(payload);
      } catch (err) {
        this.#report(String(event), listener, err);
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    for (const key of Object.keys(this.#listeners)) delete this.#listeners[key as keyof E];
  }

  #report(event: string, listener: object, err: unknown): void {
    if (this.#reported.has(listener)) return;
    this.#reported.add(listener);
    // The listener's error may quote a payload or a request: never print its credentials.
    const message = redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    process.emitWarning(`A '${event}' listener threw (${message}); the call was not affected`, {
      type: 'FailoverListenerWarning',
      code: 'FAILOVER_LISTENER_THREW',
    });
  }
}
