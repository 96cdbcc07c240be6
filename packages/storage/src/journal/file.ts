import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { type FailoverError, TypedEmitter } from '@failover/core';
import { writeFully } from '../fs/files.js';
import { checkKey, checkResolveArgs, normalizeEntry } from './entry.js';
import { ioError, JournalError } from './errors.js';
import type { FileJournal, FileJournalEvents, FileJournalStats } from './events.js';
import { type FileJournalOptions, resolveFileJournalOptions } from './file-options.js';
import { HighWaterMarks } from './high-water.js';
import {
  COMPACT_PREFIX,
  COMPACT_SUFFIX,
  copyRange,
  headerLine,
  removeLeftovers,
  syncDirectory,
  writeSnapshot,
} from './io.js';
import { acquireLock, type JournalLock } from './lock.js';
import { encodeRecord, type JournalRecord } from './records.js';
import { replayFile } from './replay.js';
import { JournalState } from './state.js';
import type { JournalEntry } from './types.js';

/** A group commit holds at most this many bytes (more pending records go to the next one). */
const MAX_BATCH_BYTES = 1024 * 1024;

interface Settle<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

/** Work for the writer: a record to make durable, or a step that needs the file to itself. */
type Task =
  | {
      readonly kind: 'record';
      readonly record: JournalRecord;
      readonly line: Buffer;
      readonly done: Settle<void>;
    }
  | { readonly kind: 'exclusive'; readonly run: () => unknown; readonly done: Settle<unknown> };

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
 *   atomic rename; appends go on meanwhile and are carried over.
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
  let state = new JournalState(); // replaced by the replayed one when the journal opens
  const marks = new HighWaterMarks();
  const counters = {
    appends: 0,
    resolves: 0,
    writes: 0,
    syncs: 0,
    compactions: 0,
    corruptLines: 0,
    truncatedBytes: 0,
  };
  const queue: Task[] = [];
  let handle: FileHandle | undefined;
  let lock: JournalLock | undefined;
  let fileBytes = 0;
  let opening: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let broken: FailoverError | undefined;
  let pumping = false;
  let compacting: Promise<void> | undefined;
  let autoCompactAt = o.compactAfterBytes;

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
    try {
      const created = await mkdir(o.dir, { recursive: true });
      if (created !== undefined && o.fsync) await syncCreatedDirs(created, o.dir);
    } catch (err) {
      throw ioError(err, 'create its directory', name);
    }
    let taken: JournalLock;
    try {
      taken = await acquireLock(o.lockFile);
    } catch (err) {
      throw ioError(err, 'take its lock', name);
    }
    let file: FileHandle | undefined;
    try {
      await removeLeftovers(o.dir);
      file = await open(o.file, 'a+');
      const loaded = new JournalState();
      const scan = await replayFile(file, loaded, { corrupt: reportCorrupt }, name);
      if (scan.size > scan.end) {
        counters.truncatedBytes += scan.size - scan.end;
        events.emit('truncated', {
          journal: name,
          file: o.file,
          line: scan.lines + 1,
          bytes: scan.size - scan.end,
        });
        await file.truncate(scan.end);
        if (o.fsync) await file.datasync();
      }
      fileBytes = scan.end;
      if (fileBytes === 0) {
        const header = headerLine();
        await writeFully(file, header);
        if (o.fsync) {
          await file.datasync();
          await syncDirectory(o.dir);
        }
        fileBytes = header.length;
      }
      state = loaded;
      handle = file;
      lock = taken;
      events.emit('opened', {
        journal: name,
        file: o.file,
        lines: scan.lines,
        pending: state.size,
        backlog: state.backlog,
      });
    } catch (err) {
      await file?.close().catch(() => {});
      await taken.release().catch(() => {});
      throw ioError(err, 'open its file', name);
    }
  };

  const reportCorrupt = (line: number, reason: string): void => {
    counters.corruptLines++;
    if (events.has('corrupt')) {
      events.emit('corrupt', { journal: name, file: o.file, line, reason });
    } else {
      process.emitWarning(
        `Journal ${JSON.stringify(name)}: skipped corrupt line ${line} of ${o.file} (${reason})`,
        {
          type: 'FailoverJournalWarning',
          code: 'FAILOVER_JOURNAL_CORRUPT',
        },
      );
    }
  };

  // ---- the writer: group commit --------------------------------------------------------------

  const enqueue = (task: Task): void => {
    queue.push(task);
    if (!pumping) {
      pumping = true;
      // Started after the current tick: records submitted together share one write and fsync.
      queueMicrotask(() => void pump());
    }
  };

  /** Runs `run` with no write in flight, after everything queued before it. */
  const exclusive = <T>(run: () => T | Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      enqueue({ kind: 'exclusive', run, done: { resolve: resolve as (v: unknown) => void, reject } });
    });

  const pump = async (): Promise<void> => {
    try {
      while (queue.length > 0) {
        if (handle === undefined) {
          try {
            await ensureOpen();
          } catch (err) {
            for (const task of queue.splice(0)) task.done.reject(err);
            continue;
          }
        }
        const head = queue[0]!;
        if (head.kind === 'exclusive') {
          queue.shift();
          try {
            head.done.resolve(await head.run());
          } catch (err) {
            head.done.reject(err);
          }
          continue;
        }
        if (broken !== undefined) {
          queue.shift();
          head.done.reject(broken);
          continue;
        }
        await commit(takeBatch());
      }
    } finally {
      pumping = false;
    }
  };

  /** The record tasks at the head of the queue, up to {@link MAX_BATCH_BYTES} (at least one). */
  const takeBatch = (): Extract<Task, { kind: 'record' }>[] => {
    const batch: Extract<Task, { kind: 'record' }>[] = [];
    let bytes = 0;
    while (queue.length > 0) {
      const task = queue[0]!;
      if (task.kind !== 'record') break;
      if (batch.length > 0 && bytes + task.line.length > MAX_BATCH_BYTES) break;
      queue.shift();
      batch.push(task);
      bytes += task.line.length;
    }
    return batch;
  };

  /** One group commit: one write and one fsync for the batch, then the records take effect. */
  const commit = async (batch: Extract<Task, { kind: 'record' }>[]): Promise<void> => {
    const file = handle!;
    const bytes = batch.length === 1 ? batch[0]!.line : Buffer.concat(batch.map((t) => t.line));
    const before = fileBytes;
    try {
      await writeFully(file, bytes);
    } catch (err) {
      const error = ioError(err, 'write its file', name);
      try {
        await file.truncate(before); // cut off whatever part of the batch reached the file
        if (o.fsync) await file.datasync();
      } catch (cutErr) {
        broken = ioError(cutErr, 'cut a failed write off its file; it is broken until reopened', name);
      }
      for (const task of batch) task.done.reject(error);
      return;
    }
    if (o.fsync) {
      try {
        await file.datasync();
        counters.syncs++;
      } catch (err) {
        broken = ioError(err, 'fsync its file; it is broken until reopened', name);
        for (const task of batch) task.done.reject(broken);
        return;
      }
    }
    counters.writes++;
    fileBytes += bytes.length;
    for (const task of batch) {
      const record = task.record;
      if (record.t === 'append') {
        state.append(record.e, task.line.length);
        marks.append(record.e);
        counters.appends++;
      } else if (record.t === 'resolve') {
        state.resolve(record.id, record.target);
        counters.resolves++;
      }
      task.done.resolve();
    }
    maybeCompact();
  };

  const submit = (record: JournalRecord): Promise<void> => {
    if (closing !== undefined) return Promise.reject(closedError());
    if (broken !== undefined) return Promise.reject(broken);
    return new Promise<void>((resolve, reject) => {
      enqueue({ kind: 'record', record, line: encodeRecord(record), done: { resolve, reject } });
    });
  };

  // ---- compaction ----------------------------------------------------------------------------

  const maybeCompact = (): void => {
    if (compacting !== undefined || closing !== undefined) return;
    if (fileBytes < autoCompactAt || fileBytes < 2 * state.liveBytes) return;
    startCompaction().catch((err: unknown) => {
      events.emit('compactionFailed', { journal: name, error: ioError(err, 'compact its file', name) });
    });
  };

  /** Starts a compaction after the one running, if any; the result is that compaction's. */
  const startCompaction = (): Promise<void> => {
    const run = (compacting ?? Promise.resolve()).catch(() => {}).then(compactNow);
    const tracked = run.finally(() => {
      if (compacting === tracked) compacting = undefined;
    });
    tracked.catch(() => {});
    compacting = tracked;
    return run;
  };

  /**
   * Writes the pending entries to a temporary file while appends go on in the old one, copies
   * what was appended meanwhile, then (with writes paused) copies the rest, fsyncs, renames the
   * new file over the old one and fsyncs the directory. Until the rename the old file is the
   * journal, complete; a crash leaves at most the temporary file, which the next open removes.
   */
  const compactNow = async (): Promise<void> => {
    if (broken !== undefined) throw broken;
    const temp = join(o.dir, `${COMPACT_PREFIX}${randomBytes(8).toString('hex')}${COMPACT_SUFFIX}`);
    const snapshot = await exclusive(() => ({ entries: state.pending(), offset: fileBytes }));
    let out: FileHandle | undefined;
    try {
      out = await open(temp, 'ax+');
      let size = await writeSnapshot(out, snapshot.entries);
      let copied = snapshot.offset;
      const caughtUpTo = fileBytes;
      size += await copyRange(handle!, out, copied, caughtUpTo);
      copied = caughtUpTo;
      const newFile = out;
      const result = await exclusive(async () => {
        if (broken !== undefined) throw broken;
        size += await copyRange(handle!, newFile, copied, fileBytes);
        if (o.fsync) await newFile.datasync();
        await rename(temp, o.file);
        const old = handle!;
        const bytesBefore = fileBytes;
        handle = newFile;
        fileBytes = size;
        out = undefined;
        await old.close().catch(() => {});
        if (o.fsync) {
          try {
            await syncDirectory(o.dir);
          } catch (err) {
            broken = ioError(err, 'fsync its directory after compaction; it is broken until reopened', name);
            throw broken;
          }
        }
        return { bytesBefore, bytesAfter: size };
      });
      counters.compactions++;
      autoCompactAt = o.compactAfterBytes;
      events.emit('compacted', { journal: name, ...result, entries: snapshot.entries.length });
    } catch (err) {
      if (out !== undefined) {
        await out.close().catch(() => {});
        await unlink(temp).catch(() => {});
      }
      autoCompactAt = fileBytes + o.compactAfterBytes; // not again at every write
      throw ioError(err, 'compact its file', name);
    }
  };

  // ---- closing -------------------------------------------------------------------------------

  const closeAll = async (): Promise<void> => {
    await compacting?.catch(() => {});
    if (pumping || queue.length > 0) await exclusive(() => undefined).catch(() => {});
    await opening?.catch(() => {});
    const file = handle;
    handle = undefined;
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
    resolve: (id: string, target: string) => {
      try {
        checkResolveArgs(id, target);
      } catch (err) {
        return Promise.reject(err);
      }
      return submit({ t: 'resolve', id, target });
    },
    pending: () => (closing !== undefined ? Promise.reject(closedError()) : exclusive(() => state.pending())),
    // Marks of this process's appends (the file's lock admits one process): a restart ends every
    // copy in flight, so nothing older needs checking.
    highWater: (key: string) => {
      if (closing !== undefined) return Promise.reject(closedError());
      try {
        checkKey(key);
      } catch (err) {
        return Promise.reject(err);
      }
      return exclusive(() => marks.get(key));
    },
    backlog: () => state.backlog,
    compact: () => (closing !== undefined ? Promise.reject(closedError()) : startCompaction()),
    close: () => {
      closing ??= closeAll();
      return closing;
    },
    stats: (): FileJournalStats => ({ ...counters, fileBytes }),
    on: (event, listener) => events.on(event, listener),
  };
}

/** fsyncs each directory from the parent of `created` (the first one mkdir made) down to `dir`. */
async function syncCreatedDirs(created: string, dir: string): Promise<void> {
  const parent = dirname(created);
  const below = relative(parent, dir).split(sep);
  let path = parent;
  await syncDirectory(path);
  for (const part of below.slice(0, -1)) {
    path = join(path, part);
    await syncDirectory(path);
  }
}
