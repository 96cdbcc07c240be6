import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, type FileHandle, open } from 'node:fs/promises';
import { relative } from 'node:path';
import { FailoverError } from '@failover/core';
import { abortedError, throwIfAborted } from '../abort.js';
import type { NormalizedBody } from '../body.js';
import { forEachChunk } from '../chunks.js';
import { InvalidArgumentError, NotFoundError, PreconditionFailedError, StorageError } from '../errors.js';
import { createKeyedLock } from '../keyed-lock.js';
import { checkPutSize, ifMatchFailed, type NormalizedPutOptions } from '../put-options.js';
import { newEtag, type ObjectRecord, toBlobInfo } from '../record.js';
import type { BlobInfo } from '../types.js';
import { fsError, hasCode } from './errors.js';
import {
  commitFile,
  createTempFile,
  pathExists,
  removeEmptyDirs,
  removeFile,
  syncDir,
  writeFully,
} from './files.js';
import { locate } from './layout.js';
import { encodeTrailer, readRecord } from './object-file.js';
import { READ_NOFOLLOW, refuseSymlinks, symlinkError } from './symlinks.js';

/** What a write requires of the object it replaces. */
export interface WriteCondition {
  /** No object may exist at the key (`ifNoneMatch: '*'`). */
  readonly absent: boolean;
  /** The object at the key must have this etag (`ifMatch`). */
  readonly etag: string | undefined;
}

/** What the content-writing step of a write produced. */
interface Written {
  readonly size: number;
  readonly md5: string;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A temporary file whose handle the content-writing step may replace (copy reopens it). */
interface Temp {
  readonly path: string;
  handle: FileHandle | undefined;
}

/**
 * The object files of a filesystem store under `root`: reading their records, and writing them
 * atomically (a temporary file, fsynced, renamed or hard-linked into place under a per-file lock).
 * Errors are the store's (`target` is `name`); keys are checked by the store first.
 */
export class ObjectFiles {
  readonly #lock = createKeyedLock();

  constructor(
    readonly root: string,
    readonly name: string,
  ) {}

  /** The library error for `err`, met during `operation` on `key` (an abort wins). */
  failure(err: unknown, operation: string, key: string, signal?: AbortSignal): Error {
    if (err instanceof FailoverError) return err;
    if (signal?.aborted) return abortedError(signal);
    return fsError(err, operation, key, this.name);
  }

  /** Runs `task` under the lock of the object file `file`. */
  locked<T>(file: string, task: () => Promise<T>): Promise<T> {
    return this.#lock(file, task);
  }

