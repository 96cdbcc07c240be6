import type { BlobStore, Presigner } from '@failover/storage';
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
  return {
    name: ctx.name,
    put: async (key, body, o = {}) => {
      const watch = ioWatch(ctx, 'put', key, o);
      return watch.run(() => putObject(ctx, key, body, o, watch));
    },
    get: async (key, o = {}) => {
      const watch = ioWatch(ctx, 'get', key, o);
      return watch.run(() => getObject(ctx, key, o, watch));
    },
    head: async (key, o = {}) => ioWatch(ctx, 'head', key, o).run(() => headObject(ctx, key, o)),
    exists: async (key, o = {}) =>
      ioWatch(ctx, 'head', key, o).run(async () => (await headObject(ctx, key, o)) !== null),
    delete: async (key, o = {}) => ioWatch(ctx, 'delete', key, o).run(() => deleteObject(ctx, key, o)),
    list: (listOptions) => listObjects(ctx, listOptions),
    copy: async (from, to, o = {}) => ioWatch(ctx, 'copy', to, o).run(() => copyObject(ctx, from, to, o)),
    presign: (key, presignOptions) => presignObject(ctx, key, presignOptions),
    setMetadata: async (key, metadata, o = {}) =>
      ioWatch(ctx, 'copy', key, o, true).run(() => setObjectMetadata(ctx, key, metadata, o)),
  };
}
