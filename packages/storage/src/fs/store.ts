import { type FileHandle, open } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { readOptions } from '@failover/core';
import { abortableStream, throwIfAborted } from '../abort.js';
import {
  type CopyRequest,
  type DeleteRequest,
  defineBlobStore,
  type GetRequest,
  type ListRequest,
  type PutRequest,
  type StoreCall,
} from '../define-store.js';
import { NotFoundError } from '../errors.js';
import { commonPrefixOf } from '../list-prefix.js';
import { ifMatchFailed } from '../put-options.js';
import { resolveRange } from '../range.js';
import { toBlobInfo } from '../record.js';
import type { BlobInfo, BlobStore, GetResult, ListEntry } from '../types.js';
import { hasCode } from './errors.js';
import { pathExists, removeEmptyDirs, removeFile, syncDir } from './files.js';
import { locate } from './layout.js';
import { ObjectFiles } from './object-files.js';
import { READ_NOFOLLOW, refuseSymlinks, symlinkError } from './symlinks.js';
import { type WalkState, walkObjects } from './walk.js';

/** Options for {@link createFileSystemStore}. */
export interface FileSystemStoreOptions {
  /**
   * The directory the store keeps its objects in. Created (with its parents) on the first write;
   * a missing root is an empty store. Give each store its own directory.
   */
  root: string;
  /** The store's name in logs, events and errors' `target`. Default `fs:<absolute root>`. */
  name?: string;
}

/** Bytes per chunk of a `get` body. */
const CHUNK_BYTES = 64 * 1024;

/**
 * A {@link BlobStore} in a local directory: the embedded default, passing the same contract as the
 * cloud stores.
 *
 * - Layout: each key maps to a path below `root` by splitting it at `/` and escaping every segment
 *   (only `a-z 0-9 _ - .` are kept, every other byte becomes `%XX`; over-long segments are
 *   hashed), so no key can reach outside `root` or collide with another key, with the store's
 *   own files, or (on case-insensitive filesystems) with a key differing only in case. Objects and
 *   directories carry different tags, so `a/b` and `a/b/c` can both exist.
 * - One file per object: its bytes, then a trailer with the key, size, content type, metadata,
 *   etag, MD5 and write time. Content and metadata change together in one rename.
 * - Writes are atomic: bytes go to a temporary file in the object's directory (streams are piped
 *   through with flat memory, hashing MD5 on the way), which is fsynced and then renamed over the
 *   object. A crash or an abort never leaves a partly written object visible; at worst a
 *   `.tmp-*` file, which every operation ignores.
 * - `ifNoneMatch: '*'` commits with a hard link, which fails atomically if the object exists, so
 *   it is race-free across threads and processes sharing the directory (where the filesystem has
 *   no hard links: race-free within the process).
 * - `ifMatch` reads the object's etag and renames over it (or, for a delete, removes it) under the
 *   store's per-key lock: race-free against writes and deletes through the same store object, not
 *   against other processes or other store objects over the same directory.
 * - Reads open the file once: a `get` streams the version it opened even if it is replaced or
 *   deleted meanwhile (on POSIX systems).
 * - `list` walks only the directories that can hold keys with the prefix, in UTF-8 byte order.
 * - Deleting the last object in a directory removes the now empty directories above it.
 */
