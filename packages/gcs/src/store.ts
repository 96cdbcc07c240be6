import { PassThrough, Readable } from 'node:stream';
import { registerClassifier } from '@failover/core';
import {
  type BlobInfo,
  type BlobStore,
  type BlobStoreAdapter,
  type ByteRange,
  ContentMismatchError,
  type CopyRequest,
  createIoWatch,
  type DeleteRequest,
  defineBlobStore,
  type GetRequest,
  type GetResult,
  type IoWatch,
  ifMatchFailed,
  type ListEntry,
  type ListRequest,
  type NormalizedBody,
  NotFoundError,
  type OperationOptions,
  operationIoTimeouts,
  PreconditionFailedError,
  type PresignedUrl,
  type Presigner,
  type PresignOptions,
  type PutRequest,
  putBodyMd5,
  readAll,
  resolveRange,
  type SetMetadataRequest,
  StorageError,
  type StoreCall,
  type StoreOperation,
  sizeCheckedStream,
  toleratingUnheardErrors,
} from '@failover/storage';
import type { File, FileMetadata } from '@google-cloud/storage';
import { classifyGcsError } from './classify.js';
import { type ContentCheck, contentCheckOf } from './content-check.js';
import { type OpenedDownload, openDownload, type ReadSpan } from './download.js';
import { abortedError, type ErrorContext, idleError, toStorageError } from './errors.js';
import { generationOf, metagenerationOf, toBlobInfo } from './info.js';
import { type KnownVersion, KnownVersions } from './known-versions.js';
import { pageEntries, pageQuery, readPage } from './list.js';
import { type GcsStoreOptions, type ResolvedGcsOptions, resolveOptions } from './options.js';
import { presignFile } from './presign.js';
import { raceSignal } from './signal.js';
import { type UploadRequest, uploadObject } from './upload.js';

/** How many times `get` re-reads when the object is replaced between its metadata and its bytes. */
const GET_ATTEMPTS = 3;

/** Whole-object reads up to this size are checked before `get` answers (see `#handOut`). */
const SMALL_BODY_BYTES = 64 * 1024;

/**
 * A {@link BlobStore} over a bucket of the @google-cloud/storage client you already have.
 *
 * ```ts
 * const storage = new Storage();
 * const store = createGcsStore({ bucket: storage.bucket('my-bucket'), prefix: 'app/' });
 * await store.put('a.txt', 'hello', { contentType: 'text/plain' });
 * ```
 *
 * Small byte bodies go up in one multipart request, streams and large bodies through a resumable
 * upload; reads, metadata, listings and copies use the client's own calls. Every error is a
 * `StorageError` with a failure `kind`, `target` (the store's name), `key` and the SDK error as
 * `cause`, except aborts: core's `AbortedError` with the signal's reason as `cause`. Registers
 * {@link classifyGcsError} with core (once). Throws `InvalidOptionError` naming the option when
 * `options` is invalid. See docs/gcs.md.
 */
export function createGcsStore(options: GcsStoreOptions): BlobStore & Presigner {
  const opts = resolveOptions(options);
  registerClassifier(classifyGcsError);
  return defineBlobStore(new GcsAdapter(opts));
}

/** The GCS half of the store: {@link defineBlobStore} has checked every request it gets. */
class GcsAdapter implements BlobStoreAdapter {
  readonly name: string;
  readonly #o: ResolvedGcsOptions;
  /** The metadata of the objects this store last read or wrote (see {@link KnownVersions}). */
  readonly #known: KnownVersions;

  constructor(opts: ResolvedGcsOptions) {
    this.#o = opts;
    this.name = opts.name;
    this.#known = new KnownVersions(opts.metadataCacheSize);
  }

