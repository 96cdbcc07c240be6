import { randomBytes } from 'node:crypto';
import { type FileHandle, link, lstat, mkdir, open, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { hasCode } from './errors.js';
import { TEMP_PREFIX } from './layout.js';

/** How often creating a temporary file is retried when its directory vanishes meanwhile. */
const CREATE_ATTEMPTS = 8;

/** A temporary file being written, in the directory of the object it will become. */
export interface TempFile {
  readonly path: string;
  readonly handle: FileHandle;
}

/**
 * Creates the directory `dir` (and its parents) and an empty temporary file in it, opened for
 * writing. A concurrent delete may remove an empty directory between the two steps; then both are
 * retried. Once the temporary file exists, its directory is not empty and cannot be removed.
 */
export async function createTempFile(dir: string): Promise<TempFile> {
  for (let attempt = 1; ; attempt++) {
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      return { path, handle: await open(path, 'wx') };
    } catch (err) {
      if (!hasCode(err, 'ENOENT') || attempt >= CREATE_ATTEMPTS) throw err;
    }
  }
}

/**
 * Writes all of `bytes` (a single write may be partial) at `position`, or at the handle's current
 * position when none is given.
 */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position?: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const at = position === undefined ? null : position + done;
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, at);
    done += bytesWritten;
  }
}

/** Removes a file, ignoring a missing one. */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!hasCode(err, 'ENOENT')) throw err;
  }
}

/**
 * Moves a complete temporary file to `file`. Without `exclusive`, an existing object is replaced
 * atomically (rename). With `exclusive`, `file` must not exist: a hard link fails with EEXIST if it
 * does, atomically, even against other processes; where hard links are not supported, a check
 * then rename is used (atomic only within this process, under the caller's lock). Returns `false`
 * when `exclusive` and the file exists (the temporary file is then left for the caller to remove).
 */
export async function commitFile(temp: string, file: string, exclusive: boolean): Promise<boolean> {
  if (!exclusive) {
    await rename(temp, file);
    return true;
  }
  try {
    await link(temp, file);
  } catch (err) {
    if (hasCode(err, 'EEXIST')) return false;
    if (!hasCode(err, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK')) throw err;
    if (await pathExists(file)) return false;
    await rename(temp, file);
    return true;
  }
  await removeFile(temp);
  return true;
}

/** Flushes a directory's entries to disk (after a rename or unlink). Not supported everywhere. */
export async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open or fsync a directory; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** Removes `dir` and then each parent up to (not including) `root`, stopping at one not empty. */
export async function removeEmptyDirs(root: string, dir: string): Promise<void> {
  while (dir.startsWith(root.endsWith(sep) ? root : root + sep)) {
    try {
      await rmdir(dir);
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) return; // ENOTEMPTY, EEXIST, EBUSY...: in use, keep it
    }
    dir = dirname(dir);
  }
}

/** Whether anything exists at `path` (without following a final symlink). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (hasCode(err, 'ENOENT', 'ENOTDIR')) return false;
    throw err;
  }
}
