/**
 * The store key of an S3 object key listed under `prefix` (the prefix removed). The other way,
 * `prefixedKey` of `@failover/storage` validates a store key and adds the prefix.
 */
export function fromObjectKey(prefix: string, objectKey: string): string {
  return prefix && objectKey.startsWith(prefix) ? objectKey.slice(prefix.length) : objectKey;
}

/** Characters RFC 3986 leaves unencoded; everything else in a segment is percent-encoded. */
const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * The `CopySource` of CopyObject: `bucket/key` with every key segment percent-encoded as S3
 * requires (UTF-8, RFC 3986: only `A-Z a-z 0-9 - . _ ~` stay as they are, so `+`, `?`, `#`, `%`
 * and spaces are encoded), the `/` between segments kept raw (never `%2F`). For an access point
 * ARN as bucket, S3 wants `arn:.../accesspoint/name/object/key`.
 */
export function copySource(bucket: string, objectKey: string): string {
  const encodedKey = objectKey
    .split('/')
    .map((segment) => encodeSegment(segment))
    .join('/');
  return bucket.startsWith('arn:') ? `${bucket}/object/${encodedKey}` : `${bucket}/${encodedKey}`;
}

function encodeSegment(segment: string): string {
  let out = '';
  for (const ch of segment) {
    if (UNRESERVED.test(ch)) out += ch;
    else
      for (const byte of Buffer.from(ch, 'utf8'))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
