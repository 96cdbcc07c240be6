import type { WriteLeaseAnswer } from '@failover/storage';
import { LEASE, LEASE_HOLDER, LEASE_WRITE, UNLEASE } from './journal-lua.js';
import { highWaterOfRecord } from './journal-records.js';
import type { RedisJournalSession } from './journal-session.js';

/** The repair and write leases of a Redis journal (see `RedisJournal.lease`, `RedisJournal.leaseWrite`). */
export interface RedisJournalLeases {
  lease(keys: readonly string[], ttlMs?: number): Promise<string[]>;
  release(keys: readonly string[]): Promise<void>;
  repairLeased(key: string): Promise<boolean>;
  leaseWrite(key: string, token: string, ttlMs: number): Promise<WriteLeaseAnswer>;
  releaseWrite(key: string, token: string): Promise<void>;
}

/** Default length of a repair lease (ms). */
export const DEFAULT_LEASE_TTL_MS = 30_000;

/** The lease methods over one journal's session: a Redis key per leased object key. */
export function journalLeases(session: RedisJournalSession): RedisJournalLeases {
  const { instanceId, leaseKey, writeLeaseKey, highWaterKey, name } = session.options;
  const checkWrite = (method: string, key: unknown, token: unknown): [string, string] => {
    session.checkKey(method, key);
    if (typeof token !== 'string' || token === '') {
      throw session.error('invalid', `${method}: token must be a non-empty string`);
    }
    return [key, token];
  };
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
    leaseWrite: (objectKey, writeToken, ttlMs) =>
      session.whenOpen(async () => {
        const [key, token] = checkWrite('leaseWrite', objectKey, writeToken);
        if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
          throw session.error('invalid', 'leaseWrite: ttlMs must be a positive integer');
        }
        const [granted, detail] = await session.run<[unknown, unknown]>(
          LEASE_WRITE,
          [token, String(ttlMs)],
          [writeLeaseKey(key), highWaterKey(key)],
        );
        if (Number(granted) !== 1) return { granted: false, retryInMs: Math.max(0, Number(detail) || 0) };
        const mark = detail === null || detail === undefined || detail === false ? undefined : detail;
        return { granted: true, highWater: mark === undefined ? undefined : highWaterOfRecord(mark, name) };
      }),
    releaseWrite: (objectKey, writeToken) =>
      session.whenOpen(async () => {
        const [key, token] = checkWrite('releaseWrite', objectKey, writeToken);
        await session.run(UNLEASE, [token], [writeLeaseKey(key)]);
      }),
  };
}
