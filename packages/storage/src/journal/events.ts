import type { FailoverError } from '@failover/core';
import type { IntentAppend, Journal, JournalEntry } from './types.js';

/** Events of the file journal, for logs and dashboards. No payload holds entry contents. */
export interface FileJournalEvents {
  /**
   * A complete line of the file could not be used when it was replayed (bad checksum, not JSON,
   * unknown record, malformed entry): that record is skipped, the lines around it are kept.
   * When nobody listens, a process warning (`FAILOVER_JOURNAL_CORRUPT`) is emitted instead.
   */
  corrupt: {
    readonly journal: string;
    readonly file: string;
    readonly line: number;
    readonly reason: string;
  };
  /**
   * The file ended with a partial line (a crash in the middle of a write, before it was
   * acknowledged): it was cut off.
   */
  truncated: {
    readonly journal: string;
    readonly file: string;
    readonly line: number;
    readonly bytes: number;
  };
  /** The file was replayed at open. */
  opened: {
    readonly journal: string;
    readonly file: string;
    readonly lines: number;
    readonly pending: number;
    readonly backlog: number;
  };
  /** The file was rewritten with only the pending entries. */
  compacted: {
    readonly journal: string;
    readonly bytesBefore: number;
    readonly bytesAfter: number;
    readonly entries: number;
  };
  /**
   * An automatic compaction failed; the journal goes on with its current file (nothing is lost)
   * and tries again after the file grew by `compactAfterBytes` more.
   */
  compactionFailed: { readonly journal: string; readonly error: FailoverError };
}

/** Counters of a file journal since it was created. */
export interface FileJournalStats {
  /** Appends made durable. */
  readonly appends: number;
  /** Resolves made durable. */
  readonly resolves: number;
  /** Group commits: each is one write of one or more records. */
  readonly writes: number;
  /** fsync (fdatasync) calls on the journal file for group commits. */
  readonly syncs: number;
  /** The journal file's current size in bytes. */
  readonly fileBytes: number;
  /** Compactions done. */
  readonly compactions: number;
  /** Corrupt lines skipped at open. */
  readonly corruptLines: number;
  /** Bytes of a torn last line cut off at open. */
  readonly truncatedBytes: number;
}

/** The file journal: a {@link Journal} with its lifecycle, counters and events. */
export interface FileJournal extends Journal {
  /** The journal's name (errors' `target`, events' `journal`). */
  readonly name: string;
  /** The journal file's absolute path. */
  readonly file: string;
  /**
   * Takes the lock and replays the file (once; later calls return the same result). Every other
   * async method does this on first use; call it at startup so that `backlog()` counts what the
   * file holds and a lock held by another process is reported at once.
   */
  open(): Promise<void>;
  /** See {@link Journal.appendIntent}: `written` once the line is in the file, before its fsync. */
  appendIntent(entry: JournalEntry): IntentAppend;
  /**
   * See {@link Journal.newestVersion}: replayed from the file when it opens (a compacted file's
   * header keeps the newest version of the entries compaction left out).
   */
  newestVersion(): Promise<string | undefined>;
  /**
   * See {@link Journal.journalId}: written into the header of a new file, carried over by every
   * compaction; `undefined` for a file an older version wrote, until its next compaction.
   */
  journalId(): Promise<string | undefined>;
  /** Counters since the journal was created. */
  stats(): FileJournalStats;
  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof FileJournalEvents>(
    event: K,
    listener: (payload: FileJournalEvents[K]) => void,
  ): () => void;
}
