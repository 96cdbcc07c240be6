import type { FileMetadata } from '@google-cloud/storage';
import { generationOf, metagenerationOf } from './info.js';

/**
 * The object resources this store last saw, per key, so that a whole-object `get` of a key it
 * knows needs one request, not two (see `GcsStore#getKnown`).
 *
 * What makes it safe: GCS changes an object's generation whenever its bytes change and its
 * metageneration whenever its metadata changes, and a media download says which pair it sent
 * (`x-goog-generation`, `x-goog-metageneration`). A remembered resource is used only for a
 * download naming exactly its pair, so it is never stale: anything else reads the metadata again.
 * At most `capacity` keys are kept, the least recently used dropped first; `0` keeps none.
 */
export class KnownVersions {
  readonly #capacity: number;
  readonly #byKey = new Map<string, KnownVersion>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The version remembered for `key` (now the most recently used), if any. */
  get(key: string): KnownVersion | undefined {
    const known = this.#byKey.get(key);
    if (known === undefined) return undefined;
    this.#byKey.delete(key);
    this.#byKey.set(key, known);
    return known;
  }

  /** Remembers `resource` for `key` when it names its generation and metageneration. */
  remember(key: string, resource: FileMetadata | undefined): void {
    if (this.#capacity === 0 || resource === undefined) return;
    const generation = generationOf(resource);
    const metageneration = metagenerationOf(resource);
    if (generation === undefined || metageneration === undefined) {
      this.#byKey.delete(key);
      return;
    }
    this.#byKey.delete(key);
    this.#byKey.set(key, { generation, metageneration, resource: trimmed(resource) });
    if (this.#byKey.size > this.#capacity) {
      const oldest = this.#byKey.keys().next();
      if (oldest.done !== true) this.#byKey.delete(oldest.value);
    }
  }

  forget(key: string): void {
    this.#byKey.delete(key);
  }

  get size(): number {
    return this.#byKey.size;
  }
}

/** One remembered object resource and the version it describes. */
export interface KnownVersion {
  readonly generation: string;
  readonly metageneration: string;
  readonly resource: FileMetadata;
}

/** The fields `toBlobInfo`, `contentCheckOf` and `generationOf` read; the rest is not kept. */
function trimmed(resource: FileMetadata): FileMetadata {
  const out: FileMetadata = {};
  for (const field of KEPT) {
    const value = resource[field];
    if (value !== undefined) (out as Record<string, unknown>)[field] = value;
  }
  return out;
}

const KEPT = [
  'name',
  'size',
  'metadata',
  'md5Hash',
  'crc32c',
  'etag',
  'contentType',
  'contentEncoding',
  'updated',
  'timeCreated',
  'generation',
  'metageneration',
] as const satisfies readonly (keyof FileMetadata)[];
