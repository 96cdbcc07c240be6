import { AVAILABILITY_KINDS, FailoverError } from '@failover/core';
import type { Journal, JournalEntry } from '@failover/storage';

/** A journal that writes to a shared journal and, while that one is unreachable, to a local one. */
export interface FallbackJournal extends Journal {
  /**
   * Copies every entry of the local journal into the shared one (appends are idempotent and
   * follow the superseding rules), then drops them locally. Runs by itself after a shared call
   * succeeds while the local journal has a backlog; resolves with how many entries moved.
   */
  merge(): Promise<number>;
  /** Entries written locally because the shared journal was unreachable, not merged yet. */
  readonly localBacklog: number;
}

/**
 * Makes Redis being down or slow invisible to writes: `append` goes to `shared` (the Redis journal)
 * and, when it rejects with an availability error (`timeout`, `unavailable`...), to `local` (a
 * file journal) instead, so the write is still acknowledged only once durable. When `shared`
 * answers again, the local entries are merged back into it. `pending()` is the union of both
 * (an entry in both lists every target either says is missing), `resolve` goes to both.
 *
 * @example
 * const journal = withLocalFallback(
 *   createRedisJournal({ client, prefix: 'photos-app:journal' }),
 *   createFileJournal({ dir: '/var/lib/photos-app/journal' }),
 * );
 */
export function withLocalFallback(shared: Journal, local: Journal): FallbackJournal {
  let merging: Promise<number> | undefined;
  const unreachable = (err: unknown): boolean =>
    err instanceof FailoverError && (AVAILABILITY_KINDS as readonly string[]).includes(err.kind);

  const merge = (): Promise<number> => {
    merging ??= (async () => {
      let moved = 0;
      try {
        for (const entry of await local.pending()) {
          await shared.append(entry);
          for (const target of entry.missing) await local.resolve(entry.id, target);
          moved++;
        }
      } catch (err) {
        if (!unreachable(err)) throw err;
      } finally {
        merging = undefined;
      }
      return moved;
    })();
    return merging;
  };
  /** After a shared call succeeded: merge what was written locally meanwhile, in the background. */
  const afterShared = (): void => {
    if (local.backlog() > 0 && merging === undefined) void merge().catch(() => undefined);
  };

  return {
    open: async () => {
      await local.open?.();
      try {
        await shared.open?.();
        afterShared();
      } catch (err) {
        if (!unreachable(err)) throw err;
      }
    },
    append: async (entry: JournalEntry) => {
      try {
        await shared.append(entry);
        afterShared();
      } catch (err) {
        if (!unreachable(err)) throw err;
        await local.append(entry);
      }
    },
    resolve: async (id: string, target: string) => {
      await local.resolve(id, target);
      try {
        await shared.resolve(id, target);
      } catch (err) {
        // The shared entry keeps the target missing: repair copies it again (safe).
        if (!unreachable(err)) throw err;
      }
    },
    pending: async () => {
      const mine = await local.pending();
      let theirs: JournalEntry[] = [];
      try {
        theirs = await shared.pending();
        afterShared();
      } catch (err) {
        if (!unreachable(err)) throw err;
      }
      const byId = new Map<string, JournalEntry>(theirs.map((e) => [e.id, e]));
      for (const e of mine) {
        const other = byId.get(e.id);
        if (other === undefined) {
          byId.set(e.id, e);
          continue;
        }
        const missing = [...new Set([...other.missing, ...e.missing])];
        const holders = [...new Set([...other.holders, ...e.holders])].filter((t) => !missing.includes(t));
        byId.set(
          e.id,
          Object.freeze({ ...other, holders: Object.freeze(holders), missing: Object.freeze(missing) }),
        );
      }
      return [...byId.values()];
    },
    backlog: () => shared.backlog() + local.backlog(),
    compact: async () => {
      await local.compact();
      await shared.compact().catch((err: unknown) => {
        if (!unreachable(err)) throw err;
      });
    },
    close: async () => {
      await merging?.catch(() => undefined);
      await Promise.all([shared.close(), local.close()]);
    },
    merge,
    get localBacklog() {
      return local.backlog();
    },
  };
}