  async put(request: PutRequest, { signal, watch }: StoreCall): Promise<BlobInfo> {
    const { key, metadata, contentType, ifNoneMatch, ifMatch, size: sizeHint, md5: givenMd5 } = request;
    const ctx = this.#ctx('put', key);
    const normalized =
      sizeHint === undefined || request.body.type === 'bytes'
        ? request.body
        : {
            type: 'stream' as const,
            stream: sizeCheckedStream(request.body.stream, sizeHint, key, this.name),
          };
    // The caller's MD5 (only with bytes); a byte body's is computed in the upload otherwise.
    const md5 = givenMd5 === undefined ? undefined : putBodyMd5(givenMd5, normalized, key, this.name);
    let ifVersion: UploadRequest['ifVersion'];
    if (ifMatch !== undefined) {
      const found = await this.#versionOf(key, ifMatch, ctx, signal);
      if (found === null) throw ifMatchFailed(key, this.name, false);
      ifVersion = found;
    }
    return this.#put(
      key,
      normalized,
      contentType,
      metadata,
      { ifNoneMatch, ifVersion, md5 },
      sizeHint,
      signal,
      ctx,
      watch!,
    );
  }

  async #put(
    key: string,
    normalized: NormalizedBody,
    contentType: string,
    metadata: Record<string, string>,
    condition: Pick<UploadRequest, 'ifNoneMatch' | 'ifVersion' | 'md5'>,
    sizeHint: number | undefined,
    signal: AbortSignal | undefined,
    ctx: ErrorContext,
    watch: IoWatch,
  ): Promise<BlobInfo> {
    const file = this.#file(key);
    let resource: FileMetadata;
    try {
      resource = await uploadObject({
        file,
        body: normalized,
        contentType,
        metadata,
        ...condition,
        sizeHint,
        resumableThreshold: this.#o.resumableThreshold,
        chunkSize: this.#o.chunkSize,
        signal,
        watch,
      });
    } catch (err) {
      if (signal?.aborted) throw abortedError(ctx, signal.reason);
      throw toStorageError(err, ctx);
    }
    if (signal?.aborted) throw abortedError(ctx, signal.reason);
    if (typeof resource?.name !== 'string' || resource.size === undefined) {
      // The upload answered without the object resource: read it back.
      resource = await this.#metadata(file, ctx, signal, key);
    } else {
      this.#known.remember(key, resource);
    }
    return toBlobInfo(resource, key);
  }

  /**
   * `ifMatch` on GCS (of a put or a delete): the object's etag must be `etag` now, and the write or
   * delete then applies to exactly the generation and metageneration that etag belongs to
   * (`ifGenerationMatch` and `ifMetagenerationMatch`), so GCS refuses it atomically (412) if
   * anything was written meanwhile, its metadata included. `null` when there is no object; another
   * etag is a `PreconditionFailedError`.
   */
  async #versionOf(
    key: string,
    etag: string,
    ctx: ErrorContext,
    signal: AbortSignal | undefined,
  ): Promise<{ generation: number; metageneration: number } | null> {
    let resource: FileMetadata;
    try {
      resource = await this.#metadata(this.#file(key), ctx, signal, key);
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
    const generation = Number(generationOf(resource));
    const metageneration = Number(resource.metageneration);
    if (toBlobInfo(resource, key).etag !== etag) throw ifMatchFailed(key, this.name, true);
    if (!Number.isSafeInteger(generation) || !Number.isSafeInteger(metageneration)) {
      throw new StorageError(
        'unknown',
        `GCS reported no generation for ${JSON.stringify(key)} on ${this.name}`,
        {
          key,
          target: this.name,
        },
      );
    }
    return { generation, metageneration };
  }

  get(request: GetRequest, { signal, watch }: StoreCall): Promise<GetResult> {
    return this.#get(request.key, { signal, range: request.range }, this.#ctx('get', request.key), watch!);
  }

  async #get(
    key: string,
    options: { signal: AbortSignal | undefined; range: ByteRange | undefined },
    ctx: ErrorContext,
    watch: IoWatch,
  ): Promise<GetResult> {
    const { signal, range } = options;
    if (range === undefined || (range.start === 0 && range.end === undefined)) {
      const whole = await this.#getWhole(key, ctx, signal, watch);
      if (whole !== undefined) return whole;
    }
    for (let attempt = 1; ; attempt++) {
      const resource = await this.#metadata(this.#file(key), ctx, signal, key);
      const info = toBlobInfo(resource, key);
      const resolved = resolveRange(range, info.size);
      if (resolved === null) return { info, body: emptyBody() };
      // A whole-object read goes without a range, so its checksum can be validated.
      const span: ReadSpan | undefined =
        resolved.start === 0 && resolved.end === info.size - 1 ? undefined : resolved;
      // Read the generation the metadata describes, so `info` and the bytes always agree.
      const generation = generationOf(resource);
      const check = span === undefined ? contentCheckOf(resource) : null;
      try {
        const opened = await this.#open(this.#file(key, generation), span, check === undefined, ctx, signal);
        return await this.#handOut(opened, info, check, ctx, signal, watch);
      } catch (err) {
        if (signal?.aborted) throw abortedError(ctx, signal.reason);
        const mapped = toStorageError(err, ctx);
        // That generation is gone: the object was replaced or deleted since its metadata was read.
        if (mapped instanceof NotFoundError && generation !== undefined && attempt < GET_ATTEMPTS) continue;
        throw mapped;
      }
    }
  }

  /**
   * A whole-object read in one round trip's time: the metadata and the bytes are asked for at
   * once, and the bytes are handed out only when the server's answer names the generation the
   * metadata describes. `undefined` (the bytes released unread) when it does not, or when the
   * bytes cannot be checked here: the caller then reads the metadata first and that generation.
   */
  async #getWhole(
    key: string,
    ctx: ErrorContext,
    signal: AbortSignal | undefined,
    watch: IoWatch,
  ): Promise<GetResult | undefined> {
    const known = this.#known.get(key);
    if (known !== undefined) return this.#getKnown(key, known, ctx, signal, watch);
    const download = this.#open(this.#file(key), undefined, false, ctx, signal);
    let downloadFailure: unknown;
    download.catch((err: unknown) => {
      downloadFailure ??= err;
    });
    let resource: FileMetadata;
    try {
      resource = await this.#metadata(this.#file(key), ctx, signal, key);
    } catch (err) {
      download.then(
        (d) => d.discard(),
        () => {},
      );
      // When both failed (a refused connection, the request watchdog ending the call), the
      // download's failure (say, its idle bound) is the one to report. (A failed download no
      // longer resets the metadata request beside it: see DownloadSockets.)
      await new Promise((resolve) => setImmediate(resolve));
      if (downloadFailure !== undefined && !signal?.aborted) {
        const mapped = toStorageError(downloadFailure, ctx);
        if (!(mapped instanceof NotFoundError)) throw mapped;
      }
      throw err;
    }
    let opened: OpenedDownload;
    try {
      opened = await download;
    } catch (err) {
      if (signal?.aborted) throw abortedError(ctx, signal.reason);
      const mapped = toStorageError(err, ctx);
      // Created or replaced between the two requests: read the metadata again, then its bytes.
      if (mapped instanceof NotFoundError) return undefined;
      throw mapped;
    }
    const check = contentCheckOf(resource);
    const generation = generationOf(resource);
    if (check === undefined || generation === undefined || opened.generation !== generation) {
      opened.discard();
      return undefined;
    }
    return this.#handOut(opened, toBlobInfo(resource, key), check, ctx, signal, watch);
  }

  /**
   * A whole-object read of a key whose metadata this store knows: the download alone, its bytes
   * handed out with the remembered metadata when the server's answer names the same generation and
   * metageneration (GCS changes one of them with every change of the object, so that metadata is
   * the object's now). Otherwise the metadata is read after the download and must name the
   * download's version, as in {@link GcsAdapter.#getWhole}; `undefined` (the bytes released unread)
   * when it does not, and the caller reads the metadata first and then that generation.
   */
  async #getKnown(
    key: string,
    known: KnownVersion,
    ctx: ErrorContext,
    signal: AbortSignal | undefined,
    watch: IoWatch,
  ): Promise<GetResult | undefined> {
    let opened: OpenedDownload;
    try {
      opened = await this.#open(this.#file(key), undefined, false, ctx, signal);
    } catch (err) {
      if (signal?.aborted) throw abortedError(ctx, signal.reason);
      const mapped = toStorageError(err, ctx);
      if (mapped instanceof NotFoundError) this.#known.forget(key);
      throw mapped;
    }
    let resource = known.resource;
    if (opened.generation !== known.generation || opened.metageneration !== known.metageneration) {
      try {
        resource = await this.#metadata(this.#file(key), ctx, signal, key);
      } catch (err) {
        opened.discard();
        throw err;
      }
      if (
        generationOf(resource) !== opened.generation ||
        metagenerationOf(resource) !== opened.metageneration
      ) {
        opened.discard();
        return undefined;
      }
    }
    const check = contentCheckOf(resource);
    if (check === undefined) {
      opened.discard();
      return undefined;
    }
    return this.#handOut(opened, toBlobInfo(resource, key), check, ctx, signal, watch);
  }

  /** Opens a download, given up (and released when it opens later) as soon as `signal` aborts. */
  #open(
    file: File,
    span: ReadSpan | undefined,
    clientValidation: boolean,
    ctx: ErrorContext,
    signal: AbortSignal | undefined,
  ): Promise<OpenedDownload> {
    if (signal?.aborted) return Promise.reject(abortedError(ctx, signal.reason));
    const download = openDownload({
      file,
      span,
      clientValidation,
      idleTimeoutMs: this.#o.readIdleTimeoutMs,
      mapError: (err) => toStorageError(err, ctx),
      idleError: (ms) => idleError(ctx, ms),
    });
    return raceSignal(download, signal, (reason) => {
      // The download may still open after the abort: close it then.
      download.then(
        (late) => late.discard(),
        () => {},
      );
      return abortedError(ctx, reason);
    });
  }

  /**
   * The body of an opened download, checked. A small object is read to its end and checked
   * before `get` answers, so a copy that fails its check fails `get` itself (and a caller that
   * fails over never saw a byte of it); a larger one fails its stream at the end.
   */
  async #handOut(
    opened: OpenedDownload,
    info: BlobInfo,
    check: ContentCheck | null | undefined,
    ctx: ErrorContext,
    signal: AbortSignal | undefined,
    watch: IoWatch,
  ): Promise<GetResult> {
    const body = opened.body(check);
    bindSignal(body, signal, ctx);
    bindWatch(body, watch);
    if (check == null || info.size > SMALL_BODY_BYTES) return { info, body: toleratingUnheardErrors(body) };
    let bytes: Buffer;
    try {
      bytes = await readAll(body);
    } catch (err) {
      // Say which copy failed its check, so a caller can report and repair that version.
      if (err instanceof ContentMismatchError && err.info === undefined) {
        throw new ContentMismatchError(
          err.key,
          { checksum: err.checksum, expected: err.expected, actual: err.actual, info },
          { target: err.target, cause: err.cause },
        );
      }
      throw err;
    }
    const checked = new Readable({ read() {} });
    if (bytes.length > 0) checked.push(bytes);
    checked.push(null);
    bindSignal(checked, signal, ctx);
    return { info, body: toleratingUnheardErrors(checked) };
  }

  async head(key: string, { signal }: StoreCall): Promise<BlobInfo | null> {
    try {
      return toBlobInfo(await this.#metadata(this.#file(key), this.#ctx('head', key), signal, key), key);
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  async exists(key: string, { signal }: StoreCall): Promise<boolean> {
    try {
      await this.#metadata(this.#file(key), this.#ctx('exists', key), signal, key);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  /**
   * `file.delete({ ignoreNotFound: true })`. With `ifMatch`, the object's metadata is read first
   * (its etag must be the one given, else `PreconditionFailedError`; no object: done), and the
   * delete carries that version's `ifGenerationMatch` and `ifMetagenerationMatch`: GCS refuses it
   * atomically (412, `PreconditionFailedError`) if the object was replaced or its metadata changed
   * meanwhile; a 404 (deleted meanwhile) is success.
   */
  async delete({ key, ifMatch }: DeleteRequest, { signal }: StoreCall): Promise<void> {
    const ctx = this.#ctx('delete', key);
    let conditions = {};
    if (ifMatch !== undefined) {
      const version = await this.#versionOf(key, ifMatch, ctx, signal);
      if (version === null) return;
      conditions = {
        ifGenerationMatch: version.generation,
        ifMetagenerationMatch: version.metageneration,
      };
    }
    this.#known.forget(key);
    try {
      await this.#call(ctx, signal, () => this.#file(key).delete({ ignoreNotFound: true, ...conditions }));
    } catch (err) {
      if (ifMatch !== undefined && err instanceof PreconditionFailedError && !signal?.aborted) {
        throw ifMatchFailed(key, this.name, true, err.cause);
      }
      throw err;
    }
  }

  async *list({ prefix, delimiter, pageSize, signal, pageWatch }: ListRequest): AsyncIterable<ListEntry> {
    const ctx = this.#ctx('list');
    const fullPrefix = this.#o.prefix + (prefix ?? '');
    let pageToken: string | undefined;
    do {
      const query = pageQuery(fullPrefix, delimiter, pageSize, pageToken);
      // Each page is one call under the timeouts.
      const response = await pageWatch()!.run(() =>
        this.#call(ctx, signal, () => this.#o.bucket.getFiles(query)),
      );
      const page = readPage(response);
      for (const entry of pageEntries(page, this.#o.prefix)) yield entry;
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
  }

  copy({ from, to, ifNoneMatch }: CopyRequest, { signal }: StoreCall): Promise<BlobInfo> {
    const copyOptions = ifNoneMatch ? { preconditionOpts: { ifGenerationMatch: 0 } } : {};
    return this.#copy(from, to, this.#file(from), this.#file(to), copyOptions, signal);
  }

  async #copy(
    from: string,
    to: string,
    source: File,
    destination: File,
    copyOptions: { preconditionOpts?: { ifGenerationMatch: number } },
    signal: AbortSignal | undefined,
  ): Promise<BlobInfo> {
    let response: unknown;
    try {
      response = (
        await this.#call(this.#ctx('copy', from), signal, () => source.copy(destination, copyOptions))
      )[1];
    } catch (err) {
      // A failed condition is about the destination; a missing object is the source.
      if (err instanceof Error && 'kind' in err && err.kind === 'precondition') {
        throw toStorageError(
          (err as { cause?: unknown }).cause ?? err,
          this.#ctx('copy', to),
          'precondition',
        );
      }
      throw err;
    }
    const resource = (response as { resource?: FileMetadata } | undefined)?.resource;
    if (resource && typeof resource.name === 'string' && resource.size !== undefined) {
      this.#known.remember(to, resource);
      return toBlobInfo(resource, to);
    }
    return toBlobInfo(await this.#metadata(destination, this.#ctx('copy', to), signal, to), to);
  }

  /**
   * Replaces the object's custom metadata with a metadata PATCH (no byte is sent again). GCS
   * merges the keys it is sent, so keys to drop are sent as `null`. `ifMatch` is checked against
   * the entity tag read first, and the PATCH is conditional on that generation and
   * metageneration, so a copy replaced or changed meanwhile is never touched.
   */
  async setMetadata(
    { key, metadata: normalized, ifMatch }: SetMetadataRequest,
    { signal }: StoreCall,
  ): Promise<BlobInfo> {
    const ctx = this.#ctx('setMetadata', key);
    const file = this.#file(key);
    const current = await this.#metadata(file, ctx, signal, key);
    if (ifMatch !== undefined && toBlobInfo(current, key).etag !== ifMatch) {
      throw new PreconditionFailedError(key, { target: this.name, reason: 'the object changed' });
    }
    const patch: Record<string, string | null> = {};
    for (const k of Object.keys(current.metadata ?? {})) patch[k] = null;
    Object.assign(patch, normalized);
    const conditions = {
      ...(current.generation === undefined ? {} : { ifGenerationMatch: Number(current.generation) }),
      ...(current.metageneration === undefined
        ? {}
        : { ifMetagenerationMatch: Number(current.metageneration) }),
    };
    const [resource] = await this.#call(ctx, signal, () =>
      this.#file(key, current.generation === undefined ? undefined : String(current.generation)).setMetadata(
        { metadata: patch },
        conditions,
      ),
    );
    this.#known.remember(key, resource);
    return toBlobInfo(resource, key);
  }

  /** The request watchdog of one call: the store's `timeouts` with the call's own over them. */
  watch(op: StoreOperation, key: string | undefined, options: OperationOptions): IoWatch {
    const timeouts = operationIoTimeouts(this.#o.timeouts, options.timeouts, key);
    return createIoWatch(timeouts, { target: this.name, operation: `GCS ${op}`, key });
  }

  #ctx(op: string, key?: string): ErrorContext {
    return key === undefined ? { target: this.name, op } : { target: this.name, op, key };
  }

  presign(key: string, options?: PresignOptions): Promise<PresignedUrl> {
    return presignFile(this.#o, key, options);
  }

  /** A fresh `File` per call: the client keeps per-call state (the upload's answer) on it. */
  #file(key: string, generation?: string): File {
    const name = this.#o.prefix + key;
    return generation === undefined ? this.#o.bucket.file(name) : this.#o.bucket.file(name, { generation });
  }

  /**
   * The object's metadata now, remembered for `key` (the caller's key of `file`) when given. A key
   * found missing is forgotten.
   */
  async #metadata(
    file: File,
    ctx: ErrorContext,
    signal: AbortSignal | undefined,
    key?: string,
  ): Promise<FileMetadata> {
    try {
      const resource = await this.#call(ctx, signal, async () => (await file.getMetadata())[0]);
      if (key !== undefined) this.#known.remember(key, resource);
      return resource;
    } catch (err) {
      if (key !== undefined && err instanceof NotFoundError) this.#known.forget(key);
      throw err;
    }
  }

  /** Runs one SDK request, honouring `signal` and mapping its errors. */
  async #call<T>(ctx: ErrorContext, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    if (signal?.aborted) throw abortedError(ctx, signal.reason);
    try {
      return await raceSignal(run(), signal, (reason) => abortedError(ctx, reason));
    } catch (err) {
      throw toStorageError(err, ctx);
    }
  }
}

/** Fails a returned body with the watchdog's error when its request stalls or is cut. */
function bindWatch(body: GetResult['body'], watch: IoWatch): void {
  const off = watch.onFailure((err) => body.destroy(err));
  body.once('close', off);
}

function emptyBody(): GetResult['body'] {
  const body = new PassThrough();
  body.end();
  return body;
}

/** Destroys a returned body with an `aborted` error when the caller's signal fires later. */
function bindSignal(body: GetResult['body'], signal: AbortSignal | undefined, ctx: ErrorContext): void {
  if (!signal) return;
  const onAbort = () => body.destroy(abortedError(ctx, signal.reason));
  signal.addEventListener('abort', onAbort, { once: true });
  body.once('close', () => signal.removeEventListener('abort', onAbort));
}
