import { ListObjectsV2Command, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { blobInfo, isPrefixEntry, type ListEntry, type ListRequest } from '@failover/storage';
import { errorContext, type StoreContext } from './context.js';
import { throwIfAborted, toStorageError } from './errors.js';
import { unquoteEtag } from './info.js';
import { fromObjectKey } from './object-keys.js';

/**
 * `list`: ListObjectsV2 page by page (`Prefix`, `Delimiter`, `MaxKeys` = `pageSize`,
 * `ContinuationToken`). Objects and common prefixes come back merged in key order (S3's order:
 * UTF-8 bytes), with the store prefix removed.
 *
 * ListObjectsV2 reports only key, size, ETag and last-modified time: entries carry those, with
 * `metadata` empty, no `contentType` and no `checksums` (an ETag alone cannot tell an MD5 from an
 * SSE-KMS ETag). Use `head` for the rest.
 */
export async function* listObjects(ctx: StoreContext, request: ListRequest): AsyncIterable<ListEntry> {
  const { signal, delimiter, pageSize, pageWatch } = request;
  const ectx = errorContext(ctx, 'list', undefined, signal);
  const prefix = ctx.prefix + (request.prefix ?? '');
  let token: string | undefined;
  // S3 reports each common prefix once; some S3-compatible servers (s3rver) repeat one on the
  // next page when a page ends with it. Entries come in key order, so a repeat follows at once.
  let lastPrefix: string | undefined;
  do {
    throwIfAborted(ectx);
    let page: ListObjectsV2CommandOutput;
    try {
      const command = new ListObjectsV2Command({
        Bucket: ctx.bucket,
        Prefix: prefix || undefined,
        Delimiter: delimiter,
        MaxKeys: pageSize,
        ContinuationToken: token,
      });
      // Each page is one call under the timeouts.
      page = await pageWatch()!.run(() => ctx.client.send(command, { abortSignal: signal }));
    } catch (err) {
      throw toStorageError(err, ectx);
    }
    for (const entry of pageEntries(ctx.prefix, page)) {
      if (isPrefixEntry(entry)) {
        if (entry.prefix === lastPrefix) continue;
        lastPrefix = entry.prefix;
      }
      yield entry;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

function pageEntries(storePrefix: string, page: ListObjectsV2CommandOutput): ListEntry[] {
  const sorted: { sortKey: Buffer; entry: ListEntry }[] = [];
  for (const object of page.Contents ?? []) {
    if (object.Key === undefined) continue;
    const info = blobInfo({
      key: fromObjectKey(storePrefix, object.Key),
      size: object.Size ?? 0,
      metadata: {},
      checksums: {},
      etag: unquoteEtag(object.ETag),
      lastModified: object.LastModified,
    });
    sorted.push({ sortKey: Buffer.from(object.Key, 'utf8'), entry: info });
  }
  for (const common of page.CommonPrefixes ?? []) {
    if (common.Prefix === undefined) continue;
    sorted.push({
      sortKey: Buffer.from(common.Prefix, 'utf8'),
      entry: { prefix: fromObjectKey(storePrefix, common.Prefix) },
    });
  }
  sorted.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
  return sorted.map((s) => s.entry);
}
