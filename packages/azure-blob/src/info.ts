import type { BlobDownloadResponseParsed, BlobGetPropertiesResponse, BlobItem } from '@azure/storage-blob';
import { type BlobInfo, blobInfo, type Checksums, lowerCaseKeys } from '@failover/storage';

/** An ETag without its surrounding quotes (Azure quotes them in headers, not in listings). */
export function unquoteEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
}

/** Checksums from an Azure `Content-MD5` value (bytes), as lowercase hex. */
export function checksumsOf(md5: Uint8Array | undefined): Checksums {
  return md5 && md5.byteLength === 16 ? { md5: Buffer.from(md5).toString('hex') } : {};
}

/** The whole object's size from a `Content-Range: bytes a-b/total` header, when it has one. */
export function totalFromContentRange(contentRange: string | undefined): number | undefined {
  if (!contentRange) return undefined;
  const match = /\/(\d+)\s*$/.exec(contentRange);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** A `BlobInfo` from a Get Blob Properties response. */
export function infoFromProperties(key: string, p: BlobGetPropertiesResponse): BlobInfo {
  return fromProperties(key, p, p.metadata);
}

/**
 * A `BlobInfo` describing the whole object from a Get Blob response, ranged or not: the size
 * comes from `Content-Range` when a range was read, and the MD5 from `x-ms-blob-content-md5`
 * (the whole object's) rather than `Content-MD5` (which, for a range, covers the range only).
 */
export function infoFromDownload(key: string, r: BlobDownloadResponseParsed, ranged: boolean): BlobInfo {
  const total = totalFromContentRange(r.contentRange);
  return build(key, {
    size: total ?? r.contentLength ?? 0,
    etag: r.etag,
    contentType: r.contentType,
    lastModified: r.lastModified,
    metadata: r.metadata,
    md5: r.blobContentMD5 ?? (ranged || total !== undefined ? undefined : r.contentMD5),
  });
}

/** A `BlobInfo` from a listing entry (`includeMetadata` on). */
export function infoFromItem(key: string, item: BlobItem): BlobInfo {
  return fromProperties(key, item.properties, item.metadata);
}

/** The blob properties both Get Blob Properties and listings report, under the same names. */
interface BlobProperties {
  contentLength?: number | undefined;
  etag?: string | undefined;
  contentType?: string | undefined;
  lastModified?: Date | undefined;
  contentMD5?: Uint8Array | undefined;
}

function fromProperties(
  key: string,
  p: BlobProperties,
  metadata: Record<string, string> | undefined,
): BlobInfo {
  return build(key, {
    size: p.contentLength ?? 0,
    etag: p.etag,
    contentType: p.contentType,
    lastModified: p.lastModified,
    metadata,
    md5: p.contentMD5,
  });
}

interface RawInfo {
  size: number;
  etag: string | undefined;
  contentType: string | undefined;
  lastModified: Date | undefined;
  metadata: Record<string, string> | undefined;
  md5: Uint8Array | undefined;
}

function build(key: string, raw: RawInfo): BlobInfo {
  return blobInfo({
    key,
    size: raw.size,
    metadata: lowerCaseKeys(raw.metadata),
    checksums: checksumsOf(raw.md5),
    etag: unquoteEtag(raw.etag),
    contentType: raw.contentType,
    lastModified: raw.lastModified,
  });
}
