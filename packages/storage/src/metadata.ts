import { InvalidArgumentError } from './errors.js';

const KEY = /^[a-z_][a-z0-9_]*$/i;
const VALUE = /^[\x20-\x7e]*$/;
/** The most metadata, in bytes of keys plus values, every cloud accepts (S3: 2 KiB). */
export const MAX_METADATA_BYTES = 2048;

/**
 * Validates user metadata against the rules every cloud accepts at once, and returns a copy with
 * lowercase keys. Keys: `[a-z_][a-z0-9_]*` (Azure requires identifiers; S3 lowercases keys);
 * values: printable ASCII; total size of keys plus values at most 2 KiB. Two keys that differ only
 * in case are an error. Throws {@link InvalidArgumentError} naming the offending key.
 */
export function normalizeMetadata(
  metadata: Record<string, string> | undefined,
  key?: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (metadata === undefined) return out;
  if (metadata === null || typeof metadata !== 'object') {
    throw new InvalidArgumentError('metadata', 'must be an object of string values', keyOpt(key));
  }
  let bytes = 0;
  for (const [k, v] of Object.entries(metadata)) {
    if (!KEY.test(k)) {
      throw new InvalidArgumentError(
        `metadata key ${JSON.stringify(k)}`,
        'keys must match [a-z_][a-z0-9_]*',
        keyOpt(key),
      );
    }
    if (typeof v !== 'string' || !VALUE.test(v)) {
      throw new InvalidArgumentError(
        `metadata value of ${JSON.stringify(k)}`,
        'values must be printable ASCII strings',
        keyOpt(key),
      );
    }
    const lower = k.toLowerCase();
    if (lower in out) {
      throw new InvalidArgumentError(
        `metadata key ${JSON.stringify(k)}`,
        'two keys differ only in case',
        keyOpt(key),
      );
    }
    out[lower] = v;
    bytes += lower.length + v.length;
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new InvalidArgumentError(
      'metadata',
      `keys and values must total at most ${MAX_METADATA_BYTES} bytes`,
      keyOpt(key),
    );
  }
  return out;
}

/** Lowercases the keys of metadata read back from a provider (Azure lowercases some, GCS none). */
export function lowerCaseKeys(
  metadata: Record<string, string | undefined> | undefined | null,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!metadata) return out;
  for (const [k, v] of Object.entries(metadata)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

function keyOpt(key: string | undefined): { key?: string } {
  return key === undefined ? {} : { key };
}
