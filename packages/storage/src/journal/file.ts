import { TypedEmitter } from '@failover/core';
import { checkKey, checkResolveArgs, normalizeEntry } from './entry.js';
import { JournalError } from './errors.js';
import type { FileJournal, FileJournalEvents, FileJournalStats } from './events.js';
import { FileCompaction } from './file-compaction.js';
import { newFileJournalCounters, newLiveJournalFile } from './file-live.js';
import { openJournalFile } from './file-open.js';
import { type FileJournalOptions, resolveFileJournalOptions } from './file-options.js';
import { fileOpenReports } from './file-reports.js';
import { GroupCommitWriter } from './file-writer.js';
import { HighWaterMarks } from './high-water.js';
import type { JournalLock } from './lock.js';
import type { JournalRecord } from './records.js';
import type { IntentAppend, JournalEntry } from './types.js';

/**
 * The embedded default {@link Journal}: an append-only file of JSON lines in `dir`.
 *
 * - Durable before acknowledged: `append` and `resolve` write their line and fdatasync the file
 *   before they resolve; when that fails they reject. Concurrent calls share one write and one
 *   fsync (group commit) and take effect in call order.
 * - Crash recovery: opening replays the file, so a new process sees every acknowledged entry. A
 *   torn last line (a crash mid-write) is cut off; a corrupt line elsewhere is skipped and
 *   reported (`corrupt` event) without losing the lines around it. Every line has a CRC-32.
 * - Compaction: past `compactAfterBytes` (when at least half the file is obsolete) and at
 *   `compact()`, the pending entries are written to a new file that replaces the old one by an
 *   atomic rename; appends go on meanwhile and are carried over. The new file's header keeps the
 *   newest version ever appended (`newestVersion()`) and the journal's id (`journalId()`, made
 *   when the file is created), so both survive compactions and restarts.
 * - One writer: the directory is locked (`journal.lock`); a second journal on it fails with a
 *   `JournalLockedError`, a lock left by a dead process is taken over.
 * - After an fsync failure the journal is broken (every call rejects) until it is closed and a
 *   new one opened: after a failed fsync the file's contents are unknown until it is read again.
 *
 * It opens on first use, or at `open()`; `close()` flushes, closes and releases the lock.
 */
export function createFileJournal(options: FileJournalOptions): FileJournal {
  const o = resolveFileJournalOptions(options);
  const name = o.name;
  const events = new TypedEmitter<FileJournalEvents>();
  const live = newLiveJournalFile(); // the file, its size, broken or not, the pending entries
  const marks = new HighWaterMarks();
  const counters = newFileJournalCounters();
  let lock: JournalLock | undefined;
  let opening: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  const closedError = (): JournalError =>
    new JournalError('unavailable', `Journal ${JSON.stringify(name)} is closed`, { target: name });

  // ---- opening -------------------------------------------------------------------------------

  const ensureOpen = (): Promise<void> => {
    if (opening === undefined) {
      opening = openFile();
      opening.catch(() => {
        opening = undefined; // a later call tries again (e.g. once the other writer is gone)
      });
    }
    return opening;
  };

  const openFile = async (): Promise<void> => {
    const opened = await openJournalFile(o, fileOpenReports(name, o.file, events, counters));
    live.fileBytes = opened.fileBytes;
    live.state = opened.state;
    live.id = opened.id;
    live.handle = opened.handle;
    lock = opened.lock;
    events.emit('opened', {
      journal: name,
      file: o.file,
      lines: opened.lines,
      pending: live.state.size,
      backlog: live.state.backlog,
    });
  };

  // ---- the writer (group commit) and compaction ------------------------------------------------

  const writer = new GroupCommitWriter(live, {
    name,
    fsync: o.fsync,
    marks,
    counters,
    ensureOpen,
    committed: () => compaction.maybeCompact(),
  });
  const compaction = new FileCompaction(o, live, {
    writer,
    counters,
    events,
    isClosing: () => closing !== undefined,
  });

  const submit = (record: JournalRecord): Promise<void> => {
    if (closing !== undefined) return Promise.reject(closedError());
    if (live.broken !== undefined) return Promise.reject(live.broken);
    return writer.write(record);
  };

  const submitTracked = (record: JournalRecord): IntentAppend => {
    const refused = closing !== undefined ? closedError() : live.broken;
    return refused === undefined ? writer.writeTracked(record) : failedIntent(refused);
  };

  // ---- closing -------------------------------------------------------------------------------

  const closeAll = async (): Promise<void> => {
    await compaction.running?.catch(() => {});
    if (writer.busy) await writer.syncNow().catch(() => {});
    await opening?.catch(() => {});
    const file = live.handle;
    live.handle = undefined;
    await file?.close().catch(() => {});
    await lock?.release().catch(() => {});
    lock = undefined;
  };

  return {
    name,
    file: o.file,
    open: () => (closing !== undefined ? Promise.reject(closedError()) : ensureOpen()),
    append: (entry: JournalEntry) => {
      let e: JournalEntry;
      try {
        e = normalizeEntry(entry);
      } catch (err) {
        return Promise.reject(err);
      }
      return submit({ t: 'append', e });
    },
    appendIntent: (entry: JournalEntry) => {
      let e: JournalEntry;
      try {
        e = normalizeEntry(entry);
      } catch (err) {
        return failedIntent(err);
      }
      return submitTracked({ t: 'append', e });
    },
    resolve: (id: string, target: string) => {
      try {
        checkResolveArgs(id, target);
      } catch (err) {
        return Promise.reject(err);
      }
      return submit({ t: 'resolve', id, target });
    },
    pending: () =>
      closing !== undefined ? Promise.reject(closedError()) : writer.exclusive(() => live.state.pending()),
    // Marks of this process's appends (the file's lock admits one process): a restart ends every
    // copy in flight, so nothing older needs checking.
    highWater: (key: string) => {
      if (closing !== undefined) return Promise.reject(closedError());
      try {
        checkKey(key);
      } catch (err) {
        return Promise.reject(err);
      }
      return writer.exclusive(() => marks.get(key));
    },
    // Replayed from the file (a compacted file's header keeps what compaction left out).
    newestVersion: () =>
      closing !== undefined
        ? Promise.reject(closedError())
        : writer.exclusive(() => live.state.newestVersion),
    // From the file's header, carried over by compactions (a file an older version wrote: none
    // until its first compaction).
    journalId: () =>
      closing !== undefined ? Promise.reject(closedError()) : writer.exclusive(() => live.id),
    backlog: () => live.state.backlog,
    compact: () => (closing !== undefined ? Promise.reject(closedError()) : compaction.start()),
    close: () => {
      closing ??= closeAll();
      return closing;
    },
    stats: (): FileJournalStats => ({ ...counters, fileBytes: live.fileBytes }),
    on: (event, listener) => events.on(event, listener),
  };
}

/** An intent append refused at once: one promise for both, so whoever awaits either handles it. */
function failedIntent(err: unknown): IntentAppend {
  const failed = Promise.reject(err);
  return { written: failed, durable: failed };
}
