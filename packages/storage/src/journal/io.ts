import { type FileHandle, open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCode } from '../fs/errors.js';
import { writeFully } from '../fs/files.js';
import { JOURNAL_FILE, LOCK_FILE } from './file-options.js';
import { encodeRecord, JOURNAL_FORMAT } from './records.js';
import type { JournalEntry } from './types.js';

/** Bytes per write when rewriting or copying the journal. */
const CHUNK_BYTES = 1024 * 1024;
/** A lock's temporary file older than this is a leftover of a crashed process. */
const LOCK_LEFTOVER_MS = 60_000;

/** The prefix and suffix of compaction's temporary files in the journal's directory. */
export const COMPACT_PREFIX = `${JOURNAL_FILE}.compact-`;
export const COMPACT_SUFFIX = '.tmp';

/**
 * fsyncs a directory so that a file created or renamed in it survives a power loss. Throws on
 * failure, except where directories cannot be opened or synced (Windows), where renames are
 * durable by other means.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(dir, 'r');
  } catch (err) {
    if (hasCode(err, 'EISDIR', 'EPERM', 'EACCES')) return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    if (!hasCode(err, 'EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EPERM', 'EBADF')) throw err;
  } finally {
    await handle.close().catch(() => {});
  }
}

/**
 * The header line every journal file starts with; `newest`: the newest version appended before
 * (a compacted file's), `id`: the journal's identity (see the `header` record).
 */
export function headerLine(newest?: string, id?: string): Buffer {
  return encodeRecord({
    t: 'header',
    format: JOURNAL_FORMAT,
    ...(newest === undefined ? {} : { newest }),
    ...(id === undefined ? {} : { id }),
  });
}

/**
 * Writes a header (with `newest`, the newest version appended so far, and `id`, the journal's
 * identity) and one `append` record per entry to `out` (opened for appending), in chunks. Returns
 * the bytes written.
 */
export async function writeSnapshot(
  out: FileHandle,
  entries: readonly JournalEntry[],
  newest?: string,
  id?: string,
): Promise<number> {
  let total = 0;
  let parts: Buffer[] = [headerLine(newest, id)];
  let size = parts[0]!.length;
  const flush = async (): Promise<void> => {
    const bytes = Buffer.concat(parts, size);
    await writeFully(out, bytes);
    total += bytes.length;
    parts = [];
    size = 0;
  };
  for (const e of entries) {
    const line = encodeRecord({ t: 'append', e });
    parts.push(line);
    size += line.length;
    if (size >= CHUNK_BYTES) await flush();
  }
  if (size > 0) await flush();
  return total;
}

/** Appends the bytes `[from, to)` of `src` to `dst` (opened for appending). Returns `to - from`. */
export async function copyRange(src: FileHandle, dst: FileHandle, from: number, to: number): Promise<number> {
  const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(to - from, 1)));
  let position = from;
  while (position < to) {
    const { bytesRead } = await src.read(buffer, 0, Math.min(buffer.length, to - position), position);
    if (bytesRead === 0) throw Object.assign(new Error('journal file ended early'), { code: 'EIO' });
    await writeFully(dst, buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return to - from;
}

/**
 * Removes what crashed processes left in the journal's directory: compaction's temporary files
 * (the journal file is complete without them: it is replaced only by a rename) and old temporary
 * files of the lock. Call only while holding the lock.
 */
export async function removeLeftovers(dir: string): Promise<void> {
  const names = await readdir(dir);
  for (const name of names) {
    const path = join(dir, name);
    if (name.startsWith(COMPACT_PREFIX) && name.endsWith(COMPACT_SUFFIX)) {
      await unlink(path).catch(() => {});
    } else if (name.startsWith(`${LOCK_FILE}.`) && name !== LOCK_FILE) {
      const age = await stat(path).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > LOCK_LEFTOVER_MS) await unlink(path).catch(() => {});
    }
  }
}
