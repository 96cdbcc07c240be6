import type { BlobItem, BlobPrefix, ContainerClient } from '@azure/storage-blob';
import type { ListEntry } from '@failover/storage';
import { infoFromItem } from './info.js';

/** What {@link listPages} needs from the store. */
export interface ListRequest {
  readonly container: ContainerClient;
  /** The store prefix, stripped from every name returned. */
  readonly storePrefix: string;
  /** The caller's prefix (without the store prefix). */
  readonly prefix: string | undefined;
  readonly delimiter: string | undefined;
  readonly pageSize: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * Lists one page at a time with `listBlobsFlat` (no delimiter) or `listBlobsByHierarchy` (with
 * one), metadata included. Each page's common prefixes and blobs come back from the SDK in two
 * arrays; they are merged back into key order, and the store prefix is stripped.
 */
export async function* listPages(req: ListRequest): AsyncGenerator<ListEntry[]> {
  const fullPrefix = req.storePrefix + (req.prefix ?? '');
  const options = {
    includeMetadata: true,
    ...(fullPrefix !== '' ? { prefix: fullPrefix } : {}),
    ...(req.signal ? { abortSignal: req.signal } : {}),
  };
  const settings = req.pageSize === undefined ? {} : { maxPageSize: req.pageSize };
  const strip = (name: string) => name.slice(req.storePrefix.length);
  if (req.delimiter === undefined) {
    for await (const page of req.container.listBlobsFlat(options).byPage(settings)) {
      yield page.segment.blobItems.map((item) => infoFromItem(strip(item.name), item));
    }
    return;
  }
  for await (const page of req.container.listBlobsByHierarchy(req.delimiter, options).byPage(settings)) {
    yield mergeInOrder(page.segment.blobPrefixes ?? [], page.segment.blobItems, strip);
  }
}

function mergeInOrder(
  prefixes: BlobPrefix[],
  items: BlobItem[],
  strip: (name: string) => string,
): ListEntry[] {
  const out: ListEntry[] = [];
  let p = 0;
  let i = 0;
  while (p < prefixes.length || i < items.length) {
    const prefix = prefixes[p];
    const item = items[i];
    if (prefix !== undefined && (item === undefined || compareNames(prefix.name, item.name) <= 0)) {
      out.push({ prefix: strip(prefix.name) });
      p++;
    } else if (item !== undefined) {
      out.push(infoFromItem(strip(item.name), item));
      i++;
    }
  }
  return out;
}

/** Azure orders blob names by their UTF-8 bytes. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
