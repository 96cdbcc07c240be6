import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { TypedEmitter } from '@failover/core';
import { ioError } from './errors.js';
import type { FileJournalEvents } from './events.js';
import { shouldCompact } from './file-decide.js';
import type { FileJournalCounters, LiveJournalFile } from './file-live.js';
import type { ResolvedFileJournalOptions } from './file-options.js';
import type { GroupCommitWriter } from './file-writer.js';
import { COMPACT_PREFIX, COMPACT_SUFFIX, copyRange, syncDirectory, writeSnapshot } from './io.js';
import { newJournalId } from './records.js';

/** What compaction needs besides the options and the live file. */
export interface FileCompactionDeps {
  /** The writer: compaction takes its snapshot and swaps the file in its exclusive steps. */
  readonly writer: GroupCommitWriter;
  /** The journal's counters (`compactions` is counted here). */
  readonly counters: FileJournalCounters;
  /** Where `compacted` and `compactionFailed` go. */
  readonly events: TypedEmitter<FileJournalEvents>;
  /** True once the journal is closing (no automatic compaction starts then). */
  isClosing(): boolean;
}

/**
 * The file journal's compaction (the apply step; {@link shouldCompact} in file-decide.ts decides
 * when it starts by itself): rewrites the file with only the pending entries, one compaction at a
 * time, while appends go on; the header of the new file keeps the newest version appended so far
 * (`Journal.newestVersion`). Crash-safe: the new file replaces the old one by an atomic rename.
 *
 * @internal
 */
export class FileCompaction {
  readonly #o: ResolvedFileJournalOptions;
  readonly #live: LiveJournalFile;
  readonly #deps: FileCompactionDeps;
  #running: Promise<void> | undefined;
  #autoCompactAt: number;

  constructor(o: ResolvedFileJournalOptions, live: LiveJournalFile, deps: FileCompactionDeps) {
    this.#o = o;
    this.#live = live;
    this.#deps = deps;
    this.#autoCompactAt = o.compactAfterBytes;
  }

  /** The compaction running (or queued), if any; settles when it is over. */
  get running(): Promise<void> | undefined {
    return this.#running;
  }

  /** After a commit: starts a compaction when {@link shouldCompact} says so; a failure is an event. */
  maybeCompact(): void {
    const live = this.#live;
    const facts = {
      compacting: this.#running !== undefined,
      closing: this.#deps.isClosing(),
      fileBytes: live.fileBytes,
      compactAt: this.#autoCompactAt,
      liveBytes: live.state.liveBytes,
    };
    if (!shouldCompact(facts)) return;
    const name = this.#o.name;
    this.start().catch((err: unknown) => {
      this.#deps.events.emit('compactionFailed', {
        journal: name,
        error: ioError(err, 'compact its file', name),
      });
    });
  }

  /** Starts a compaction after the one running, if any; the result is that compaction's. */
  start(): Promise<void> {
    const run = (this.#running ?? Promise.resolve()).catch(() => {}).then(() => this.#compactNow());
    const tracked = run.finally(() => {
      if (this.#running === tracked) this.#running = undefined;
    });
    tracked.catch(() => {});
    this.#running = tracked;
    return run;
  }

  /**
   * Writes the pending entries to a temporary file while appends go on in the old one, copies
   * what was appended meanwhile, then (with writes paused) copies the rest, fsyncs, renames the
   * new file over the old one and fsyncs the directory. Until the rename the old file is the
   * journal, complete; a crash leaves at most the temporary file, which the next open removes.
   */
  async #compactNow(): Promise<void> {
    const o = this.#o;
    const live = this.#live;
    const { writer, counters, events } = this.#deps;
    const name = o.name;
    if (live.broken !== undefined) throw live.broken;
    const temp = join(o.dir, `${COMPACT_PREFIX}${randomBytes(8).toString('hex')}${COMPACT_SUFFIX}`);
    const snapshot = await writer.exclusive(() => ({
      entries: live.state.pending(),
      // Kept in the new file's header: the entries that carried it may be settled and left out.
      newest: live.state.newestVersion,
      // Carried over; a file an older version wrote gets its id now.
      id: live.id ?? newJournalId(),
      offset: live.fileBytes,
    }));
    let out: FileHandle | undefined;
    try {
      out = await open(temp, 'ax+');
      let size = await writeSnapshot(out, snapshot.entries, snapshot.newest, snapshot.id);
      let copied = snapshot.offset;
      const caughtUpTo = live.fileBytes;
      size += await copyRange(live.handle!, out, copied, caughtUpTo);
      copied = caughtUpTo;
      const newFile = out;
      const result = await writer.exclusive(async () => {
        if (live.broken !== undefined) throw live.broken;
        size += await copyRange(live.handle!, newFile, copied, live.fileBytes);
        if (o.fsync) await newFile.datasync();
        await rename(temp, o.file);
        const old = live.handle!;
        const bytesBefore = live.fileBytes;
        live.handle = newFile;
        live.fileBytes = size;
        live.id = snapshot.id;
        out = undefined;
        await old.close().catch(() => {});
        if (o.fsync) {
          try {
            await syncDirectory(o.dir);
          } catch (err) {
            live.broken = ioError(
              err,
              'fsync its directory after compaction; it is broken until reopened',
              name,
            );
            throw live.broken;
          }
        }
        return { bytesBefore, bytesAfter: size };
      });
      counters.compactions++;
      this.#autoCompactAt = o.compactAfterBytes;
      events.emit('compacted', { journal: name, ...result, entries: snapshot.entries.length });
    } catch (err) {
      if (out !== undefined) {
        await out.close().catch(() => {});
        await unlink(temp).catch(() => {});
      }
      this.#autoCompactAt = live.fileBytes + o.compactAfterBytes; // not again at every write
      throw ioError(err, 'compact its file', name);
    }
  }
}
