import { Readable } from 'node:stream';
import type { BlobRequestConditions, BlockBlobClient } from '@azure/storage-blob';
import { redactError } from '@failover/core';
import {
  type BlobInfo,
  type BlobStore,
  type BlobStoreAdapter,
  blobInfo,
  type CopyRequest,
  checkPutMd5,
  createIoWatch,
  type DeleteRequest,
  defineBlobStore,
  type GetRequest,
  type GetResult,
  type IoWatch,
  ifMatchFailed,
  type ListEntry,
  type ListRequest,
  NotFoundError,
  type OperationOptions,
  operationIoTimeouts,
  PreconditionFailedError,
  type PresignedUrl,
  type Presigner,
  type PresignOptions,
  type PutRequest,
  prefixedKey,
  putBodyMd5,
  resolveRange,
  type SetMetadataRequest,
  StorageError,
  type StoreCall,
  type StoreOperation,
  sizeCheckedStream,
  type WatchedRequestInfo,
} from '@failover/storage';
import { azureErrorCode, registerAzureClassifier } from './classify.js';
import { copyBlob } from './copy.js';
import { type ErrorContext, mapAzureError, toBodyError } from './errors.js';
import { checksumsOf, infoFromDownload, infoFromProperties, unquoteEtag } from './info.js';
import { listPages } from './list.js';
import { type AzureBlobStoreOptions, type ResolvedAzureBlobStoreOptions, resolveOptions } from './options.js';
import { presignBlob } from './presign.js';
import { abortError, countedUpload, wrapDownload } from './streams.js';
import { dropUncommittedOnly } from './uncommitted.js';
import { watchStagedBlocks } from './upload-watch.js';

/** The largest body `uploadData` sends in one Put Blob (the SDK's default); larger ones go in blocks. */
const SINGLE_SHOT_BYTES = 256 * 1024 * 1024;

/**
 * A `BlobStore` over a `ContainerClient` you already have. Every call goes through that client
 * (its credential, pipeline and retry policy), honours `signal`, and throws `StorageError`s whose
 * `cause` is the SDK's error and whose `target` is the store's name.
 *
 * @example
 * ```ts
 * const service = new BlobServiceClient(url, new DefaultAzureCredential());
 * const store = createAzureBlobStore({ container: service.getContainerClient('assets') });
 * await store.put('a/b.txt', 'hello', { contentType: 'text/plain' });
 * ```
 */
export function createAzureBlobStore(options: AzureBlobStoreOptions): BlobStore & Presigner {
  const resolved = resolveOptions(options);
  registerAzureClassifier();
  return defineBlobStore(new AzureBlobAdapter(resolved));
}

/** The Azure half of the store: {@link defineBlobStore} has checked every request it gets. */
class AzureBlobAdapter implements BlobStoreAdapter {
  readonly name: string;
  readonly #o: ResolvedAzureBlobStoreOptions;

  constructor(options: ResolvedAzureBlobStoreOptions) {
    this.#o = options;
    this.name = options.name;
  }

