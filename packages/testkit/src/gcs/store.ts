import type { DirectoryMirror } from './directory-mirror.js';
import { compareUtf8 } from './names.js';
import type { StoredBucket, StoredObject } from './object-model.js';

interface BucketState {
  readonly bucket: StoredBucket;
  readonly objects: Map<string, StoredObject>;
  /** Object names in UTF-8 order; rebuilt lazily after a write or delete. */
  sorted: string[] | undefined;
}

/**
 * The emulator's buckets and objects, in memory, optionally mirrored to a directory. Every change
 * is made in memory at once (so checks and writes are atomic), then mirrored; the returned promise
 * settles when the mirror has it.
 */
export class GcsStore {
  readonly #buckets = new Map<string, BucketState>();
  readonly #mirror: DirectoryMirror | undefined;
  #lastGeneration = 0;

  constructor(mirror?: DirectoryMirror) {
    this.#mirror = mirror;
  }

  /** Loads the mirrored directory, if any, replacing what is in memory. */
  async load(): Promise<void> {
    if (!this.#mirror) return;
    const loaded = await this.#mirror.load();
    this.#buckets.clear();
    for (const { bucket, objects } of loaded) {
      const state: BucketState = { bucket, objects: new Map(), sorted: undefined };
      for (const object of objects) {
        state.objects.set(object.name, object);
        this.#lastGeneration = Math.max(this.#lastGeneration, object.generation);
      }
      this.#buckets.set(bucket.name, state);
    }
  }

  /**
   * A new object generation: microseconds since the epoch, like GCS's, strictly increasing.
   */
  nextGeneration(): number {
    this.#lastGeneration = Math.max(this.#lastGeneration + 1, Date.now() * 1000);
    return this.#lastGeneration;
  }

  bucket(name: string): StoredBucket | undefined {
    return this.#buckets.get(name)?.bucket;
  }

  /** Buckets sorted by name. */
  buckets(): StoredBucket[] {
    return [...this.#buckets.values()].map((s) => s.bucket).sort((a, b) => compareUtf8(a.name, b.name));
  }

  /** Adds a bucket; returns false (and changes nothing) when it exists. */
  async addBucket(bucket: StoredBucket): Promise<boolean> {
    if (this.#buckets.has(bucket.name)) return false;
    this.#buckets.set(bucket.name, { bucket, objects: new Map(), sorted: undefined });
    await this.#mirror?.saveBucket(bucket);
    return true;
  }

  /** Removes a bucket and its objects. */
  async removeBucket(name: string): Promise<void> {
    if (!this.#buckets.delete(name)) return;
    await this.#mirror?.removeBucket(name);
  }

  /** How many objects a bucket holds (0 for a missing bucket). */
  objectCount(bucket: string): number {
    return this.#buckets.get(bucket)?.objects.size ?? 0;
  }

  object(bucket: string, name: string): StoredObject | undefined {
    return this.#buckets.get(bucket)?.objects.get(name);
  }

  /** Object names of a bucket in UTF-8 byte order. */
  sortedNames(bucket: string): readonly string[] {
    const state = this.#buckets.get(bucket);
    if (!state) return [];
    state.sorted ??= [...state.objects.keys()].sort(compareUtf8);
    return state.sorted;
  }

  /** Stores an object (replacing any object of that name). The bucket must exist. */
  async putObject(object: StoredObject): Promise<void> {
    const state = this.#buckets.get(object.bucket);
    if (!state) throw new Error(`Bucket ${object.bucket} does not exist`);
    const existed = state.objects.has(object.name);
    state.objects.set(object.name, object);
    if (!existed) state.sorted = undefined;
    await this.#mirror?.saveObject(object);
  }

  /** Updates an object's metadata only (same content). */
  async updateObject(object: StoredObject): Promise<void> {
    const state = this.#buckets.get(object.bucket);
    if (!state) throw new Error(`Bucket ${object.bucket} does not exist`);
    state.objects.set(object.name, object);
    await this.#mirror?.saveObject(object, { metadataOnly: true });
  }

  /** Removes an object; false when there was none. */
  async removeObject(bucket: string, name: string): Promise<boolean> {
    const state = this.#buckets.get(bucket);
    if (!state?.objects.delete(name)) return false;
    state.sorted = undefined;
    await this.#mirror?.removeObject(bucket, name);
    return true;
  }

  /** Removes everything (and the mirrored directory's contents). */
  async clear(): Promise<void> {
    this.#buckets.clear();
    await this.#mirror?.clear();
  }
}
