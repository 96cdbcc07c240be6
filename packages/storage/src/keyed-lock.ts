/** Runs `task` once every earlier task holding the same lock name has settled. */
export type KeyedLock = <T>(name: string, task: () => Promise<T>) => Promise<T>;

/**
 * An in-process lock per name (e.g. per file path): tasks with the same name run one at a time in
 * call order; tasks with different names run concurrently. Names with no waiting task hold no
 * memory.
 */
export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<void>>();
  return async <T>(name: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    tails.set(name, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (tails.get(name) === tail) tails.delete(name);
    }
  };
}
