/**
 * Runs async work one at a time per key (in call order), for the `'emulated'` conditional writes:
 * the check and the write of one call never interleave with another call on the same key through
 * the same store. It does nothing across processes or store instances.
 */
export interface KeyLock {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

/** A new, empty {@link KeyLock}. */
export function createKeyLock(): KeyLock {
  const tails = new Map<string, Promise<void>>();
  return {
    async run<T>(key: string, work: () => Promise<T>): Promise<T> {
      const result = (tails.get(key) ?? Promise.resolve()).then(work);
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      try {
        return await result;
      } finally {
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
