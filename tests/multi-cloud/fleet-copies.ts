import type { BlobStore } from '@failover/storage';

/**
 * Ground truth for "no object is copied twice at once": wraps the target stores of every instance
 * of a fleet (in one process) and counts, per (target, key), the writes (`put`, `delete`) in flight
 * at the same moment across all of them.
 */
export class CopyTracker {
  readonly #inFlight = new Map<string, number>();
  /** Writes per (target, key) in total. */
  readonly writes = new Map<string, number>();
  /** The most writes of one (target, key) ever in flight at once. */
  maxConcurrent = 0;
  /** (target, key) pairs that had two or more writes in flight at once. */
  readonly overlapped = new Set<string>();

  /** `store` with its writes counted. */
  wrap(store: BlobStore): BlobStore {
    const track = <T>(key: string, run: () => Promise<T>): Promise<T> => {
      // The store's own objects (its epoch markers, which instances opening at once may each
      // complete) are not copies.
      if (key.startsWith('_failover/')) return run();
      const id = `${store.name}\u0000${key}`;
      const now = (this.#inFlight.get(id) ?? 0) + 1;
      this.#inFlight.set(id, now);
      this.writes.set(id, (this.writes.get(id) ?? 0) + 1);
      if (now > this.maxConcurrent) this.maxConcurrent = now;
      if (now > 1) this.overlapped.add(id);
      return run().finally(() => this.#inFlight.set(id, (this.#inFlight.get(id) ?? 1) - 1));
    };
    return new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'put') {
          return (key: string, ...rest: unknown[]) =>
            track(key, () => (target.put as (...a: unknown[]) => Promise<unknown>)(key, ...rest));
        }
        if (prop === 'delete') {
          return (key: string, ...rest: unknown[]) =>
            track(key, () => (target.delete as (...a: unknown[]) => Promise<unknown>)(key, ...rest));
        }
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** Writes to `target` in total. */
  total(target: string): number {
    let n = 0;
    for (const [id, count] of this.writes) if (id.startsWith(`${target}\u0000`)) n += count;
    return n;
  }
}
