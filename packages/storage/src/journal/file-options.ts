import { join, resolve } from 'node:path';
import { readOptions } from '@failover/core';

/** Options for {@link createFileJournal}. */
export interface FileJournalOptions {
  /**
   * The directory of the journal, created (with its parents) when the journal opens. It holds
   * `journal.jsonl` (the journal), `journal.lock` (the writer's lock) and, briefly, temporary
   * files of compaction. Give each journal its own directory on a local disk that survives a
   * restart of the application (not a tmpfs, not a network share).
   */
  dir: string;
  /**
   * Compact the file when it grows past this many bytes and at least half of it is obsolete
   * (resolved or superseded records). Default 4 MiB; at least 1024.
   */
  compactAfterBytes?: number;
  /**
   * Whether `append` and `resolve` fsync (fdatasync) before resolving. Default `true`. With
   * `false` an acknowledged entry survives a crash of the process but not of the machine (power
   * loss, kernel panic); only for tests and disposable environments.
   */
  fsync?: boolean;
  /** The journal's name in errors' `target` and in events. Default `journal:<absolute dir>`. */
  name?: string;
}

/** The options with their defaults, and the paths they imply. */
export interface ResolvedFileJournalOptions {
  readonly dir: string;
  readonly file: string;
  readonly lockFile: string;
  readonly compactAfterBytes: number;
  readonly fsync: boolean;
  readonly name: string;
}

/** The default of {@link FileJournalOptions.compactAfterBytes}: 4 MiB. */
export const DEFAULT_COMPACT_AFTER_BYTES = 4 * 1024 * 1024;
/** The journal file's name in its directory. */
export const JOURNAL_FILE = 'journal.jsonl';
/** The lock file's name in the journal's directory. */
export const LOCK_FILE = 'journal.lock';

/** Checks the options; throws an `InvalidOptionError` naming the first bad one. */
export function resolveFileJournalOptions(options: unknown): ResolvedFileJournalOptions {
  const r = readOptions(options);
  const dirOption = r.string('dir', {
    notBlank: true,
    pattern: /^[^\0]*$/,
    rule: 'a non-empty directory path (without NUL)',
    required: true,
  });
  const compactAfterBytes = r.int('compactAfterBytes', { min: 1024, default: DEFAULT_COMPACT_AFTER_BYTES });
  const fsync = r.bool('fsync', { default: true });
  const name = r.string('name');
  r.done();
  const dir = resolve(dirOption);
  return {
    dir,
    file: join(dir, JOURNAL_FILE),
    lockFile: join(dir, LOCK_FILE),
    compactAfterBytes,
    fsync,
    name: name ?? `journal:${dir}`,
  };
}
