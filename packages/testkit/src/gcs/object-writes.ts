import { crc32cBase64 } from './crc32c.js';
import { checkObjectName } from './names.js';
import {
  type KnownHashes,
  md5Base64,
  newObject,
  type StoredObject,
  type WritableObjectFields,
} from './object-model.js';
import { checkPreconditions, type Preconditions } from './preconditions.js';
import { invalid, noSuchBucket } from './problem.js';
import type { GcsStore } from './store.js';

/** Checksums a client sent with an upload (base64), to be checked against the content. */
export interface ExpectedHashes {
  crc32c?: string;
  md5?: string;
}

/** What {@link writeObject} writes. */
export interface ObjectWrite {
  bucket: string;
  name: string;
  data: Buffer;
  fields: WritableObjectFields;
  preconditions: Preconditions;
  expected?: ExpectedHashes;
  componentCount?: number;
  /** Checksums already known for `data` (a copy's source); the others are computed. */
  hashes?: Partial<KnownHashes>;
}

/**
 * Writes a new generation of an object: checks the bucket (404), the name (400), the checksums
 * the client sent (400 on mismatch, as GCS does) and the preconditions against the current object
 * (412), then stores it. Check and store happen in one step, so concurrent writers cannot both
 * pass `ifGenerationMatch=0`.
 */
export async function writeObject(store: GcsStore, write: ObjectWrite): Promise<StoredObject> {
  if (!store.bucket(write.bucket)) throw noSuchBucket();
  checkObjectName(write.name);
  const verified = verifyHashes(write.data, write.expected ?? {});
  checkPreconditions(store.object(write.bucket, write.name), write.preconditions);
  const options: { componentCount?: number; hashes?: Partial<KnownHashes> } = {};
  if (write.componentCount !== undefined) options.componentCount = write.componentCount;
  // The checksums just verified are the content's: not computed a second time.
  options.hashes = write.hashes ?? verified;
  const object = newObject(
    write.bucket,
    write.name,
    write.data,
    write.fields,
    store.nextGeneration(),
    new Date(),
    options,
  );
  await store.putObject(object);
  return object;
}

/**
 * Throws a 400 when a checksum the client sent does not match the content; returns the checksums
 * it computed (those the client sent, which matched).
 */
export function verifyHashes(data: Buffer, expected: ExpectedHashes): Partial<KnownHashes> {
  const computed: Partial<KnownHashes> = {};
  if (expected.crc32c !== undefined) {
    const actual = crc32cBase64(data);
    if (actual !== expected.crc32c) {
      throw invalid(`Provided CRC32C "${expected.crc32c}" doesn't match calculated CRC32C "${actual}".`);
    }
    computed.crc32c = actual;
  }
  if (expected.md5 !== undefined) {
    const actual = md5Base64(data);
    if (actual !== expected.md5) {
      throw invalid(`Provided MD5 hash "${expected.md5}" doesn't match calculated MD5 hash "${actual}".`);
    }
    computed.md5Hash = actual;
  }
  return computed;
}

/** Reads an `X-Goog-Hash` header (`crc32c=...,md5=...`). */
export function parseGoogHash(header: string | string[] | undefined): ExpectedHashes {
  const out: ExpectedHashes = {};
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  for (const value of values) {
    for (const pair of value.split(',')) {
      const at = pair.indexOf('=');
      if (at < 0) continue;
      const key = pair.slice(0, at).trim().toLowerCase();
      const hash = pair.slice(at + 1).trim();
      if (key === 'crc32c') out.crc32c = hash;
      else if (key === 'md5') out.md5 = hash;
    }
  }
  return out;
}

/** Reads `crc32c` / `md5Hash` from upload metadata, merged over `base` (e.g. the header's). */
export function hashesFromMetadata(
  metadata: Record<string, unknown>,
  base: ExpectedHashes = {},
): ExpectedHashes {
  const out: ExpectedHashes = { ...base };
  if (typeof metadata.crc32c === 'string') out.crc32c = metadata.crc32c;
  if (typeof metadata.md5Hash === 'string') out.md5 = metadata.md5Hash;
  return out;
}
