import { Readable } from 'node:stream';
import { readOptions } from '@failover/core';
import { abortableStream, throwIfAborted } from './abort.js';
import { checkCallOptions } from './call-options.js';
import { collectStream } from './chunks.js';
import { normalizeDeleteOptions } from './delete-options.js';
import { NotFoundError, PreconditionFailedError } from './errors.js';
import { validateKey } from './keys.js';
import { type ListCursor, MemoryObjects } from './memory-objects.js';
import { normalizeMetadata } from './metadata.js';
import {
  checkPutMd5,
  checkPutSize,
  ifMatchFailed,
  normalizeIfNoneMatch,
  normalizePutBody,
  normalizePutOptions,
  putBodyMd5,
} from './put-options.js';
import { resolveRange, validateListOptions, validateRange } from './range.js';
import { toBlobInfo } from './record.js';
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
  SetMetadataOptions,
} from './types.js';

/** Options for {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** The store's name in logs, events and errors' `target`. Default `memory`. */
  name?: string;
}

/** Bytes per chunk of a `get` body. */
const CHUNK_BYTES = 64 * 1024;
/** Entries per list page when no `pageSize` is given (the clouds' default). */
const DEFAULT_PAGE_SIZE = 1000;

/**
 * A {@link BlobStore} in process memory, faithful to the contract every store passes: bytes are
 * copied in and out (mutating a buffer after `put` or after `get` changes nothing stored), every
 * write gets a new etag and `lastModified`, an MD5 is computed for every object, metadata keys are
 * lowercased, ranges are clamped like the clouds do, `list` pages through keys in UTF-8 byte order
 * (later pages see writes made after earlier ones, as on S3), `ifNoneMatch: '*'` and `ifMatch` are
 * checked at the moment of the write (and `ifMatch` of a delete at the moment of the delete), and every call honours its `AbortSignal`.
 *
 * Contents live as long as the store object; nothing is persisted. For tests, examples and caches.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): BlobStore {
  const r = readOptions(options);
  const name = r.string('name', { default: 'memory' });
  r.done();
  const objects = new MemoryObjects();

  return {
    name,

    async put(key: string, body: BlobBody, options?: PutOptions): Promise<BlobInfo> {
      validateKey(key);
      const opts = normalizePutOptions(key, options, name);
      const input = normalizePutBody(body, key);
      if (input.type === 'stream') putBodyMd5(opts.md5, input, key, name); // refuses an md5
      throwIfAborted(opts.signal);
      const refuse = () => {
        if (opts.ifNoneMatch && objects.has(key)) {
          throw new PreconditionFailedError(key, { target: name, reason: 'an object exists at the key' });
        }
        if (opts.ifMatch !== undefined) {
          const current = objects.get(key);
          if (current?.record.etag !== opts.ifMatch) throw ifMatchFailed(key, name, current !== undefined);
        }
      };
      refuse();
      const bytes =
        input.type === 'bytes'
          ? Buffer.from(input.bytes)
          : await collectStream(input.stream, opts.signal, key);
      checkPutSize(opts.size, bytes.length, key, name);
      throwIfAborted(opts.signal);
      refuse(); // checked again at the moment of the write: another put may have finished meanwhile
      const md5 = checkPutMd5(opts.md5, bytes, key, name);
      return objects.commit(
        key,
        { size: bytes.length, contentType: opts.contentType, metadata: opts.metadata, md5 },
        bytes,
      );
    },

    async get(key: string, options: GetOptions = {}): Promise<GetResult> {
      validateKey(key);
      checkCallOptions(options, { key, target: name });
      validateRange(options.range, key);
      throwIfAborted(options.signal);
      const entry = objects.get(key);
      if (!entry) throw new NotFoundError(key, { target: name });
      const span = resolveRange(options.range, entry.bytes.length);
      const body = Readable.from(chunks(entry.bytes, span), { objectMode: false });
      return { info: toBlobInfo(entry.record), body: abortableStream(body, options.signal) };
    },

    async head(key: string, options: OperationOptions = {}): Promise<BlobInfo | null> {
      validateKey(key);
      checkCallOptions(options, { key, target: name });
      throwIfAborted(options.signal);
      const entry = objects.get(key);
      return entry ? toBlobInfo(entry.record) : null;
    },

    async exists(key: string, options: OperationOptions = {}): Promise<boolean> {
      validateKey(key);
      checkCallOptions(options, { key, target: name });
      throwIfAborted(options.signal);
      return objects.has(key);
    },

    async delete(key: string, options?: DeleteOptions): Promise<void> {
      validateKey(key);
      const { ifMatch, signal } = normalizeDeleteOptions(key, options, name);
      throwIfAborted(signal);
      const current = objects.get(key);
      if (current === undefined) return;
      if (ifMatch !== undefined && current.record.etag !== ifMatch) throw ifMatchFailed(key, name, true);
      objects.delete(key);
    },

    async copy(from: string, to: string, options: CopyOptions = {}): Promise<BlobInfo> {
      validateKey(from);
      validateKey(to);
      checkCallOptions(options, { key: to, target: name });
      const ifNoneMatch = normalizeIfNoneMatch(options.ifNoneMatch, to);
      throwIfAborted(options.signal);
      const source = objects.get(from);
      if (!source) throw new NotFoundError(from, { target: name });
      if (ifNoneMatch && objects.has(to)) {
        throw new PreconditionFailedError(to, { target: name, reason: 'an object exists at the key' });
      }
      const { size, contentType, metadata, md5 } = source.record;
      return objects.commit(to, { size, contentType, metadata, md5 }, source.bytes);
    },

    async setMetadata(
      key: string,
      metadata: Record<string, string>,
      options: SetMetadataOptions = {},
    ): Promise<BlobInfo> {
      validateKey(key);
      const { ifMatch, ...rest } = options;
      checkCallOptions(rest, { key, target: name });
      const normalized = normalizeMetadata(metadata, key);
      throwIfAborted(options.signal);
      const entry = objects.get(key);
      if (!entry) throw new NotFoundError(key, { target: name });
      if (ifMatch !== undefined && ifMatch !== entry.record.etag) {
        throw new PreconditionFailedError(key, { target: name, reason: 'the object changed' });
      }
      const { size, contentType, md5 } = entry.record;
      return objects.commit(key, { size, contentType, metadata: normalized, md5 }, entry.bytes);
    },

    async *list(options: ListOptions = {}): AsyncGenerator<ListEntry> {
      validateListOptions(options);
      const prefix = options.prefix ?? '';
      const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
      let cursor: ListCursor | undefined;
      do {
        throwIfAborted(options.signal);
        const result = objects.page(prefix, options.delimiter, pageSize, cursor);
        for (const entry of result.entries) {
          throwIfAborted(options.signal);
          yield entry;
        }
        cursor = result.next;
      } while (cursor);
    },
  };
}

function* chunks(bytes: Buffer, span: { start: number; end: number } | null): Generator<Buffer> {
  if (!span) return;
  for (let at = span.start; at <= span.end; at += CHUNK_BYTES) {
    // A copy: what the reader does with its chunk never reaches the stored bytes.
    yield Buffer.from(bytes.subarray(at, Math.min(at + CHUNK_BYTES, span.end + 1)));
  }
}
