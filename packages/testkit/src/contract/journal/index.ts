import { readOptions } from '@failover/core';
import { describe } from 'vitest';
import {
  basicCases,
  durabilityCases,
  errorCases,
  intentCases,
  orderingCases,
  supersedingCases,
} from './cases.js';
import { highWaterCases } from './high-water-cases.js';
import { journalIdCases } from './journal-id-cases.js';
import { newestVersionCases } from './newest-version-cases.js';
import { prefixCases } from './prefix-cases.js';
import { settleIntentCases } from './settle-intent-cases.js';
import type { JournalContractOptions, JournalFactory } from './types.js';
import { writeLeaseCases } from './write-lease-cases.js';

export type { JournalContractOptions, JournalFactory, JournalSubject } from './types.js';

/**
 * Registers the Journal contract: the rules every replication journal (memory, file, Redis, your
 * own) follows, as vitest tests under `describe('Journal contract: <name>')`. The multi-cloud
 * store relies on them, so a journal that passes can replace the file journal.
 *
 * `makeJournal` is called once per test and returns a fresh, empty journal (or `{ journal, reopen,
 * cleanup }`); the suite closes every journal it got, then calls `cleanup`.
 *
 * What it checks: entries come back with every field, oldest first; `backlog()` counts (entry,
 * missing target) pairs; `resolve` moves a target to the holders and drops a finished entry, and
 * is a no-op for an unknown id or a target that is not missing; a newer version supersedes older
 * entries of its key for the targets it names (a newer tombstone replaces a put); an older entry
 * appended late never regresses a target; the same id replaces; versions compare as strings;
 * calls take effect in the order they are made; a malformed entry is refused with an
 * `InvalidArgumentError` naming the field; calls after `close()` reject with a `JournalError`
 * (`unavailable`); when `reopen` is given, everything acknowledged survives close and reopen; and,
 * when the journal has `highWater`, it answers the newest write appended per key, settled or not;
 * when it has `newestVersion`, it answers the newest version ever appended, kept by `compact()`
 * and across close and reopen; when it has `journalId`, the id is stable across calls,
 * `compact()`, close and reopen, and a journal over new storage has another one; when it has
 * `pendingWithPrefix`, it names the pending entries of the prefix's keys as `pending()` does (the
 * prefix plain text, not a pattern); when it has `leaseWrite` and `releaseWrite`, one token holds a
 * key's write lease at a time, granted with the key's high-water mark, given back by its holder
 * only, lapsing after its `ttlMs`.
 *
 * @example
 * import { createFileJournal } from '@failover/storage';
 * import { journalContract } from '@failover/testkit/contract';
 *
 * journalContract('file', async () => {
 *   const dir = await mkdtemp(join(tmpdir(), 'journal-'));
 *   return {
 *     journal: createFileJournal({ dir }),
 *     reopen: () => createFileJournal({ dir }),
 *     cleanup: () => rm(dir, { recursive: true, force: true }),
 *   };
 * });
 */
export function journalContract(
  name: string,
  makeJournal: JournalFactory,
  options: JournalContractOptions = {},
): void {
  readOptions({ makeJournal }).function('makeJournal', { required: true });
  const r = readOptions(options);
  const ctx = {
    make: makeJournal,
    timeoutMs: r.int('timeoutMs', { min: 1, default: 30_000 }),
    manyEntries: r.int('manyEntries', { min: 1, default: 200 }),
  };
  r.done();
  describe(`Journal contract: ${name}`, () => {
    basicCases(ctx);
    intentCases(ctx);
    supersedingCases(ctx);
    orderingCases(ctx);
    errorCases(ctx);
    durabilityCases(ctx);
    highWaterCases(ctx);
    newestVersionCases(ctx);
    journalIdCases(ctx);
    settleIntentCases(ctx);
    prefixCases(ctx);
    writeLeaseCases(ctx);
  });
}
