import { randomBytes } from 'node:crypto';
import type { BlobInfo } from './types.js';

/** What the memory and filesystem stores keep about each object (besides its bytes). */
export interface ObjectRecord {
  /** The object's key. */
  readonly key: string;
  /** Size in bytes. */
  readonly size: number;
  /** The stored content type. */
  readonly contentType: string;
  /** User metadata, keys lowercase. */
  readonly metadata: Readonly<Record<string, string>>;
  /** A new random value on every write (put or copy), even of identical bytes. */
  readonly etag: string;
  /** MD5 of the content, lowercase hex. */
  readonly md5: string;
  /** When the write completed, in milliseconds since the epoch. */
  readonly lastModified: number;
}

/** A fresh entity tag: 128 random bits as hex, so every write gets a different one. */
export function newEtag(): string {
  return randomBytes(16).toString('hex');
}

/** A {@link BlobInfo} for a record: a new object each time, sharing nothing with the record. */
export function toBlobInfo(record: ObjectRecord): BlobInfo {
  return {
    key: record.key,
    size: record.size,
    etag: record.etag,
    contentType: record.contentType,
    lastModified: new Date(record.lastModified),
    metadata: { ...record.metadata },
    checksums: { md5: record.md5 },
  };
}
