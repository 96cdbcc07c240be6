import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidOptionError } from '@failover/core';
import {
  bucketRecordProblem,
  objectFileBase,
  objectRecordProblem,
  toStoredBucket,
  toStoredObject,
} from './mirror-records.js';
import type { StoredBucket, StoredObject } from './object-model.js';

/** What {@link DirectoryMirror.load} finds on disk. */
export interface MirroredBucket {
  bucket: StoredBucket;
  objects: StoredObject[];
}

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

  /**
   * Reads every bucket and object in the directory (creating it when missing). Nothing found there
   * is trusted: a bucket whose `bucket.json` names another or an invalid bucket, an object whose
   * metadata names an invalid object, another bucket or another file, unreadable JSON, a missing
   * content file or a symbolic link throws an `InvalidOptionError` for `directory` naming the file.
   */
  load(): Promise<MirroredBucket[]> {
    return this.#enqueue(async () => {
      await mkdir(this.#root, { recursive: true });
      const out: MirroredBucket[] = [];
      for (const entry of await readdir(this.#root, { withFileTypes: true })) {
        const rel = `buckets/${entry.name}`;
        if (entry.isSymbolicLink()) throw refused(rel, 'is a symbolic link');
        if (!entry.isDirectory()) continue;
        const dir = join(this.#root, entry.name);
        const record = await readJsonFile(join(dir, 'bucket.json'), `${rel}/bucket.json`);
        const bucketProblem = bucketRecordProblem(entry.name, record);
        if (bucketProblem !== undefined) throw refused(`${rel}/bucket.json`, bucketProblem);
        const bucket = toStoredBucket(record as Record<string, unknown>);
        const objects: StoredObject[] = [];
        const objectsDir = join(dir, 'objects');
        await mkdir(objectsDir, { recursive: true });
        for (const file of await readdir(objectsDir, { withFileTypes: true })) {
          const fileRel = `${rel}/objects/${file.name}`;
          if (file.isSymbolicLink()) throw refused(fileRel, 'is a symbolic link');
          if (!file.isFile() || !file.name.endsWith('.json')) continue;
          const base = file.name.slice(0, -5);
          const meta = await readJsonFile(join(objectsDir, file.name), fileRel);
          const problem = objectRecordProblem(bucket.name, base, meta);
          if (problem !== undefined) throw refused(fileRel, problem);
          const binPath = join(objectsDir, `${base}.bin`);
          const binStat = await lstat(binPath).catch(() => undefined);
          if (!binStat?.isFile()) throw refused(`${rel}/objects/${base}.bin`, 'is missing or not a file');
          objects.push(toStoredObject(meta as Record<string, unknown>, await readFile(binPath)));
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
    return join(this.#root, bucket, 'objects', objectFileBase(name));
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

function refused(file: string, problem: string): InvalidOptionError {
  return new InvalidOptionError('directory', `${file} ${problem}; the emulator refuses to load it`);
}

async function readJsonFile(path: string, rel: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw refused(rel, 'cannot be read');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw refused(rel, 'is not valid JSON');
  }
}
