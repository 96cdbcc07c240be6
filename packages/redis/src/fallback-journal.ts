import {
  createFallbackJournal,
  type FallbackJournalOptions,
  type Journal,
  type FallbackJournal as StorageFallbackJournal,
} from '@failover/storage';

/** A journal that writes to a shared journal and, while that one is unreachable, to a local one. */
export interface FallbackJournal extends StorageFallbackJournal {
  /** Entries written locally because the shared journal was unreachable, not merged yet. */
  readonly localBacklog: number;
}

/**
 * Makes Redis being down or slow invisible to writes: `append` goes to `shared` (the Redis journal)
 * and, when it rejects with an availability error (`timeout`, `unavailable`...), to `local` (a
 * file journal) instead, so the write is still acknowledged only once durable. When `shared`
 * answers again, the local entries are merged back into it (the shared journal is checked every
 * 250 ms while it is away, kept entries merged every second while any are left, and on `merge()`).
 * `pending()` is the union of both, `resolve` goes to both, and the shared journal's fleet methods
 * (`pendingOf`, `lease`, `release`) pass through. The same as
 * `createFallbackJournal({ primary: shared, fallback: local, ...options })` from `@failover/storage`
 * (`options`: `mergeIntervalMs`, `checkIntervalMs`, `onError`).
 *
 * @example
 * const journal = withLocalFallback(
 *   createRedisJournal({ client, prefix: 'photos-app:journal' }),
 *   createFileJournal({ dir: '/var/lib/photos-app/journal' }),
 * );
 */
export function withLocalFallback(
  shared: Journal,
  local: Journal,
  options: Omit<FallbackJournalOptions, 'primary' | 'fallback'> = {},
): FallbackJournal {
  const journal = createFallbackJournal({ ...options, primary: shared, fallback: local });
  return Object.defineProperty(journal, 'localBacklog', {
    get: () => journal.fallbackBacklog(),
    enumerable: true,
  }) as FallbackJournal;
}