  /** The request watchdog of one call: the store's `timeouts` with the call's own over them. */
  watch(op: StoreOperation, key: string | undefined, options: OperationOptions): IoWatch {
    const timeouts = operationIoTimeouts(this.#o.timeouts, options.timeouts, key);
    return createIoWatch(timeouts, { target: this.name, operation: `Azure Blob ${op}`, key }, { isCommit });
  }

  async put(request: PutRequest, { signal, watch }: StoreCall): Promise<BlobInfo> {
    const { key, contentType, metadata, ifNoneMatch, ifMatch, size, md5: givenMd5 } = request;
    const blob = this.#o.container.getBlockBlobClient(this.#blobName(key));
    const conditions = putConditions(ifNoneMatch, ifMatch);
    const ctx = this.#ctx('put', key, signal);
    const body = request.body;
    try {
      if (body.type === 'bytes') {
        // The caller's MD5, else one computed from the bytes.
        const md5 = putBodyMd5(givenMd5, body, key, this.name)!;
        // Sent in blocks, which Azure does not check against the blob's MD5: the caller's is checked here.
        if (givenMd5 !== undefined && body.bytes.byteLength > SINGLE_SHOT_BYTES) {
          checkPutMd5(givenMd5, body.bytes, key, this.name);
        }
        const putBytes = () =>
          this.#putBytes(blob, key, body.bytes, md5, contentType, metadata, conditions, ctx);
        return await putBytes().catch(async (err: unknown) => {
          // Over uncommitted blocks only: dropped, and the bytes sent again (once).
          if (ifNoneMatch && (await dropUncommittedOnly(blob, err))) return putBytes();
          throw err;
        });
      }
      const stream = size === undefined ? body.stream : sizeCheckedStream(body.stream, size, key, this.name);
      try {
        return await this.#putStream(blob, key, stream, contentType, metadata, conditions, ctx, watch!);
      } catch (err) {
        // A stream cannot be sent again: its leftovers are dropped, the caller's next put goes through.
        if (ifNoneMatch) await dropUncommittedOnly(blob, err);
        throw err;
      }
    } catch (err) {
      // An If-Match on a missing blob: Azure answers 412 (or, some versions, 404 BlobNotFound).
      if (ifMatch !== undefined && err instanceof NotFoundError) {
        throw ifMatchFailed(key, this.name, false, err.cause);
      }
      throw err;
    }
  }
  async #putBytes(
    blob: BlockBlobClient,
    key: string,
    bytes: Uint8Array,
    md5: Buffer,
    contentType: string,
    metadata: Record<string, string>,
    conditions: BlobRequestConditions | undefined,
    ctx: ErrorContext,
  ): Promise<BlobInfo> {
    // The MD5 (computed from these bytes) is sent as the blob's Content-MD5, which Azure checks on
    // a single Put Blob; the blob has one even when the body goes up in blocks (which otherwise
    // leaves it without).
    const common = {
      blobHTTPHeaders: { blobContentType: contentType, blobContentMD5: md5 },
      metadata,
      ...(conditions ? { conditions } : {}),
      ...(ctx.signal ? { abortSignal: ctx.signal } : {}),
    };
    try {
      // One Put Blob up to 256 MiB (the SDK's single-shot limit), blocks beyond.
      const res = await blob.uploadData(bytes, {
        ...common,
        blockSize: this.#o.blockSize,
        concurrency: this.#o.concurrency,
      });
      return written(key, bytes.byteLength, contentType, metadata, res, checksumsOf(md5));
    } catch (err) {
      throw mapAzureError(err, ctx);
    }
  }