export function createFileSystemStore(options: FileSystemStoreOptions): BlobStore {
  const r = readOptions(options);
  const root = resolve(
    r.string('root', {
      notBlank: true,
      pattern: /^[^\0]*$/,
      rule: 'a non-empty directory path (without NUL)',
      required: true,
    }),
  );
  const name = r.string('name', { default: `fs:${root}` });
  r.done();
  const files = new ObjectFiles(root, name);
  const failure = files.failure.bind(files);
  const recordAt = files.recordAt.bind(files);

  return defineBlobStore({
    name,

    async put(request: PutRequest, { signal }: StoreCall): Promise<BlobInfo> {
      const { key, body } = request;
      const { file } = locate(root, key);
      // Checked before the body is read (a cheap refusal), and again under the lock at the commit.
      if (request.ifNoneMatch && (await pathExists(file))) throw files.preconditionFailed(key);
      if (request.ifMatch !== undefined) await files.checkEtag(file, key, request.ifMatch);
      return files.put(key, body, request, { absent: request.ifNoneMatch, etag: request.ifMatch }, signal);
    },

    async get({ key, range }: GetRequest, { signal }: StoreCall): Promise<GetResult> {
      const { file } = locate(root, key);
      await refuseSymlinks(root, file, 'read', key, name);
      let handle: FileHandle;
      try {
        handle = await open(file, READ_NOFOLLOW);
      } catch (err) {
        if (hasCode(err, 'ENOENT', 'ENOTDIR')) throw new NotFoundError(key, { target: name, cause: err });
        if (hasCode(err, 'ELOOP')) throw symlinkError(relative(root, file), 'read', key, name);
        throw failure(err, 'read', key, signal);
      }
      try {
        const record = await files.checkedRecord(handle, key);
        throwIfAborted(signal);
        const span = resolveRange(range, record.size);
        let body: Readable;
        if (span) {
          body = handle.createReadStream({ start: span.start, end: span.end, highWaterMark: CHUNK_BYTES });
        } else {
          await handle.close();
          body = Readable.from([]);
        }
        return { info: toBlobInfo(record), body: abortableStream(body, signal) };
      } catch (err) {
        await handle.close().catch(() => {});
        throw failure(err, 'read', key, signal);
      }
    },

    async head(key: string): Promise<BlobInfo | null> {
      const { file } = locate(root, key);
      await refuseSymlinks(root, file, 'read', key, name);
      const record = await recordAt(file, key);
      return record ? toBlobInfo(record) : null;
    },

    async exists(key: string, { signal }: StoreCall): Promise<boolean> {
      const { file } = locate(root, key);
      await refuseSymlinks(root, file, 'check', key, name);
      try {
        return await pathExists(file);
      } catch (err) {
        throw failure(err, 'check', key, signal);
      }
    },

    async delete({ key, ifMatch }: DeleteRequest, { signal }: StoreCall): Promise<void> {
      const { dir, file } = locate(root, key);
      await refuseSymlinks(root, file, 'delete', key, name);
      try {
        await files.locked(file, async () => {
          if (ifMatch !== undefined) {
            // Checked under the lock, at the moment of the delete (see the store's notes on ifMatch).
            const current = await recordAt(file, key);
            if (current === undefined) return;
            if (current.etag !== ifMatch) throw ifMatchFailed(key, name, true);
          }
          await removeFile(file);
        });
      } catch (err) {
        throw failure(err, 'delete', key, signal);
      }
      await syncDir(dir);
      await removeEmptyDirs(root, dir).catch(() => {});
    },

    async copy({ from, to, ifNoneMatch }: CopyRequest, { signal }: StoreCall): Promise<BlobInfo> {
      const source = locate(root, from).file;
      await refuseSymlinks(root, source, 'read', from, name);
      if (!(await recordAt(source, from))) throw new NotFoundError(from, { target: name });
      if (ifNoneMatch && (await pathExists(locate(root, to).file))) throw files.preconditionFailed(to);
      return files.copy(from, to, { absent: ifNoneMatch, etag: undefined }, signal);
    },

    list: ({ prefix = '', delimiter, signal }: ListRequest) =>
      listFiles(root, prefix, delimiter, signal, files),
  });
}

/** The objects below `root` whose keys start with `prefix`, grouped at `delimiter`, in key order. */
async function* listFiles(
  root: string,
  prefix: string,
  delimiter: string | undefined,
  signal: AbortSignal | undefined,
  files: ObjectFiles,
): AsyncGenerator<ListEntry> {
  const recordAt = files.recordAt.bind(files);
  const state: WalkState = { skip: undefined };
  const found = walkObjects(root, prefix, state, recordAt);
  try {
    while (true) {
      let entry: ListEntry | undefined;
      try {
        const next = await found.next();
        if (next.done) return;
        const common = commonPrefixOf(next.value.key, prefix, delimiter);
        if (common !== undefined) {
          state.skip = common;
          entry = { prefix: common };
        } else {
          const record = next.value.record ?? (await recordAt(next.value.file, next.value.key));
          entry = record && toBlobInfo(record);
        }
      } catch (err) {
        throw files.failure(err, 'list', prefix, signal);
      }
      if (entry) yield entry;
    }
  } finally {
    await found.return(undefined);
  }
}
