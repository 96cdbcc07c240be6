import type { BlobStore } from '@failover/storage';

/** The library's default breaker and retry settings; only the reset timeout is long, so no probe runs while measuring. */
export const BENCH_FAILOVER = { breaker: { resetTimeoutMs: 60_000, maxResetTimeoutMs: 60_000 } } as const;

/** Calls that reached one adapter and failed (see {@link counted}). */
export interface FailedCalls {
  n: number;
  /** With BENCH_FLEET_TRACE set: each failed call's time (ms, this process) and error code. */
  trace?: string[];
}

/**
 * Counts the calls that reached an adapter (were not stopped by a breaker) and failed, other than
 * with "not found": with AWS refusing connections, the calls that reached the dead cloud.
 */
export function counted(store: BlobStore, count: FailedCalls): BlobStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) {
          result.catch((err: unknown) => {
            if ((err as { kind?: string }).kind === 'not_found') return;
            count.n++;
            if (count.trace !== undefined) {
              const e = err as { kind?: string; cause?: { code?: string; name?: string } };
              count.trace.push(
                `${prop.toString()} ${e.kind}/${e.cause?.code ?? e.cause?.name ?? '?'} @${performance.now().toFixed(1)}`,
              );
            }
          });
        }
        return result;
      };
    },
  });
}

/** The p-th percentile of sorted values (nearest rank). */
export function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
