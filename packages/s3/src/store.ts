import { type BlobStore, defineBlobStore, type Presigner } from '@failover/storage';
import { registerS3Classifier } from './classify.js';
import { ioWatch, type StoreContext } from './context.js';
import { copyObject } from './copy.js';
import { deleteObject } from './delete.js';
import { getObject } from './get.js';
import { headObject } from './head.js';
import { createKeyLock } from './key-lock.js';
import { listObjects } from './list.js';
import { setObjectMetadata } from './metadata.js';
import { resolveOptions, type S3StoreOptions } from './options.js';
import { presignObject } from './presign.js';
import { putObject } from './put.js';

/**
 * A {@link BlobStore} over the S3 client you already configured (region, credentials, endpoint,
 * retries and checksum settings stay yours; the store never creates a client).
 *
 * ```ts
 * const s3 = new S3Client({ region: 'us-east-1' });
 * const store = createS3Store({ client: s3, bucket: 'my-bucket', prefix: 'app/' });
 * await store.put('reports/today.json', JSON.stringify(report), { contentType: 'application/json' });
 * ```
 *
 * Every HTTP request an operation sends is bounded by the store's `timeouts` (connect, response
 * headers, idle body in both directions; see `IoTimeouts`), so no call hangs on a silent or cut
 * connection: it fails with a `TransferError` of kind `timeout` or `network`.
 *
 * Every operation validates its key first, passes the caller's `signal` to the SDK call, and
 * throws `StorageError`s (`NotFoundError`, `PreconditionFailedError`...) whose `kind` comes from
 * {@link classifyS3Error}, `target` is the store's name and `cause` the SDK error. Creating a
 * store also registers {@link classifyS3Error} with core's `registerClassifier`.
 *
 * @throws InvalidOptionError (from `@failover/core`) naming the bad option.
 */
export function createS3Store(options: S3StoreOptions): BlobStore & Presigner {
  const resolved = resolveOptions(options);
  registerS3Classifier();
  const ctx: StoreContext = { ...resolved, lock: createKeyLock() };
  // The facade checks every call first; each function below sends what it was given.
  return defineBlobStore({
    name: ctx.name,
    watch: (operation, key, o) => {
      // setMetadata is a CopyObject in place: every request of it may take as long as a commit.
      if (operation === 'setMetadata') return ioWatch(ctx, 'copy', key, o, true);
      return ioWatch(ctx, operation === 'exists' ? 'head' : operation, key, o);
    },
    put: (request, call) => putObject(ctx, request, call),
    get: (request, call) => getObject(ctx, request, call),
    head: (key, call) => headObject(ctx, key, call.signal),
    delete: (request, call) => deleteObject(ctx, request, call.signal),
    list: (request) => listObjects(ctx, request),
    copy: (request, call) => copyObject(ctx, request, call.signal),
    presign: (key, presignOptions) => presignObject(ctx, key, presignOptions),
    setMetadata: (request, call) => setObjectMetadata(ctx, request, call.signal),
  });
}
