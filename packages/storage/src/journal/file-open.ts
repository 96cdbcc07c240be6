import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { writeFully } from '../fs/files.js';
import { ioError } from './errors.js';
import { planOpenRepair } from './file-decide.js';
import type { ResolvedFileJournalOptions } from './file-options.js';
import { headerLine, removeLeftovers, syncDirectory } from './io.js';
import { acquireLock, type JournalLock } from './lock.js';
import { newJournalId } from './records.js';
import { replayFile } from './replay.js';
import { JournalState } from './state.js';

/** The file journal's file, open and replayed, with its lock held. */
export interface OpenedJournalFile {
  readonly handle: FileHandle;
  readonly lock: JournalLock;
  /** The pending entries the file holds. */
  readonly state: JournalState;
  /** The file's size after the repair, bytes. */
  readonly fileBytes: number;
  /** Lines read. */
  readonly lines: number;
  /**
   * The journal's id: the header's, or a new one written into the header of a new (empty) file;
   * `undefined` for a file an older version wrote (its next compaction gives it one).
   */
  readonly id: string | undefined;
}

/** What opening reports while it runs. */
export interface OpenReports {
  /** A corrupt line was skipped. */
  corrupt(line: number, reason: string): void;
  /** A torn last line (`bytes` long, at line `line`) is about to be cut off. */
  truncated(line: number, bytes: number): void;
}

/**
 * Opens the file journal's file (the apply step of opening; {@link planOpenRepair} decides the
 * repair): creates its directory (fsynced when new), takes the directory's lock, removes a
 * compaction's leftovers, replays the file, cuts a torn last line off and writes the header into
 * an empty file. On failure nothing stays open or locked; the error is the journal's own.
 */
export async function openJournalFile(
  o: ResolvedFileJournalOptions,
  reports: OpenReports,
): Promise<OpenedJournalFile> {
  const name = o.name;
  try {
    const created = await mkdir(o.dir, { recursive: true });
    if (created !== undefined && o.fsync) await syncCreatedDirs(created, o.dir);
  } catch (err) {
    throw ioError(err, 'create its directory', name);
  }
  let lock: JournalLock;
  try {
    lock = await acquireLock(o.lockFile);
  } catch (err) {
    throw ioError(err, 'take its lock', name);
  }
  let handle: FileHandle | undefined;
  try {
    await removeLeftovers(o.dir);
    handle = await open(o.file, 'a+');
    const state = new JournalState();
    let id: string | undefined;
    const scan = await replayFile(
      handle,
      state,
      {
        corrupt: reports.corrupt,
        journalId: (found) => {
          id = found;
        },
      },
      name,
    );
    const repair = planOpenRepair(scan);
    let fileBytes = scan.end;
    if (repair.cutBytes > 0) {
      reports.truncated(scan.lines + 1, repair.cutBytes);
      await handle.truncate(scan.end);
      if (o.fsync) await handle.datasync();
    }
    if (repair.writeHeader) {
      // A new file (or one holding only a torn line): the journal's storage starts here.
      id = newJournalId();
      const header = headerLine(undefined, id);
      await writeFully(handle, header);
      if (o.fsync) {
        await handle.datasync();
        await syncDirectory(o.dir);
      }
      fileBytes = header.length;
    }
    return { handle, lock, state, fileBytes, lines: scan.lines, id };
  } catch (err) {
    await handle?.close().catch(() => {});
    await lock.release().catch(() => {});
    throw ioError(err, 'open its file', name);
  }
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
