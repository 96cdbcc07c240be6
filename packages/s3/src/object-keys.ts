import { InvalidKeyError, MAX_KEY_BYTES, validateKey } from '@failover/storage';

/**
 * Validates a store key and returns the S3 object key (`prefix + key`). The key must pass the
 * rules every store shares, and with the prefix must fit S3's 1024-byte limit.
 */
export function toObjectKey(prefix: string, key: unknown): string {
  validateKey(key);
  const objectKey = prefix + key;
  if (prefix && Buffer.byteLength(objectKey, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidKeyError(
      key,
      `with the store prefix the key must be at most ${MAX_KEY_BYTES} UTF-8 bytes`,
    );
  }
  return objectKey;
}

/** The store key of an S3 object key listed under `prefix` (the prefix removed). */
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
