import { type BlobInfo, blobInfo, lowerCaseKeys } from '@failover/storage';

/** The fields of HeadObject / GetObject responses that describe an object. */
export interface ObjectHeaders {
  ContentLength?: number | undefined;
  ContentType?: string | undefined;
  ETag?: string | undefined;
  LastModified?: Date | undefined;
  Metadata?: Record<string, string> | undefined;
  ServerSideEncryption?: string | undefined;
  SSECustomerAlgorithm?: string | undefined;
}

const MD5_HEX = /^[0-9a-f]{32}$/;

/** An ETag without its quotes (S3 sends `"..."`); `undefined` stays `undefined`. */
export function unquoteEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  const trimmed = etag.startsWith('W/') ? etag.slice(2) : etag;
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1)
    : trimmed;
}

/**
 * The content MD5 an ETag stands for, as lowercase hex, or `undefined` when it does not stand for
 * one: a multipart ETag (`<hex>-<parts>`, or anything not 32 hex digits), or an object encrypted
 * with SSE-KMS or SSE-C, whose ETags are not MD5 digests.
 */
export function md5FromEtag(
  etag: string | undefined,
  encryption: { ServerSideEncryption?: string | undefined; SSECustomerAlgorithm?: string | undefined } = {},
): string | undefined {
  if (etag === undefined) return undefined;
  const hex = etag.toLowerCase();
  if (!MD5_HEX.test(hex)) return undefined;
  if (encryption.SSECustomerAlgorithm) return undefined;
  if (encryption.ServerSideEncryption?.startsWith('aws:kms')) return undefined;
  return hex;
}

/**
 * The whole object's size from a `Content-Range: bytes a-b/total` header, or `undefined` when
 * there is none or the total is unknown (`*`).
 */
export function totalFromContentRange(contentRange: string | undefined): number | undefined {
  if (!contentRange) return undefined;
  const match = /^bytes\s+(?:\d+-\d+|\*)\/(\d+)$/i.exec(contentRange.trim());
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** A {@link BlobInfo} from the headers of a HeadObject or GetObject response. */
export function infoFromHeaders(key: string, headers: ObjectHeaders, size: number): BlobInfo {
  const etag = unquoteEtag(headers.ETag);
  const md5 = md5FromEtag(etag, headers);
  return blobInfo({
    key,
    size,
    metadata: lowerCaseKeys(headers.Metadata),
    checksums: md5 === undefined ? {} : { md5 },
    etag,
    contentType: headers.ContentType,
    lastModified: headers.LastModified,
  });
}