  async #putStream(
    blob: BlockBlobClient,
    key: string,
    stream: Readable,
    contentType: string,
    metadata: Record<string, string>,
    conditions: BlobRequestConditions | undefined,
    ctx: ErrorContext,
    watch: IoWatch,
  ): Promise<BlobInfo> {
    const { counter, release } = countedUpload(stream, ctx.signal);
    watchStagedBlocks(blob, watch);
    try {
      const res = await blob.uploadStream(counter, this.#o.blockSize, this.#o.concurrency, {
        blobHTTPHeaders: { blobContentType: contentType },
        metadata,
        ...(conditions ? { conditions } : {}),
        ...(ctx.signal ? { abortSignal: ctx.signal } : {}),
      });
      // Blocks committed with Put Block List leave the blob without an MD5, and the response's
      // Content-MD5 is that of the block list, not of the content: no checksum is reported.
      return written(key, counter.bytes, contentType, metadata, res, {});
    } catch (err) {
      // Stop reading the caller's stream (and release it) when the service failed the upload.
      if (!counter.destroyed) counter.destroy(abortError(undefined));
      throw mapAzureError(err, ctx);
    } finally {
      release();
    }
  }

  async get({ key, range }: GetRequest, { signal, watch }: StoreCall): Promise<GetResult> {
    const name = this.#blobName(key);
    const ctx = this.#ctx('get', key, signal);
    const blob = this.#o.container.getBlobClient(name);
    const offset = range?.start ?? 0;
    const count = range?.end === undefined ? undefined : range.end - offset + 1;
    // A range that starts at or past the end is answered 416 InvalidRange: the contract wants an
    // empty body with the object's info, so read the info instead. If the object grew in between,
    // read it once more.
    for (let attempt = 0; ; attempt++) {
      let res: Awaited<ReturnType<typeof blob.download>>;
      try {
        res = await blob.download(offset, count, signal ? { abortSignal: signal } : {});
      } catch (err) {
        if (range === undefined || azureErrorCode(err) !== 'InvalidRange' || attempt > 0) {
          throw mapAzureError(err, ctx);
        }
        const info = await this.#properties(name, key, ctx);
        if (info === null) throw new NotFoundError(key, { cause: redactError(err), target: this.name });
        if (resolveRange(range, info.size) === null) return { info, body: Readable.from([]) };
        continue;
      }
      const info = infoFromDownload(key, res, range !== undefined);
      const source = res.readableStreamBody;
      if (!source) {
        throw new StorageError('unknown', `Azure Blob get of ${JSON.stringify(key)}: no response body`, {
          target: this.name,
          key,
        });
      }
      const body = wrapDownload(source as Readable, signal, (err) => toBodyError(watch!.failure ?? err, ctx));
      // A stalled or cut body fails the stream even when the SDK's stream stays silent.
      const off = watch!.onFailure((err) => body.destroy(err));
      body.once('close', off);
      return { info, body };
    }
  }

  head(key: string, { signal }: StoreCall): Promise<BlobInfo | null> {
    return this.#properties(this.#blobName(key), key, this.#ctx('head', key, signal));
  }

  /**
   * Set Blob Metadata: replaces the blob's metadata in place (no byte is sent again); `ifMatch`
   * becomes `If-Match`. Missing blob: `NotFoundError`.
   */
  async setMetadata(
    { key, metadata, ifMatch }: SetMetadataRequest,
    { signal }: StoreCall,
  ): Promise<BlobInfo> {
    const name = this.#blobName(key);
    const ctx = this.#ctx('setMetadata', key, signal);
    try {
      await this.#o.container.getBlobClient(name).setMetadata(metadata, {
        ...(ifMatch === undefined ? {} : { conditions: { ifMatch: `"${ifMatch}"` } }),
        ...(signal ? { abortSignal: signal } : {}),
      });
    } catch (err) {
      throw mapAzureError(err, ctx);
    }
    const info = await this.#properties(name, key, ctx);
    if (info === null) throw new NotFoundError(key, { target: this.name });
    return info;
  }

  /**
   * Delete Blob (`deleteIfExists`: a missing blob is not an error), snapshots included. `ifMatch`
   * becomes `If-Match` on the quoted ETag: Azure deletes only that version, atomically, and
   * answers 412 `ConditionNotMet` (a `PreconditionFailedError`) when the blob is another version.
   * A 412 for a blob that is not there (what Azurite answers) is no error: nothing to delete.
   */
  async delete({ key, ifMatch }: DeleteRequest, { signal }: StoreCall): Promise<void> {
    const name = this.#blobName(key);
    const ctx = this.#ctx('delete', key, signal);
    try {
      // Snapshots go with the blob: Azure refuses to delete a blob that has some otherwise.
      await this.#o.container.getBlobClient(name).deleteIfExists({
        deleteSnapshots: 'include',
        ...(ifMatch === undefined ? {} : { conditions: { ifMatch: `"${ifMatch}"` } }),
        ...(signal ? { abortSignal: signal } : {}),
      });
    } catch (err) {
      const mapped = mapAzureError(err, ctx);
      if (ifMatch === undefined || !(mapped instanceof PreconditionFailedError)) throw mapped;
      // Azure (Azurite at least) answers 412 to an If-Match on a blob that does not exist: a delete
      // of a missing key is no error, so look before reporting the condition as failed.
      if ((await this.#properties(name, key, ctx)) === null) return;
      throw ifMatchFailed(key, this.name, true, mapped.cause);
    }
  }

  async *list({ prefix, delimiter, pageSize, signal, pageWatch }: ListRequest): AsyncGenerator<ListEntry> {
    const ctx = this.#ctx('list', undefined, signal);
    const pages = listPages({
      container: this.#o.container,
      storePrefix: this.#o.prefix,
      prefix,
      delimiter,
      pageSize,
      signal,
    });
    try {
      for (;;) {
        let next: IteratorResult<ListEntry[]>;
        try {
          // Each page is one call under the timeouts.
          next = await pageWatch()!.run(() => pages.next());
        } catch (err) {
          throw mapAzureError(err, ctx);
        }
        if (next.done) return;
        yield* next.value;
      }
    } finally {
      // The caller may stop early: let the page iterator go.
      await pages.return(undefined);
    }
  }

  async copy({ from, to, ifNoneMatch }: CopyRequest, { signal }: StoreCall): Promise<BlobInfo> {
    const destination = this.#blobName(to);
    const container = this.#o.container;
    const ctx = this.#ctx('copy', to, signal);
    try {
      await copyBlob(
        container.getBlobClient(this.#blobName(from)),
        container.getBlobClient(destination),
        ifNoneMatch ? { ifNoneMatch: '*' } : undefined,
        signal,
        (kind, message) =>
          new StorageError(
            kind,
            `Azure Blob copy of ${JSON.stringify(from)} to ${JSON.stringify(to)}: ${message}`,
            {
              target: this.name,
              key: to,
            },
          ),
      );
    } catch (err) {
      const mapped = mapAzureError(err, ctx);
      // A 404 other than a missing container is about the source (the destination may be absent).
      if (mapped instanceof NotFoundError)
        throw new NotFoundError(from, { cause: mapped.cause, target: this.name });
      throw mapped;
    }
    const info = await this.#properties(destination, to, ctx);
    if (info === null) {
      throw new StorageError('unknown', `Azure Blob copy to ${JSON.stringify(to)}: the copy vanished`, {
        target: this.name,
        key: to,
      });
    }
    return info;
  }

  /** Get Blob Properties; `null` when the blob does not exist (a missing container throws). */
  async #properties(name: string, key: string, ctx: ErrorContext): Promise<BlobInfo | null> {
    try {
      const props = await this.#o.container
        .getBlobClient(name)
        .getProperties(ctx.signal ? { abortSignal: ctx.signal } : {});
      return infoFromProperties(key, props);
    } catch (err) {
      const mapped = mapAzureError(err, ctx);
      if (mapped instanceof NotFoundError) return null;
      throw mapped;
    }
  }

  presign(key: string, options?: PresignOptions): Promise<PresignedUrl> {
    return presignBlob(this.#o.container, this.#o.prefix, this.name, key, options);
  }

  /** Validates a key and returns the blob name (store prefix included). */
  #blobName(key: string): string {
    return prefixedKey(this.#o.prefix, key);
  }

  #ctx(op: string, key: string | undefined, signal: AbortSignal | undefined): ErrorContext {
    return {
      target: this.name,
      container: this.#o.container.containerName,
      op,
      ...(key === undefined ? {} : { key }),
      ...(signal ? { signal } : {}),
    };
  }
}

/**
 * The conditions of a put: `ifNoneMatch: '*'` as `If-None-Match: *`, `ifMatch` as `If-Match` on the
 * quoted ETag (checked by Put Blob, or by Put Block List when the body goes up in blocks).
 */
function putConditions(ifNoneMatch: boolean, ifMatch: string | undefined): BlobRequestConditions | undefined {
  if (ifNoneMatch) return { ifNoneMatch: '*' };
  if (ifMatch !== undefined) return { ifMatch: `"${ifMatch}"` };
  return undefined;
}

function written(
  key: string,
  size: number,
  contentType: string,
  metadata: Record<string, string>,
  res: { etag?: string; lastModified?: Date },
  checksums: BlobInfo['checksums'],
): BlobInfo {
  return blobInfo({
    key,
    size,
    contentType,
    metadata: { ...metadata },
    checksums,
    etag: unquoteEtag(res.etag),
    lastModified: res.lastModified,
  });
}

/** Put Block List (`PUT ...?comp=blocklist`): the service assembles the blob from its blocks. */
function isCommit(request: WatchedRequestInfo): boolean {
  return request.method === 'PUT' && /[?&]comp=blocklist(&|$)/i.test(request.path);
}
