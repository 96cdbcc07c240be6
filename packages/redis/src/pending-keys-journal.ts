import { optionError } from '@failover/core';
import type { RedisJournal } from './journal.js';
import type { PendingKeysWatch } from './pending-keys.js';

/**
 * The Redis journal with `mayHavePending` answered by a {@link PendingKeysWatch} (a set of keys in
 * memory, fed by pub/sub): a multi-cloud store then skips its shared-journal lookup, one Redis
 * round trip per get, for every key the watch says nothing is pending for. Only keys with a
 * pending entry somewhere in the fleet (and every key while the watch is disconnected) still cost
 * a lookup.
 *
 * This trades the default's strict fleet-wide read-your-writes for a bounded lag: a read on this
 * instance that starts less than the watch's delay after another instance acknowledged a write
 * (Redis's publish plus this process's event-loop delay: about a millisecond on an idle loopback,
 * tens of milliseconds on a busy instance of a loaded machine; `fleet.status().lastMessageDelayMs`
 * shows the same delay for breaker messages) may return the version before it from a cloud that
 * still lacks the new one. This instance's own writes stay strict (the store's own index has
 * them). Use it where that lag is acceptable and the round trip is not.
 *
 * Give the result to `withLocalFallback` as the shared journal, like the Redis journal itself;
 * close the watch when the store is closed.
 *
 * @example
 * import { createRedisJournal, watchPendingKeys, withLocalFallback, withPendingKeysWatch } from '@failover/redis';
 * import { createFileJournal } from '@failover/storage';
 *
 * const prefix = 'photos-app:journal';
 * const watch = watchPendingKeys({ client, prefix });
 * const journal = withLocalFallback(
 *   withPendingKeysWatch(createRedisJournal({ client, prefix }), watch),
 *   createFileJournal({ dir: '/var/lib/photos-app/journal' }),
 * );
 */
export function withPendingKeysWatch(journal: RedisJournal, watch: PendingKeysWatch): RedisJournal {
  if (typeof (journal as Partial<RedisJournal> | null)?.pendingOf !== 'function') {
    throw optionError('journal', 'a journal from createRedisJournal()', journal);
  }
  if (typeof (watch as Partial<PendingKeysWatch> | null)?.has !== 'function') {
    throw optionError('watch', 'a watch from watchPendingKeys()', watch);
  }
  return { ...journal, mayHavePending: (key: string) => watch.has(key) };
}
