import { type FileHandle, open } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { readOptions } from '@failover/core';
import { abortableStream, throwIfAborted } from '../abort.js';
import { checkCallOptions } from '../call-options.js';
import { normalizeDeleteOptions } from '../delete-options.js';
import { NotFoundError } from '../errors.js';
import { validateKey } from '../keys.js';
import { commonPrefixOf } from '../list-prefix.js';
import {
  ifMatchFailed,
  normalizeIfNoneMatch,
  normalizePutBody,
  normalizePutOptions,
  putBodyMd5,
} from '../put-options.js';
import { resolveRange, validateListOptions, validateRange } from '../range.js';
import { toBlobInfo } from '../record.js';
import type {
  BlobBody,
  BlobInfo,
  BlobStore,
  CopyOptions,
  DeleteOptions,
  GetOptions,
  GetResult,
  ListEntry,
  ListOptions,
  OperationOptions,
  PutOptions,
} from '../types.js';
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

  return {
    name,

    async put(key: string, body: BlobBody, options?: PutOptions): Promise<BlobInfo> {
      validateKey(key);
      const opts = normalizePutOptions(key, options, name);
      const input = normalizePutBody(body, key);
      if (input.type === 'stream') putBodyMd5(opts.md5, input, key, name); // refuses an md5
      throwIfAborted(opts.signal);
      const { file } = locate(root, key);
      // Checked before the body is read (a cheap refusal), and again under the lock at the commit.
      if (opts.ifNoneMatch && (await pathExists(file))) throw files.preconditionFailed(key);
      if (opts.ifMatch !== undefined) await files.checkEtag(file, key, opts.ifMatch);
      return files.put(key, input, opts, { absent: opts.ifNoneMatch, etag: opts.ifMatch }, opts.signal);
    },

    async get(key: string, options: GetOptions = {}): Promise<GetResult> {
      validateKey(key);
      checkCallOptions(options, { key, target: name });
      validateRange(options.range, key);
      const { signal } = options;
      throwIfAborted(signal);
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
        const span = resolveRange(options.range, record.size);
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

    async head(key: string, options: OperationOptions = {}): Promise<BlobInfo | null> {
      validateKey(key);
      checkCallOptions(options, { key, target: name });
      throwIfAborted(options.signal);
      const { file } = locate(root, key);
      await refuseSymlinks(root, file, 'read', key, name);
      const record = await recordAt(file, key);
      return record ? toBlobInfo(record) : null;
    },

    async exists(key: string, options: OperationOptions = {}): Promise<boolean> {
      validateKey(key);
      checkCallOptions(options, { key, target: name });
      throwIfAborted(options.signal);
      const { file } = locate(root, key);
      await refuseSymlinks(root, file, 'check', key, name);
      try {
        return await pathExists(file);
      } catch (err) {
        throw failure(err, 'check', key, options.signal);
      }
    },

    async delete(key: string, options?: DeleteOptions): Promise<void> {
      validateKey(key);
      const { ifMatch, signal } = normalizeDeleteOptions(key, options, name);
      throwIfAborted(signal);
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

    async copy(from: string, to: string, options: CopyOptions = {}): Promise<BlobInfo> {
      validateKey(from);
      validateKey(to);
      checkCallOptions(options, { key: to, target: name });
      const ifNoneMatch = normalizeIfNoneMatch(options.ifNoneMatch, to);
      const { signal } = options;
      throwIfAborted(signal);
      const source = locate(root, from).file;
      await refuseSymlinks(root, source, 'read', from, name);
      if (!(await recordAt(source, from))) throw new NotFoundError(from, { target: name });
      if (ifNoneMatch && (await pathExists(locate(root, to).file))) throw files.preconditionFailed(to);
      return files.copy(from, to, { absent: ifNoneMatch, etag: undefined }, signal);
    },

    async *list(options: ListOptions = {}): AsyncGenerator<ListEntry> {
      validateListOptions(options);
      const { signal, delimiter } = options;
      const prefix = options.prefix ?? '';
      throwIfAborted(signal);
      const state: WalkState = { skip: undefined };
      const found = walkObjects(root, prefix, state, recordAt);
      try {
        while (true) {
          let entry: ListEntry | undefined;
          try {
            const next = await found.next();
            if (next.done) return;
            throwIfAborted(signal);
            const common = commonPrefixOf(next.value.key, prefix, delimiter);
            if (common !== undefined) {
              state.skip = common;
              entry = { prefix: common };
            } else {
              const record = next.value.record ?? (await recordAt(next.value.file, next.value.key));
              entry = record && toBlobInfo(record);
            }
          } catch (err) {
            throw failure(err, 'list', prefix, signal);
          }
          if (entry) yield entry;
        }
      } finally {
        await found.return(undefined);
      }
    },
  };
}
