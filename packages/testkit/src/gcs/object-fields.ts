import { DEFAULT_CONTENT_TYPE, type StoredObject, type WritableObjectFields } from './object-model.js';
import { invalid } from './problem.js';

const STRING_FIELDS = [
  'contentType',
  'contentEncoding',
  'contentDisposition',
  'contentLanguage',
  'cacheControl',
  'customTime',
  'storageClass',
] as const;

type StringField = (typeof STRING_FIELDS)[number];

const STORAGE_CLASSES = new Set([
  'STANDARD',
  'NEARLINE',
  'COLDLINE',
  'ARCHIVE',
  'MULTI_REGIONAL',
  'REGIONAL',
  'DURABLE_REDUCED_AVAILABILITY',
]);

/** GCS limits custom metadata to 8 KiB (keys and values together). */
const MAX_METADATA_BYTES = 8 * 1024;

/**
 * The writable fields found in a request body: `undefined` leaves a field alone, `null` clears it.
 * In `metadata`, a `null` value deletes that key; `metadata: null` deletes them all.
 */
export type ObjectFieldsPatch = {
  [K in StringField]?: string | null;
} & { metadata?: Record<string, string | null> | null };

/** Reads and checks the writable object fields of a JSON body; other fields are ignored. */
export function parseObjectFields(body: Record<string, unknown>): ObjectFieldsPatch {
  const patch: ObjectFieldsPatch = {};
  for (const field of STRING_FIELDS) {
    const value = body[field];
    if (value === undefined) continue;
    if (value !== null && typeof value !== 'string')
      throw invalid(`Invalid value for ${field}: must be a string.`);
    patch[field] = value;
  }
  if (typeof patch.customTime === 'string' && Number.isNaN(Date.parse(patch.customTime))) {
    throw invalid('Invalid value for customTime: must be an RFC 3339 date-time.');
  }
  if (typeof patch.storageClass === 'string' && !STORAGE_CLASSES.has(patch.storageClass)) {
    throw invalid(`Invalid value for storageClass: '${patch.storageClass}'.`);
  }
  if (body.metadata !== undefined) patch.metadata = parseMetadata(body.metadata);
  return patch;
}

function parseMetadata(value: unknown): Record<string, string | null> | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalid('Invalid value for metadata: must be an object.');
  const out: Record<string, string | null> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key.length === 0) throw invalid('Invalid metadata key: must not be empty.');
    if (v === null) out[key] = null;
    else if (typeof v === 'string') out[key] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[key] = String(v);
    else throw invalid(`Invalid value for metadata.${key}: must be a string.`);
  }
  return out;
}

/** The fields of a new object from a patch (nulls mean "not set"). */
export function fieldsFromPatch(patch: ObjectFieldsPatch): WritableObjectFields {
  const fields: WritableObjectFields = {};
  for (const field of STRING_FIELDS) {
    const value = patch[field];
    if (typeof value === 'string') fields[field] = value;
  }
  if (patch.metadata) fields.metadata = mergeMetadata({}, patch.metadata);
  checkMetadataSize(fields.metadata ?? {});
  return fields;
}

/** The writable fields of a stored object. */
export function fieldsOf(object: StoredObject): WritableObjectFields {
  const fields: WritableObjectFields = { contentType: object.contentType, storageClass: object.storageClass };
  if (object.contentEncoding !== undefined) fields.contentEncoding = object.contentEncoding;
  if (object.contentDisposition !== undefined) fields.contentDisposition = object.contentDisposition;
  if (object.contentLanguage !== undefined) fields.contentLanguage = object.contentLanguage;
  if (object.cacheControl !== undefined) fields.cacheControl = object.cacheControl;
  if (object.customTime !== undefined) fields.customTime = object.customTime;
  fields.metadata = { ...object.metadata };
  return fields;
}

/**
 * Applies a patch to existing fields. `merge` (PATCH, rewrite overrides): fields the patch does
 * not name stay, metadata keys merge. `replace` (PUT): fields the patch does not name are cleared.
 */
export function applyFieldsPatch(
  current: WritableObjectFields,
  patch: ObjectFieldsPatch,
  mode: 'merge' | 'replace',
): WritableObjectFields {
  const next: WritableObjectFields =
    mode === 'merge' ? { ...current } : { storageClass: current.storageClass };
  for (const field of STRING_FIELDS) {
    if (field === 'storageClass') continue; // changed only by a rewrite, never by metadata updates
    const value = patch[field];
    if (value === null) delete next[field];
    else if (value !== undefined) next[field] = value;
  }
  if (patch.metadata === null) next.metadata = {};
  else if (patch.metadata !== undefined) {
    next.metadata = mergeMetadata(mode === 'merge' ? (current.metadata ?? {}) : {}, patch.metadata);
  } else if (mode === 'replace') next.metadata = {};
  if (!next.contentType) next.contentType = DEFAULT_CONTENT_TYPE;
  checkMetadataSize(next.metadata ?? {});
  return next;
}

function mergeMetadata(
  base: Readonly<Record<string, string>>,
  patch: Record<string, string | null>,
): Record<string, string> {
  const out: Record<string, string> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}

function checkMetadataSize(metadata: Record<string, string>): void {
  let bytes = 0;
  for (const [key, value] of Object.entries(metadata)) {
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (bytes > MAX_METADATA_BYTES) throw invalid('Custom metadata exceeds the 8 KiB limit.');
}
