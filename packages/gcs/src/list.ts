import type { ListEntry } from '@failover/storage';
import type { File, GetFilesOptions } from '@google-cloud/storage';
import { toBlobInfo } from './info.js';

/** One page of a GCS listing as the client returns it. */
export interface ListPage {
  /** Objects of this page (each `File` carries its object resource in `metadata`). */
  readonly files: readonly File[];
  /** With a delimiter: the common prefixes of this page (full names, store prefix included). */
  readonly prefixes: readonly string[];
  /** The token of the next page, if any. */
  readonly nextPageToken: string | undefined;
}

/** Builds the `getFiles` query of one page (`autoPaginate: false`: one request per page). */
export function pageQuery(
  fullPrefix: string,
  delimiter: string | undefined,
  pageSize: number | undefined,
  pageToken: string | undefined,
): GetFilesOptions {
  const query: GetFilesOptions = { autoPaginate: false };
  if (fullPrefix !== '') query.prefix = fullPrefix;
  if (delimiter !== undefined) query.delimiter = delimiter;
  if (pageSize !== undefined) query.maxResults = pageSize;
  if (pageToken !== undefined) query.pageToken = pageToken;
  return query;
}

/** Reads the `[files, nextQuery, apiResponse]` answer of `bucket.getFiles` into a {@link ListPage}. */
export function readPage(response: readonly unknown[]): ListPage {
  const files = Array.isArray(response[0]) ? (response[0] as File[]) : [];
  const nextQuery = response[1] as { pageToken?: unknown } | null | undefined;
  const api = response[2] as { prefixes?: unknown; nextPageToken?: unknown } | null | undefined;
  const prefixes = Array.isArray(api?.prefixes)
    ? api.prefixes.filter((p): p is string => typeof p === 'string')
    : [];
  const token =
    typeof nextQuery?.pageToken === 'string' && nextQuery.pageToken !== ''
      ? nextQuery.pageToken
      : typeof api?.nextPageToken === 'string' && api.nextPageToken !== ''
        ? api.nextPageToken
        : undefined;
  return { files, prefixes, nextPageToken: token };
}

/**
 * The entries of one page in key order, store prefix removed: objects as `BlobInfo` (with the
 * metadata and checksums GCS includes in listings) and common prefixes as `{ prefix }`. GCS returns
 * a page's objects and prefixes as two separate lists; they are merged here by the UTF-8 byte order
 * GCS sorts names in.
 */
export function pageEntries(page: ListPage, storePrefix: string): ListEntry[] {
  const entries: { sortKey: Buffer; entry: ListEntry }[] = [];
  for (const file of page.files) {
    const name = typeof file.metadata?.name === 'string' ? file.metadata.name : file.name;
    if (!name.startsWith(storePrefix)) continue;
    const key = name.slice(storePrefix.length);
    if (key === '') continue;
    entries.push({ sortKey: Buffer.from(name, 'utf8'), entry: toBlobInfo(file.metadata ?? {}, key) });
  }
  for (const full of page.prefixes) {
    if (!full.startsWith(storePrefix)) continue;
    const prefix = full.slice(storePrefix.length);
    if (prefix === '') continue;
    entries.push({ sortKey: Buffer.from(full, 'utf8'), entry: { prefix } });
  }
  entries.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
  return entries.map((e) => e.entry);
}
