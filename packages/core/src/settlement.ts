/**
 * What the breaker awaits for a controlled attempt: a thenable the attempt settles itself, once,
 * with the operation's outcome or, first, with its abort error. A promise there would cost one
 * more promise and one more microtask per call (about 200 ns of a no-op call's 800 on the
 * closed path); this costs one small object.
 *
 * opossum treats any value with a `then` method as the action's promise (its public contract for
 * actions), and subscribes with `.then(onSuccess).catch(onError)`. Every registration is kept, in
 * order: `then` and `catch` return the settlement itself, so a chain of them behaves as a chain
 * of promises would (a fulfilment handler that throws hands its error to the rejection handlers
 * registered after it). `Promise.resolve(settlement)` and `await` work too. Handlers run
 * synchronously when the attempt settles, which is always from a microtask or a timer callback,
 * never from the code that registered them (an abort defers them to a microtask).
 *
 * The first two registrations (opossum's two) are kept in fields, later ones in an array made on
 * the third: the closed path allocates nothing here but the settlement.
 *
 * @internal
 */

type OnFulfilled = ((value: unknown) => unknown) | undefined | null;
type OnRejected = ((err: unknown) => unknown) | undefined | null;

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

export class Settlement implements PromiseLike<unknown> {
  #state = PENDING;
  #value: unknown = undefined;
  /** Registrations made: the first two in the fields below, later ones in `#more`. */
  #count = 0;
  #fulfilled0: OnFulfilled = undefined;
  #rejected0: OnRejected = undefined;
  #fulfilled1: OnFulfilled = undefined;
  #rejected1: OnRejected = undefined;
  /** Registrations from the third on: handlers at 2i (fulfilled) and 2i + 1 (rejected). */
  #more: (OnFulfilled | OnRejected)[] | undefined = undefined;

  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose (see above)
  then<A = unknown, B = never>(
    onFulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
    onRejected?: ((err: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    if (this.#state !== PENDING) {
      // Settled already: run the handler in a microtask, as a promise would.
      const value = this.#value;
      return (
        this.#state === FULFILLED
          ? Promise.resolve(value).then(onFulfilled)
          : Promise.reject(value).then(undefined, onRejected)
      ) as PromiseLike<A | B>;
    }
    const n = this.#count++;
    if (n === 0) {
      this.#fulfilled0 = onFulfilled as OnFulfilled;
      this.#rejected0 = onRejected as OnRejected;
    } else if (n === 1) {
      this.#fulfilled1 = onFulfilled as OnFulfilled;
      this.#rejected1 = onRejected as OnRejected;
    } else {
      const more = this.#more ?? [];
      this.#more = more;
      more.push(onFulfilled as OnFulfilled, onRejected as OnRejected);
    }
    return this as PromiseLike<A | B>;
  }

  catch(onRejected: OnRejected): PromiseLike<unknown> {
    return this.then(undefined, onRejected);
  }

  /**
   * Settles once (later calls are ignored) and runs the registrations in order, as promises
   * chained with `then` and `catch` would: what a handler returns goes on down the chain, a handled
   * rejection goes on fulfilled, a handler that throws hands its error on.
   */
  settle(ok: boolean, value: unknown): void {
    if (this.#state !== PENDING) return;
    this.#state = ok ? FULFILLED : REJECTED;
    this.#value = value;
    const n = this.#count;
    if (n === 0) return;
    // opossum's two registrations, then any others; a handler that throws returns a `Thrown`.
    let current = call(ok ? this.#fulfilled0 : this.#rejected0, value, !ok);
    if (n > 1) {
      current =
        current instanceof Thrown
          ? call(this.#rejected1, current.err, true)
          : call(this.#fulfilled1, current, false);
    }
    const more = this.#more;
    this.#fulfilled0 = this.#rejected0 = this.#fulfilled1 = this.#rejected1 = undefined;
    this.#more = undefined;
    if (more === undefined) return;
    for (let i = 0; i < more.length; i += 2) {
      current =
        current instanceof Thrown ? call(more[i + 1], current.err, true) : call(more[i], current, false);
    }
  }
}

/** A handler's error, travelling down the chain (made only when a handler throws). */
class Thrown {
  readonly err: unknown;

  constructor(err: unknown) {
    this.err = err;
  }
}

/**
 * Runs one registration's handler on `value` (`failed`: a rejection): what it returns, or a
 * {@link Thrown} if it throws; without a handler the value (or rejection) passes through.
 */
function call(handler: OnFulfilled | OnRejected, value: unknown, failed: boolean): unknown {
  if (typeof handler !== 'function') return failed ? new Thrown(value) : value;
  try {
    return handler(value);
  } catch (err) {
    return new Thrown(err);
  }
}
