import { createHash } from 'node:crypto';
import { crc32cBase64 } from './crc32c.js';
import type { GcsBucketResource, GcsObjectResource } from './types.js';

/** Object metadata a client can set (at upload, by PATCH/PUT, in a rewrite or compose). */
export interface WritableObjectFields {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  customTime?: string;
  storageClass?: string;
  metadata?: Record<string, string>;
}

/** One object as the emulator keeps it. */
export interface StoredObject {
  readonly bucket: string;
  readonly name: string;
  readonly data: Buffer;
  readonly generation: number;
  readonly metageneration: number;
  readonly contentType: string;
  readonly contentEncoding: string | undefined;
  readonly contentDisposition: string | undefined;
  readonly contentLanguage: string | undefined;
  readonly cacheControl: string | undefined;
  readonly customTime: string | undefined;
  readonly storageClass: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Base64 MD5; undefined for composed objects. */
  readonly md5Hash: string | undefined;
  /** Base64 big-endian CRC32C. */
  readonly crc32c: string;
  readonly timeCreated: string;
  readonly updated: string;
  readonly componentCount: number | undefined;
}

/** One bucket as the emulator keeps it (its objects live in the store). */
export interface StoredBucket {
  readonly name: string;
  readonly timeCreated: string;
  readonly location: string;
  readonly storageClass: string;
}

/** Checksums already known for some content (e.g. the source of a copy), to skip recomputing. */
export interface KnownHashes {
  md5Hash: string | undefined;
  crc32c: string;
}

/** The default content type of objects uploaded without one. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** Builds a new object (generation 1 of its metadata) from content and writable fields. */
export function newObject(
  bucket: string,
  name: string,
  data: Buffer,
  fields: WritableObjectFields,
  generation: number,
  now: Date,
  options: { componentCount?: number; hashes?: Partial<KnownHashes> } = {},
): StoredObject {
  const time = now.toISOString();
  const composed = options.componentCount !== undefined;
  return {
    bucket,
    name,
    data,
    generation,
    metageneration: 1,
    contentType: fields.contentType || DEFAULT_CONTENT_TYPE,
    contentEncoding: fields.contentEncoding,
    contentDisposition: fields.contentDisposition,
    contentLanguage: fields.contentLanguage,
    cacheControl: fields.cacheControl,
    customTime: fields.customTime,
    storageClass: fields.storageClass || 'STANDARD',
    metadata: { ...(fields.metadata ?? {}) },
    md5Hash: composed ? undefined : (options.hashes?.md5Hash ?? md5Base64(data)),
    crc32c: options.hashes?.crc32c ?? crc32cBase64(data),
    timeCreated: time,
    updated: time,
    componentCount: options.componentCount,
  };
}

/** The base64 MD5 of `data`, as GCS reports `md5Hash`. */
export function md5Base64(data: Uint8Array): string {
  return createHash('md5').update(data).digest('base64');
}

/** The object's ETag: opaque, changes with the generation and the metageneration. */
export function objectEtag(object: Pick<StoredObject, 'generation' | 'metageneration'>): string {
  return Buffer.from(`${object.generation}/${object.metageneration}`).toString('base64');
}

/** The JSON API resource of an object; links use `origin` (`http://host:port`). */
export function objectResource(object: StoredObject, origin: string): GcsObjectResource {
  const encoded = encodeURIComponent(object.name);
  const resource: GcsObjectResource = {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${origin}/storage/v1/b/${object.bucket}/o/${encoded}`,
    mediaLink: `${origin}/download/storage/v1/b/${object.bucket}/o/${encoded}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: object.bucket,
    generation: String(object.generation),
    metageneration: String(object.metageneration),
    contentType: object.contentType,
    storageClass: object.storageClass,
    size: String(object.data.length),
    crc32c: object.crc32c,
    etag: objectEtag(object),
    timeCreated: object.timeCreated,
    updated: object.updated,
    timeStorageClassUpdated: object.timeCreated,
  };
  if (object.md5Hash !== undefined) resource.md5Hash = object.md5Hash;
  if (Object.keys(object.metadata).length > 0) resource.metadata = { ...object.metadata };
  if (object.contentEncoding !== undefined) resource.contentEncoding = object.contentEncoding;
  if (object.contentDisposition !== undefined) resource.contentDisposition = object.contentDisposition;
  if (object.contentLanguage !== undefined) resource.contentLanguage = object.contentLanguage;
  if (object.cacheControl !== undefined) resource.cacheControl = object.cacheControl;
  if (object.customTime !== undefined) resource.customTime = object.customTime;
  if (object.componentCount !== undefined) resource.componentCount = object.componentCount;
  return resource;
}

/** The JSON API resource of a bucket. */
export function bucketResource(bucket: StoredBucket, origin: string): GcsBucketResource {
  return {
    kind: 'storage#bucket',
    id: bucket.name,
    selfLink: `${origin}/storage/v1/b/${bucket.name}`,
    projectNumber: '0',
    name: bucket.name,
    timeCreated: bucket.timeCreated,
    updated: bucket.timeCreated,
    metageneration: '1',
    location: bucket.location,
    locationType: 'multi-region',
    storageClass: bucket.storageClass,
    etag: 'CAE=',
  };
}
