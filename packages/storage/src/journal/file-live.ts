import type { FileHandle } from 'node:fs/promises';
import type { FailoverError } from '@failover/core';
import type { FileJournalStats } from './events.js';
import { JournalState } from './state.js';

/**
 * The file journal's live file, shared by `createFileJournal` (file.ts), its writer
 * (file-writer.ts) and its compaction (file-compaction.ts): the open file and its size, whether
 * the journal is broken, and the pending entries. Opening fills it in; compaction swaps the file.
 *
 * @internal
 */
export interface LiveJournalFile {
  /** The open journal file; `undefined` before opening and after closing. */
  handle: FileHandle | undefined;
  /** The file's size, bytes. */
  fileBytes: number;
  /**
   * Set when an fsync (or the cut of a failed write) failed: the journal is broken (every call
   * rejects with it) until it is closed and a new one opened.
   */
  broken: FailoverError | undefined;
  /** The pending entries (replaced by the replayed ones when the journal opens). */
  state: JournalState;
  /**
   * The journal's identity, from the file's header (`undefined` before opening, and for a file
   * written by an older version until a compaction writes its header with a new one).
   */
  id: string | undefined;
}

/** The counters of {@link FileJournalStats} that the journal keeps (all but `fileBytes`). @internal */
export type FileJournalCounters = { -readonly [K in Exclude<keyof FileJournalStats, 'fileBytes'>]: number };

/** A live file before opening: no handle, empty, not broken. @internal */
export function newLiveJournalFile(): LiveJournalFile {
  return { handle: undefined, fileBytes: 0, broken: undefined, state: new JournalState(), id: undefined };
}

/** Counters at zero. @internal */
export function newFileJournalCounters(): FileJournalCounters {
  return {
    appends: 0,
    resolves: 0,
    writes: 0,
    syncs: 0,
    compactions: 0,
    corruptLines: 0,
    truncatedBytes: 0,
  };
}
