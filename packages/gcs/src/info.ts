import { type BlobInfo, type Checksums, lowerCaseKeys } from '@failover/storage';
import type { FileMetadata } from '@google-cloud/storage';

/** A base64 checksum as GCS reports it (`md5Hash`, `crc32c`), as lowercase hex; undefined if absent. */
export function base64ToHex(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const hex = Buffer.from(value, 'base64').toString('hex');
  return hex === '' ? undefined : hex;
}

/** The checksums GCS reports for an object: `md5` (not for composite objects) and `crc32c`. */
export function checksumsOf(metadata: FileMetadata): Checksums {
  const out: Checksums = {};
  const md5 = base64ToHex(metadata.md5Hash);
  const crc32c = base64ToHex(metadata.crc32c);
  if (md5 !== undefined) out.md5 = md5;
  if (crc32c !== undefined) out.crc32c = crc32c;
  return out;
}

/**
 * A {@link BlobInfo} from a GCS object resource (`getMetadata`, an upload's answer, a listing
 * item). `key` is the caller's key (store prefix removed). User metadata keys are lowercased;
 * non-string values (other writers may set numbers or booleans) become strings, `null` is dropped.
 */
export function toBlobInfo(metadata: FileMetadata, key: string): BlobInfo {
  const info: BlobInfo = {
    key,
    size: sizeOf(metadata.size),
    metadata: lowerCaseKeys(userMetadataOf(metadata.metadata)),
    checksums: checksumsOf(metadata),
  };
  if (typeof metadata.etag === 'string' && metadata.etag !== '') info.etag = unquote(metadata.etag);
  if (typeof metadata.contentType === 'string' && metadata.contentType !== '') {
    info.contentType = metadata.contentType;
  }
  const updated = metadata.updated ?? metadata.timeCreated;
  if (typeof updated === 'string') {
    const date = new Date(updated);
    if (!Number.isNaN(date.getTime())) info.lastModified = date;
  }
  return info;
}

/** The object's generation, as the string GCS uses for `ifGenerationMatch` and reads. */
export function generationOf(metadata: FileMetadata): string | undefined {
  return decimalOf(metadata.generation);
}

/** The object's metageneration as a decimal string, as `x-goog-metageneration` carries it. */
export function metagenerationOf(metadata: FileMetadata): string | undefined {
  return decimalOf(metadata.metageneration);
}

/**
 * A generation or metageneration (a resource field, a response header) as a decimal string;
 * `undefined` when it is not one.
 */
export function decimalOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  return undefined;
}

function sizeOf(size: FileMetadata['size']): number {
  const n = typeof size === 'number' ? size : Number(size ?? 0);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

function userMetadataOf(metadata: FileMetadata['metadata']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!metadata || typeof metadata !== 'object') return out;
  for (const [k, v] of Object.entries(metadata)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'string' ? v : String(v);
  }
  return out;
}

function unquote(etag: string): string {
  return etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
}
