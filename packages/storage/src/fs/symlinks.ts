import { constants } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { StorageError } from '../errors.js';
import { hasCode } from './errors.js';

/**
 * Flags to open an object file for reading without following a symlink at its name (`O_NOFOLLOW`,
 * where the platform has it): a symlink swapped in after {@link symlinkUnder} looked fails with
 * `ELOOP` instead of reading another file.
 */
export const READ_NOFOLLOW = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

/**
 * The first path under `root` on the way to `path` (`path` included) that is a symbolic link, as a
 * path relative to `root`, or `undefined` when there is none. Stops at the first part that does not
 * exist. `root` itself may be a symlink (the user chose it); nothing planted inside it is followed.
 */
export async function symlinkUnder(root: string, path: string): Promise<string | undefined> {
  const parts = relative(root, path)
    .split(sep)
    .filter((p) => p !== '');
  let current = root;
  for (const part of parts) {
    current = join(current, part);
    try {
      if ((await lstat(current)).isSymbolicLink()) return relative(root, current);
    } catch (err) {
      if (hasCode(err, 'ENOENT', 'ENOTDIR')) return undefined;
      throw err;
    }
  }
  return undefined;
}

/**
 * The error for an operation that met a symlink inside the store's root (`kind: 'invalid'`): the
 * store never follows one, so a link planted in its tree cannot make it read, write or delete
 * outside the root. The message names the link relative to the root, not the absolute path.
 */
export function symlinkError(link: string, operation: string, key: string, target: string): StorageError {
  return new StorageError(
    'invalid',
    `Filesystem store refused to ${operation} ${JSON.stringify(key)}: ${JSON.stringify(link)} under its root is a symbolic link, and symlinks inside the root are never followed`,
    { key, target },
  );
}

/** Throws {@link symlinkError} when a part of `path` under `root` is a symlink. */
export async function refuseSymlinks(
  root: string,
  path: string,
  operation: string,
  key: string,
  target: string,
): Promise<void> {
  const link = await symlinkUnder(root, path);
  if (link !== undefined) throw symlinkError(link, operation, key, target);
}
