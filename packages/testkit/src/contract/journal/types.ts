import type { Journal } from '@failover/storage';

/**
 * What a {@link journalContract} factory returns: a fresh, empty journal and, for durable journals,
 * how to open the same storage again.
 */
export interface JournalSubject {
  /** The journal under test: empty, used by one test only. */
  readonly journal: Journal;
  /**
   * Opens a new journal over the same storage after the suite closed `journal` (same directory,
   * same Redis prefix...). Give it for durable journals: the suite then checks that everything
   * acknowledged before `close()` is there after the reopen. Omit it for the memory journal.
   */
  readonly reopen?: () => Promise<Journal> | Journal;
  /** Runs after the test (after the journals were closed): remove a directory, a Redis prefix. */
  readonly cleanup?: () => Promise<void> | void;
}

/** Makes a fresh, empty journal; called once per test. */
export type JournalFactory = () => Promise<JournalSubject | Journal> | JournalSubject | Journal;

/** Options of {@link journalContract}. */
export interface JournalContractOptions {
  /** Timeout of each test, in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** How many entries the larger cases append (pending order, reopen). Default 200. */
  manyEntries?: number;
}
