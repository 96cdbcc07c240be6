import { createHash } from 'node:crypto';
import { bucketNameProblem, objectNameProblem } from './names.js';
import type { StoredBucket, StoredObject } from './object-model.js';

/**
 * Checks of what a mirrored directory holds, before the emulator trusts it. The directory is
 * outside the emulator's control (a user, another process or a bad copy may have changed it), and
 * names in it become paths of later writes: a `bucket.json` naming `../../..` would point every
 * write of that bucket outside the directory. Each check returns why a record is refused, or
 * `undefined` when it is sound.
 */

type ObjectMeta = Omit<StoredObject, 'data'>;

const OPTIONAL_OBJECT_STRINGS = [
  'contentEncoding',
  'contentDisposition',
  'contentLanguage',
  'cacheControl',
  'customTime',
  'md5Hash',
] as const;

const REQUIRED_OBJECT_STRINGS = ['contentType', 'storageClass', 'crc32c', 'timeCreated', 'updated'] as const;

/** Why a parsed `bucket.json` found in directory `entryName` is refused, or `undefined`. */
export function bucketRecordProblem(entryName: string, value: unknown): string | undefined {
  if (!isRecord(value)) return 'is not a JSON object';
  const { name } = value;
  if (typeof name !== 'string') return 'has no bucket name';
  const invalid = bucketNameProblem(name);
  if (invalid !== undefined) return `names bucket ${JSON.stringify(name)}, which ${invalid}`;
  if (name !== entryName) {
    return `names bucket ${JSON.stringify(name)} but lies in directory ${JSON.stringify(entryName)}`;
  }
  for (const field of ['timeCreated', 'location', 'storageClass'] as const) {
    if (typeof value[field] !== 'string') return `has no string ${field}`;
  }
  return undefined;
}

/** The bucket record, once {@link bucketRecordProblem} found nothing wrong. */
export function toStoredBucket(value: Record<string, unknown>): StoredBucket {
  return {
    name: value.name as string,
    timeCreated: value.timeCreated as string,
    location: value.location as string,
    storageClass: value.storageClass as string,
  };
}

/** The file name (without extension) an object's files have: the SHA-256 of its name, in hex. */
export function objectFileBase(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest('hex');
}

/**
 * Why a parsed object metadata file `fileBase.json` of bucket `bucket` is refused, or
 * `undefined`: its name must be valid, its bucket must be the one it lies in, its file name must
 * be the hash of its name, and its fields must have their types.
 */
export function objectRecordProblem(bucket: string, fileBase: string, value: unknown): string | undefined {
  if (!isRecord(value)) return 'is not a JSON object';
  const { name } = value;
  if (typeof name !== 'string') return 'has no object name';
  const invalid = objectNameProblem(name);
  if (invalid !== undefined) return `names object ${JSON.stringify(name)}, whose name ${invalid}`;
  if (value.bucket !== bucket) {
    return `says it belongs to bucket ${JSON.stringify(value.bucket)}, not ${JSON.stringify(bucket)}`;
  }
  if (objectFileBase(name) !== fileBase) return 'is not stored under the hash of its name';
  for (const field of ['generation', 'metageneration'] as const) {
    const n = value[field];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) return `has an invalid ${field}`;
  }
  for (const field of REQUIRED_OBJECT_STRINGS) {
    if (typeof value[field] !== 'string') return `has no string ${field}`;
  }
  for (const field of OPTIONAL_OBJECT_STRINGS) {
    if (value[field] !== undefined && typeof value[field] !== 'string') return `has a non-string ${field}`;
  }
  const { metadata, componentCount } = value;
  if (!isRecord(metadata) || Object.values(metadata).some((v) => typeof v !== 'string')) {
    return 'has metadata that is not a map of strings';
  }
  if (
    componentCount !== undefined &&
    (typeof componentCount !== 'number' || !Number.isSafeInteger(componentCount) || componentCount < 1)
  ) {
    return 'has an invalid componentCount';
  }
  return undefined;
}

/** The object record with its content, once {@link objectRecordProblem} found nothing wrong. */
export function toStoredObject(value: Record<string, unknown>, data: Buffer): StoredObject {
  const meta = value as unknown as ObjectMeta;
  return {
    bucket: meta.bucket,
    name: meta.name,
    data,
    generation: meta.generation,
    metageneration: meta.metageneration,
    contentType: meta.contentType,
    contentEncoding: meta.contentEncoding,
    contentDisposition: meta.contentDisposition,
    contentLanguage: meta.contentLanguage,
    cacheControl: meta.cacheControl,
    customTime: meta.customTime,
    storageClass: meta.storageClass,
    metadata: { ...meta.metadata },
    md5Hash: meta.md5Hash,
    crc32c: meta.crc32c,
    timeCreated: meta.timeCreated,
    updated: meta.updated,
    componentCount: meta.componentCount,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