  /** The record of the object file at `file`, or `undefined` when there is none. */
  async recordAt(file: string, key: string | undefined): Promise<ObjectRecord | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(file, READ_NOFOLLOW);
    } catch (err) {
      if (hasCode(err, 'ENOENT', 'ENOTDIR')) return undefined;
      if (hasCode(err, 'ELOOP')) throw symlinkError(relative(this.root, file), 'read', key ?? '', this.name);
      throw this.failure(err, 'read', key ?? '');
    }
    try {
      return await this.checkedRecord(handle, key);
    } finally {
      await handle.close().catch(() => {});
    }
  }

  /** Reads a record and checks it belongs to `key` (when known). */
  async checkedRecord(handle: FileHandle, key: string | undefined): Promise<ObjectRecord> {
    const record = await readRecord(handle, key ?? '', this.name);
    if (key !== undefined && record.key !== key) {
      throw new StorageError('unknown', `Stored object ${JSON.stringify(key)} is corrupt: key mismatch`, {
        key,
        target: this.name,
      });
    }
    return record;
  }

  preconditionFailed(key: string, cause?: unknown): PreconditionFailedError {
    return new PreconditionFailedError(key, {
      target: this.name,
      reason: 'an object exists at the key',
      cause,
    });
  }

  /** Throws the `ifMatch` failure unless the object file at `file` has `etag`. */
  async checkEtag(file: string, key: string, etag: string): Promise<void> {
    const current = await this.recordAt(file, key);
    if (current?.etag !== etag) throw ifMatchFailed(key, this.name, current !== undefined);
  }

  /** Writes `content` as the object at `key`, hashing MD5 on the way; checks the size and MD5 the caller gave. */
  put(
    key: string,
    content: NormalizedBody,
    fields: Pick<NormalizedPutOptions, 'contentType' | 'metadata' | 'md5' | 'size'>,
    condition: WriteCondition,
    signal: AbortSignal | undefined,
  ): Promise<BlobInfo> {
    const name = this.name;
    return this.#write(key, condition, signal, async (temp) => {
      const handle = temp.handle!;
      const md5 = createHash('md5');
      let size = 0;
      const write = async (chunk: Uint8Array): Promise<void> => {
        md5.update(chunk);
        size += chunk.byteLength;
        try {
          await writeFully(handle, chunk);
        } catch (err) {
          throw fsError(err, 'write', key, name); // a disk failure, not a failure of the body
        }
      };
      // A copy of given bytes: the caller changing them meanwhile cannot split hash and content.
      if (content.type === 'bytes') await write(Buffer.from(content.bytes));
      else await forEachChunk(content.stream, signal, write, key);
      throwIfAborted(signal);
      checkPutSize(fields.size, size, key, name);
      const digest = md5.digest('hex');
      if (fields.md5 !== undefined && fields.md5 !== digest) {
        throw new InvalidArgumentError('md5', 'does not match the body', { key, target: name });
      }
      return { size, md5: digest, contentType: fields.contentType, metadata: fields.metadata };
    });
  }

  /**
   * Copies the object file of `from` (a copy-on-write clone where the filesystem has one) as the
   * object at `to`, with the record of the bytes copied, whatever happened to the source meanwhile.
   */
  copy(
    from: string,
    to: string,
    condition: WriteCondition,
    signal: AbortSignal | undefined,
  ): Promise<BlobInfo> {
    const source = locate(this.root, from).file;
    return this.#write(to, condition, signal, async (temp) => {
      // Reopen after the copy: a copy-on-write clone may replace the file rather than fill it.
      await temp.handle!.close();
      temp.handle = undefined;
      try {
        await copyFile(source, temp.path, constants.COPYFILE_FICLONE);
      } catch (err) {
        if (hasCode(err, 'ENOENT') && !(await pathExists(source))) {
          throw new NotFoundError(from, { target: this.name, cause: err });
        }
        throw err;
      }
      temp.handle = await open(temp.path, 'r+');
      const record = await this.checkedRecord(temp.handle, from);
      throwIfAborted(signal);
      return {
        size: record.size,
        md5: record.md5,
        contentType: record.contentType,
        metadata: record.metadata,
      };
    });
  }

  /**
   * Writes the object at `key`: `fill` writes the content into a temporary file and says what it
   * wrote; the trailer is appended, the file fsynced and moved into place (see `commitFile`).
   * Whatever fails, the temporary file is removed and no object is changed.
   */
  async #write(
    key: string,
    condition: WriteCondition,
    signal: AbortSignal | undefined,
    fill: (temp: Temp) => Promise<Written>,
  ): Promise<BlobInfo> {
    const { root, name } = this;
    const { dir, file } = locate(root, key);
    await refuseSymlinks(root, file, 'write', key, name);
    let temp: Temp | undefined;
    try {
      const created = await createTempFile(dir);
      temp = { path: created.path, handle: created.handle };
      const written = await fill(temp);
      const record: ObjectRecord = {
        key,
        size: written.size,
        contentType: written.contentType,
        metadata: written.metadata,
        etag: newEtag(),
        md5: written.md5,
        lastModified: Date.now(),
      };
      const handle = temp.handle!;
      const trailer = encodeTrailer(record);
      await handle.truncate(written.size);
      await writeFully(handle, trailer, written.size);
      await handle.sync();
      temp.handle = undefined;
      await handle.close();
      throwIfAborted(signal);
      const path = temp.path;
      await this.#lock(file, async () => {
        if (condition.etag !== undefined) await this.checkEtag(file, key, condition.etag);
        if (!(await commitFile(path, file, condition.absent))) throw this.preconditionFailed(key);
      });
      temp = undefined;
      await syncDir(dir);
      return toBlobInfo(record);
    } catch (err) {
      if (temp) {
        await temp.handle?.close().catch(() => {});
        await removeFile(temp.path).catch(() => {});
        await removeEmptyDirs(root, dir).catch(() => {});
      }
      throw this.failure(err, 'write', key, signal);
    }
  }
}
