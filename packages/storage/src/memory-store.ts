import { Readable } from 'node:stream';
import { readOptions } from '@failover/core';
import { abortableStream, throwIfAborted } from './abort.js';
import { collectStream } from './chunks.js';
import {
  type CopyRequest,
  type DeleteRequest,
  defineBlobStore,
  type GetRequest,
  type ListRequest,
  type PutRequest,
  type SetMetadataRequest,
  type StoreCall,
} from './define-store.js';
import { NotFoundError, PreconditionFailedError } from './errors.js';
import { type ListCursor, MemoryObjects } from './memory-objects.js';
import { checkPutMd5, checkPutSize, ifMatchFailed } from './put-options.js';
import { resolveRange } from './range.js';
import { toBlobInfo } from './record.js';
import type { BlobInfo, BlobStore, GetResult, ListEntry } from './types.js';

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

  return defineBlobStore({
    name,

    async put({ key, body, ...opts }: PutRequest, { signal }: StoreCall): Promise<BlobInfo> {
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
        body.type === 'bytes' ? Buffer.from(body.bytes) : await collectStream(body.stream, signal, key);
      // A byte body's size was checked before the call; a stream's is known only now.
      if (body.type === 'stream') checkPutSize(opts.size, bytes.length, key, name);
      throwIfAborted(signal);
      refuse(); // checked again at the moment of the write: another put may have finished meanwhile
      const md5 = checkPutMd5(opts.md5, bytes, key, name);
      return objects.commit(
        key,
        { size: bytes.length, contentType: opts.contentType, metadata: opts.metadata, md5 },
        bytes,
      );
    },

    async get({ key, range }: GetRequest, { signal }: StoreCall): Promise<GetResult> {
      const entry = objects.get(key);
      if (!entry) throw new NotFoundError(key, { target: name });
      const span = resolveRange(range, entry.bytes.length);
      const body = Readable.from(chunks(entry.bytes, span), { objectMode: false });
      return { info: toBlobInfo(entry.record), body: abortableStream(body, signal) };
    },

    async head(key: string): Promise<BlobInfo | null> {
      const entry = objects.get(key);
      return entry ? toBlobInfo(entry.record) : null;
    },

    async exists(key: string): Promise<boolean> {
      return objects.has(key);
    },

    async delete({ key, ifMatch }: DeleteRequest): Promise<void> {
      const current = objects.get(key);
      if (current === undefined) return;
      if (ifMatch !== undefined && current.record.etag !== ifMatch) throw ifMatchFailed(key, name, true);
      objects.delete(key);
    },

    async copy({ from, to, ifNoneMatch }: CopyRequest): Promise<BlobInfo> {
      const source = objects.get(from);
      if (!source) throw new NotFoundError(from, { target: name });
      if (ifNoneMatch && objects.has(to)) {
        throw new PreconditionFailedError(to, { target: name, reason: 'an object exists at the key' });
      }
      const { size, contentType, metadata, md5 } = source.record;
      return objects.commit(to, { size, contentType, metadata, md5 }, source.bytes);
    },

    async setMetadata({ key, metadata, ifMatch }: SetMetadataRequest): Promise<BlobInfo> {
      const entry = objects.get(key);
      if (!entry) throw new NotFoundError(key, { target: name });
      if (ifMatch !== undefined && ifMatch !== entry.record.etag) {
        throw new PreconditionFailedError(key, { target: name, reason: 'the object changed' });
      }
      const { size, contentType, md5 } = entry.record;
      return objects.commit(key, { size, contentType, metadata, md5 }, entry.bytes);
    },

    async *list({
      prefix = '',
      delimiter,
      pageSize = DEFAULT_PAGE_SIZE,
    }: ListRequest): AsyncGenerator<ListEntry> {
      let cursor: ListCursor | undefined;
      do {
        const result = objects.page(prefix, delimiter, pageSize, cursor);
        yield* result.entries;
        cursor = result.next;
      } while (cursor);
    },
  });
}

function* chunks(bytes: Buffer, span: { start: number; end: number } | null): Generator<Buffer> {
  if (!span) return;
  for (let at = span.start; at <= span.end; at += CHUNK_BYTES) {
    // A copy: what the reader does with its chunk never reaches the stored bytes.
    yield Buffer.from(bytes.subarray(at, Math.min(at + CHUNK_BYTES, span.end + 1)));
  }
}
