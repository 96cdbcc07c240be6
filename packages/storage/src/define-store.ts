import { readOptions } from '@failover/core';
import { throwIfAborted } from './abort.js';
import type { NormalizedBody } from './body.js';
import { checkCallOptions } from './call-options.js';
import { normalizeDeleteOptions } from './delete-options.js';
import type { IoWatch } from './io/watch.js';
import { validateKey } from './keys.js';
import { normalizeMetadata } from './metadata.js';
import type { PresignedUrl, Presigner, PresignOptions } from './presign-types.js';
import {
  checkPutSize,
  type NormalizedPutOptions,
  normalizeIfMatch,
  normalizeIfNoneMatch,
  normalizePutBody,
  normalizePutOptions,
  putBodyMd5,
} from './put-options.js';
import { validateListOptions, validateRange } from './range.js';
import type {
  BlobBody,
  BlobInfo,
  BlobStore,
  ByteRange,
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

/** A {@link BlobStore} method, as {@link BlobStoreAdapter.watch} is told which one runs. */
export type StoreOperation = 'put' | 'get' | 'head' | 'exists' | 'delete' | 'copy' | 'setMetadata' | 'list';

/** What one call of an adapter gets besides its request. */
export interface StoreCall {
  /** The caller's signal (checked: an `AbortSignal`, not aborted when the adapter is called). */
  readonly signal: AbortSignal | undefined;
  /**
   * The call's request watchdog, already running the adapter's method (see
   * {@link BlobStoreAdapter.watch}); `undefined` for an adapter without one.
   */
  readonly watch: IoWatch | undefined;
}

/** A `put`, checked: {@link PutOptions} normalized, the body as bytes or a stream. */
export interface PutRequest extends Omit<NormalizedPutOptions, 'signal'> {
  readonly key: string;
  /**
   * The body. Bytes have the announced `size` when one was given (checked); a stream's length is
   * the adapter's to check. A caller's `md5` comes only with bytes (refused with a stream).
   */
  readonly body: NormalizedBody;
}

/** A `get`, checked. */
export interface GetRequest {
  readonly key: string;
  /** Validated (`start` and `end` integers, `end >= start`); not yet clamped to the object. */
  readonly range: ByteRange | undefined;
}

/** A `delete`, checked. */
export interface DeleteRequest {
  readonly key: string;
  /** Delete only this version (see {@link DeleteOptions.ifMatch}). */
  readonly ifMatch: string | undefined;
}

/** A `copy`, checked. */
export interface CopyRequest {
  readonly from: string;
  readonly to: string;
  /** Copy only when nothing exists at `to`. */
  readonly ifNoneMatch: boolean;
}

/** A `setMetadata`, checked: metadata keys lowercased and validated. */
export interface SetMetadataRequest {
  readonly key: string;
  readonly metadata: Record<string, string>;
  readonly ifMatch: string | undefined;
}

/** A `list`, checked. */
export interface ListRequest {
  readonly prefix: string | undefined;
  readonly delimiter: string | undefined;
  readonly pageSize: number | undefined;
  readonly signal: AbortSignal | undefined;
  /**
   * A new request watchdog for one page (each page is one call under the timeouts); `undefined`
   * for an adapter without {@link BlobStoreAdapter.watch}.
   */
  pageWatch(): IoWatch | undefined;
}

/**
 * The provider-specific half of a {@link BlobStore}: what {@link defineBlobStore} calls with
 * requests it has already checked. An adapter maps each request onto its backend (an SDK client,
 * a directory, a map) and the backend's errors onto the library's (`NotFoundError`,
 * `PreconditionFailedError`, `StorageError` with a `kind`); it does not validate keys or options
 * again, nor look at an already aborted signal.
 */
export interface BlobStoreAdapter {
  /** The store's name (`target` of its errors). */
  readonly name: string;
  /**
   * The request watchdog of one call (cloud adapters: their `timeouts` with the call's own over
   * them). Each call's adapter method runs inside it (`watch.run`), and a put's stream body is
   * released when it fails. Without it, calls run unwatched (stores with no network).
   */
  watch?(operation: StoreOperation, key: string | undefined, options: OperationOptions): IoWatch;
  /** Writes the object (honouring `ifNoneMatch` / `ifMatch`) and returns its info. */
  put(request: PutRequest, call: StoreCall): Promise<BlobInfo>;
  /** Reads the object, or the range of it (clamped to its size); missing: `NotFoundError`. */
  get(request: GetRequest, call: StoreCall): Promise<GetResult>;
  /** The object's info, or `null` when there is none. */
  head(key: string, call: StoreCall): Promise<BlobInfo | null>;
  /** Whether an object exists at `key`. Default: `head` answered something. */
  exists?(key: string, call: StoreCall): Promise<boolean>;
  /** Deletes the object; a missing one is not an error. */
  delete(request: DeleteRequest, call: StoreCall): Promise<void>;
  /** Copies `from` to `to` within the store; missing source: `NotFoundError` for `from`. */
  copy(request: CopyRequest, call: StoreCall): Promise<BlobInfo>;
  /** Optional, as {@link BlobStore.setMetadata} is. */
  setMetadata?(request: SetMetadataRequest, call: StoreCall): Promise<BlobInfo>;
  /** The entries in key order; the facade stops at an abort between entries. */
  list(request: ListRequest): AsyncIterable<ListEntry>;
  /** Optional, as {@link BlobStore.presign} is; its checks are the adapter's (see `presign.ts`). */
  presign?(key: string, options?: PresignOptions): Promise<PresignedUrl>;
}

/**
 * The store {@link defineBlobStore} returns: a {@link BlobStore}, with `presign` (a
 * {@link Presigner}) and `setMetadata` when the adapter has them.
 */
export type DefinedBlobStore<A extends BlobStoreAdapter> = BlobStore &
  (A extends { presign: NonNullable<BlobStoreAdapter['presign']> } ? Presigner : unknown) &
  (A extends { setMetadata: NonNullable<BlobStoreAdapter['setMetadata']> }
    ? Required<Pick<BlobStore, 'setMetadata'>>
    : unknown);

/**
 * A {@link BlobStore} over a small {@link BlobStoreAdapter}, doing once what every store does
 * before and around its provider's call, so that a bad call fails the same way on every store:
 *
 * - the key first (`InvalidKeyError`), then the options, each named in its
 *   `InvalidArgumentError` with the key and the store (`checkCallOptions`,
 *   `normalizePutOptions`, `validateRange`, `normalizeDeleteOptions`, `normalizeIfNoneMatch`,
 *   `normalizeMetadata`, `validateListOptions`);
 * - a put's body: bytes or a stream (`InvalidArgumentError` on `body`), a caller's `md5` only
 *   with bytes, a `size` that the bytes must have;
 * - a signal that has already aborted: `AbortedError` (with the store as `target`) before anything
 *   is sent, a put's stream released;
 * - the call's request watchdog, when the adapter has one; a put's stream body released as soon as
 *   the call fails (a stalled upload, an error), so the caller's source never stays open;
 * - `exists` from `head` when the adapter has no cheaper way;
 * - `list`: the abort checked between entries.
 *
 * docs/storage.md ("Writing your own store") has a whole adapter; run `blobStoreContract` from
 * `@failover/testkit/contract` against the result.
 */
export function defineBlobStore<A extends BlobStoreAdapter>(adapter: A): DefinedBlobStore<A> {
  const name = checkAdapter(adapter);

  /** Runs `fn` under the call's watchdog, when the adapter has one. */
  const run = <T>(
    operation: StoreOperation,
    key: string | undefined,
    options: OperationOptions,
    fn: (call: StoreCall) => Promise<T>,
  ): Promise<T> => {
    const watch = adapter.watch?.(operation, key, options);
    const call: StoreCall = { signal: options.signal, watch };
    return watch === undefined ? fn(call) : watch.run(() => fn(call));
  };

  const store: BlobStore = {
    name,

    async put(key: string, body: BlobBody, options?: PutOptions): Promise<BlobInfo> {
      validateKey(key);
      const { signal, ...opts } = normalizePutOptions(key, options, name);
      const normalized = normalizePutBody(body, key, name);
      const release = (): void => {
        if (normalized.type === 'stream' && !normalized.stream.destroyed) normalized.stream.destroy();
      };
      try {
        if (normalized.type === 'stream')
          putBodyMd5(opts.md5, normalized, key, name); // refuses an md5
        else checkPutSize(opts.size, normalized.bytes.byteLength, key, name);
        throwIfAborted(signal, name);
      } catch (err) {
        release();
        throw err;
      }
      const request: PutRequest = { key, body: normalized, ...opts };
      return run('put', key, options ?? {}, async (call) => {
        // A stalled or cut upload fails the call at once: the caller's stream is released then.
        const off = call.watch?.onFailure(release);
        try {
          return await adapter.put(request, call);
        } catch (err) {
          release();
          throw err;
        } finally {
          off?.();
        }
      });
    },

    async get(key: string, options?: GetOptions): Promise<GetResult> {
      validateKey(key);
      const o = checkCallOptions(options, { key, target: name });
      validateRange(o.range, key);
      throwIfAborted(o.signal, name);
      return run('get', key, o, (call) => adapter.get({ key, range: o.range }, call));
    },

    async head(key: string, options?: OperationOptions): Promise<BlobInfo | null> {
      validateKey(key);
      const o = checkCallOptions(options, { key, target: name });
      throwIfAborted(o.signal, name);
      return run('head', key, o, (call) => adapter.head(key, call));
    },

    async exists(key: string, options?: OperationOptions): Promise<boolean> {
      validateKey(key);
      const o = checkCallOptions(options, { key, target: name });
      throwIfAborted(o.signal, name);
      return run('exists', key, o, async (call) =>
        adapter.exists === undefined ? (await adapter.head(key, call)) !== null : adapter.exists(key, call),
      );
    },

    async delete(key: string, options?: DeleteOptions): Promise<void> {
      validateKey(key);
      const { ifMatch, signal } = normalizeDeleteOptions(key, options, name);
      throwIfAborted(signal, name);
      return run('delete', key, options ?? {}, (call) => adapter.delete({ key, ifMatch }, call));
    },

    async copy(from: string, to: string, options?: CopyOptions): Promise<BlobInfo> {
      validateKey(from);
      validateKey(to);
      const o = checkCallOptions(options, { key: to, target: name });
      const ifNoneMatch = normalizeIfNoneMatch(o.ifNoneMatch, to, name);
      throwIfAborted(o.signal, name);
      return run('copy', to, o, (call) => adapter.copy({ from, to, ifNoneMatch }, call));
    },

    async *list(options?: ListOptions): AsyncGenerator<ListEntry> {
      validateListOptions(options);
      const o = options ?? {};
      const { signal } = o;
      throwIfAborted(signal, name);
      const entries = adapter.list({
        prefix: o.prefix,
        delimiter: o.delimiter,
        pageSize: o.pageSize,
        signal,
        pageWatch: () => adapter.watch?.('list', undefined, o),
      });
      for await (const entry of entries) {
        throwIfAborted(signal, name);
        yield entry;
      }
    },
  };

  const { setMetadata, presign } = adapter;
  if (setMetadata !== undefined) {
    store.setMetadata = async (key, metadata, options?: SetMetadataOptions) => {
      validateKey(key);
      const { ifMatch: given, ...rest } = checkCallOptions(options, { key, target: name });
      const ifMatch = normalizeIfMatch(given, key, name);
      const normalized = normalizeMetadata(metadata, key);
      throwIfAborted(rest.signal, name);
      return run('setMetadata', key, rest, (call) =>
        setMetadata.call(adapter, { key, metadata: normalized, ifMatch }, call),
      );
    };
  }
  if (presign !== undefined) store.presign = (key, options) => presign.call(adapter, key, options);
  return store as DefinedBlobStore<A>;
}

/** The methods every adapter has, and those it may have. */
const REQUIRED_METHODS = ['put', 'get', 'head', 'delete', 'copy', 'list'] as const;
const OPTIONAL_METHODS = ['watch', 'exists', 'setMetadata', 'presign'] as const;

/**
 * Checks the adapter's shape at once (an `InvalidOptionError` naming the missing or wrong member,
 * `adapter.put`...), so a mistake fails when the store is defined, not at its first call. Extra
 * members are the adapter's own business. Returns the store's name.
 */
function checkAdapter(adapter: BlobStoreAdapter): string {
  const r = readOptions(adapter, 'adapter');
  const name = r.string('name', { notBlank: true, required: true });
  for (const method of REQUIRED_METHODS) r.function(method, { required: true });
  for (const method of OPTIONAL_METHODS) r.function(method);
  return name;
}
