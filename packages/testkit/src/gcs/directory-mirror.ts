import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredBucket, StoredObject } from './object-model.js';

/** What {@link DirectoryMirror.load} finds on disk. */
export interface MirroredBucket {
  bucket: StoredBucket;
  objects: StoredObject[];
}

type ObjectMeta = Omit<StoredObject, 'data'>;

/**
 * Mirrors the emulator's buckets and objects to a directory, one change at a time in arrival
 * order: `buckets/NAME/bucket.json`, and per object `objects/SHA256(name).json` (its metadata,
 * name included) and `.bin` (its content). Files are written to a temporary name, then renamed.
 */
export class DirectoryMirror {
  readonly #root: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(directory: string) {
    this.#root = join(directory, 'buckets');
  }

  /** Reads every bucket and object in the directory (creating it when missing). */
  load(): Promise<MirroredBucket[]> {
    return this.#enqueue(async () => {
      await mkdir(this.#root, { recursive: true });
      const out: MirroredBucket[] = [];
      for (const entry of await readdir(this.#root, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const dir = join(this.#root, entry.name);
        const bucket = JSON.parse(await readFile(join(dir, 'bucket.json'), 'utf8')) as StoredBucket;
        const objects: StoredObject[] = [];
        const objectsDir = join(dir, 'objects');
        await mkdir(objectsDir, { recursive: true });
        for (const file of await readdir(objectsDir)) {
          if (!file.endsWith('.json')) continue;
          const meta = JSON.parse(await readFile(join(objectsDir, file), 'utf8')) as ObjectMeta;
          const data = await readFile(join(objectsDir, `${file.slice(0, -5)}.bin`));
          objects.push({ ...meta, data });
        }
        out.push({ bucket, objects });
      }
      return out;
    });
  }

  saveBucket(bucket: StoredBucket): Promise<void> {
    return this.#enqueue(async () => {
      const dir = join(this.#root, bucket.name);
      await mkdir(join(dir, 'objects'), { recursive: true });
      await atomicWrite(join(dir, 'bucket.json'), JSON.stringify(bucket));
    });
  }

  removeBucket(name: string): Promise<void> {
    return this.#enqueue(() => rm(join(this.#root, name), { recursive: true, force: true }));
  }

  saveObject(object: StoredObject, options: { metadataOnly?: boolean } = {}): Promise<void> {
    return this.#enqueue(async () => {
      const base = this.#objectBase(object.bucket, object.name);
      const { data, ...meta } = object;
      if (!options.metadataOnly) await atomicWrite(`${base}.bin`, data);
      await atomicWrite(`${base}.json`, JSON.stringify(meta));
    });
  }

  removeObject(bucket: string, name: string): Promise<void> {
    return this.#enqueue(async () => {
      const base = this.#objectBase(bucket, name);
      await rm(`${base}.json`, { force: true });
      await rm(`${base}.bin`, { force: true });
    });
  }

  clear(): Promise<void> {
    return this.#enqueue(async () => {
      await rm(this.#root, { recursive: true, force: true });
      await mkdir(this.#root, { recursive: true });
    });
  }

  #objectBase(bucket: string, name: string): string {
    const hash = createHash('sha256').update(name, 'utf8').digest('hex');
    return join(this.#root, bucket, 'objects', hash);
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

let tmpCounter = 0;

async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  tmpCounter += 1;
  const tmp = `${path}.${process.pid}.${tmpCounter}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
