import { LEASE, LEASE_HOLDER, UNLEASE } from './journal-lua.js';
import type { RedisJournalSession } from './journal-session.js';

/** The repair leases of a Redis journal (see `RedisJournal.lease`). */
export interface RedisJournalLeases {
  lease(keys: readonly string[], ttlMs?: number): Promise<string[]>;
  release(keys: readonly string[]): Promise<void>;
  repairLeased(key: string): Promise<boolean>;
}

/** Default length of a repair lease (ms). */
export const DEFAULT_LEASE_TTL_MS = 30_000;

/** The lease methods over one journal's session: a Redis key per leased object key. */
export function journalLeases(session: RedisJournalSession): RedisJournalLeases {
  const { instanceId, leaseKey } = session.options;
  const checkKeys = (keys: unknown): string[] => {
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string' || k === '')) {
      throw session.error('invalid', 'keys must be an array of non-empty strings');
    }
    return [...new Set(keys as string[])];
  };
  return {
    lease: (objectKeys, ttlMs = DEFAULT_LEASE_TTL_MS) =>
      session.whenOpen(async () => {
        const list = checkKeys(objectKeys);
        if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
          throw session.error('invalid', 'lease: ttlMs must be a positive integer');
        }
        if (list.length === 0) return [];
        const got = await session.run<unknown[]>(LEASE, [instanceId, String(ttlMs)], list.map(leaseKey));
        return list.filter((_, i) => Number(got[i]) === 1);
      }),
    release: (objectKeys) =>
      session.whenOpen(async () => {
        const list = checkKeys(objectKeys);
        if (list.length > 0) await session.run(UNLEASE, [instanceId], list.map(leaseKey));
      }),
    repairLeased: (objectKey) =>
      session.whenOpen(async () => {
        const [key] = checkKeys([objectKey]);
        const holder = await session.run<unknown>(LEASE_HOLDER, [], [leaseKey(key!)]);
        return holder !== null && holder !== undefined && String(holder) !== instanceId;
      }),
  };
}
