import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  type BlobStore,
  createFileJournal,
  createMultiCloudStore,
  getBytes,
  isPrefixEntry,
  type MultiCloudStore,
  type MultiCloudStoreOptions,
} from '@failover/storage';
import { faults } from '@failover/testkit';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { cloudStores, startTargetOrderClouds, type TargetOrderClouds } from '../support/clouds.js';
import { testFailover } from './test-failover.js';

export { testFailover };

/** Three real storage servers, each behind its own fault proxy with a DNS name, and a temp dir. */
export interface Clouds extends TargetOrderClouds {
  readonly tmp: string;
}

/** Starts the three servers and their proxies (once per test file: Azurite takes about a second). */
export async function startClouds(): Promise<Clouds> {
  const clouds = await startTargetOrderClouds();
  const tmp = await mkdtemp(join(tmpdir(), 'failover-multi-cloud-'));
  return {
    ...clouds,
    tmp,
    async stop() {
      await clouds.stop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** One set of buckets: the stores the multi-cloud store uses (through the proxies) and direct ones. */
/** The three local clouds of a test file, and the stores its tests opened (see {@link useClouds}). */
export interface CloudsFixture {
  /** The running clouds (throws before the file's `beforeAll` ran). */
  readonly clouds: Clouds;
  /** Stores a test opened: closed after each test, once every proxy is back to `pass`. */
  readonly stores: MultiCloudStore[];
}

/**
 * Starts the three local clouds for the calling test file (`beforeAll`), puts every proxy back to
 * `pass` and closes the stores pushed to `stores` after each test, and stops the clouds after the
 * file.
 */
export function useClouds(): CloudsFixture {
  let clouds: Clouds | undefined;
  const stores: MultiCloudStore[] = [];
  beforeAll(async () => {
    clouds = await startClouds();
  });
  afterEach(async () => {
    if (clouds !== undefined) await Promise.all(clouds.proxies.map((p) => p.setFault(faults.pass())));
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await clouds?.stop();
  });
  return {
    get clouds(): Clouds {
      if (clouds === undefined) throw new Error('the local clouds are not running');
      return clouds;
    },
    stores,
  };
}

export interface Buckets {
  readonly name: string;
  /** Through the fault proxies, SDK retries off: what the multi-cloud store is given. */
  readonly viaProxy: readonly [BlobStore, BlobStore, BlobStore];
  /** Straight to the servers: to check what each target really holds. */
  readonly direct: readonly [BlobStore, BlobStore, BlobStore];
}

let counter = 0;

/** Fresh buckets on every server, and stores over them. */
export async function freshBuckets(clouds: Clouds, label: string): Promise<Buckets> {
  counter++;
  const name = `${label}-${counter}-${randomBytes(3).toString('hex')}`.toLowerCase().slice(0, 60);
  await Promise.all([
    clouds.s3.createBucket(name),
    clouds.gcs.createBucket(name),
    clouds.azure.createBucket(name),
  ]);
  return {
    name,
    viaProxy: cloudStores(name, clouds.app),
    direct: cloudStores(name, clouds.direct),
  };
}

/** A multi-cloud store over fresh buckets with a file journal in its own directory. */
export async function multiStore(
  clouds: Clouds,
  buckets: Buckets,
  options: Partial<MultiCloudStoreOptions> = {},
): Promise<{ store: MultiCloudStore; journalDir: string }> {
  const journalDir = await mkdtemp(join(clouds.tmp, 'journal-'));
  const store = createMultiCloudStore({
    targets: buckets.viaProxy,
    journal: createFileJournal({ dir: journalDir }),
    failover: testFailover(),
    repair: { intervalMs: 250, delayMs: 20 },
    spool: { memoryBytes: 64 * 1024, dir: clouds.tmp },
    reads: { bufferBytes: 64 * 1024 },
    ...options,
  });
  return { store, journalDir };
}

/** Copies a journal directory as it is on disk now (without its lock): what a crash leaves. */
export async function snapshotJournal(from: string, clouds: Clouds): Promise<string> {
  const to = await mkdtemp(join(clouds.tmp, 'crash-'));
  await cp(join(from, 'journal.jsonl'), join(to, 'journal.jsonl'));
  return to;
}

/** A cloud by its index in {@link Buckets} (0 S3, 1 GCS, 2 Azure), and its name in test titles. */
export type CloudIndex = 0 | 1 | 2;
export const CLOUD_NAMES = ['S3', 'GCS', 'Azure'] as const;

/**
 * A fault proxy `match.path` for a cloud's object downloads (the GET that carries the body) of keys
 * under `prefix` in `bucket`: GCS's media downloads (`alt=media`), S3's and Azurite's path-style
 * `/<bucket>/<key>`.
 */
export function objectDownloads(cloud: CloudIndex, bucket: string, prefix: string): RegExp {
  if (cloud === 1) return /alt=media/;
  return new RegExp(`/${bucket}/${prefix}`);
}

/** Deterministic bytes for a key and a generation. */
export function bytesFor(key: string, generation: number, size = 100 + (generation % 7) * 37): Buffer {
  const seed = Buffer.from(`${key}#${generation}:`);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = seed[i % seed.length]! ^ (i & 0xff);
  return out;
}

/**
 * An application's workload: puts (bytes and streams, small and large), overwrites, deletes, gets
 * and lists, remembering what was acknowledged. Every call must succeed: a rejection fails the test.
 */
export class Workload {
  /** Acknowledged content of every live key. */
  readonly expected = new Map<string, Buffer>();
  /** Keys whose delete was acknowledged. */
  readonly deleted = new Set<string>();
  readonly #store: MultiCloudStore;
  readonly #prefix: string;
  #generation = 0;
  ops = 0;

  constructor(store: MultiCloudStore, prefix = 'w/') {
    this.#store = store;
    this.#prefix = prefix;
  }

  async put(name: string, asStream = false, size?: number): Promise<void> {
    const key = `${this.#prefix}${name}`;
    const bytes = bytesFor(key, ++this.#generation, size);
    const body = asStream ? Readable.from(chunks(bytes)) : bytes;
    await this.#store.put(key, body, {
      contentType: 'application/x-test',
      metadata: { gen: String(this.#generation) },
    });
    this.ops++;
    this.expected.set(key, bytes);
    this.deleted.delete(key);
  }

  async delete(name: string): Promise<void> {
    const key = `${this.#prefix}${name}`;
    await this.#store.delete(key);
    this.ops++;
    this.expected.delete(key);
    this.deleted.add(key);
  }

  /** Every acknowledged write reads back byte for byte; every deleted key reads as missing. */
  async verifyReads(store: MultiCloudStore = this.#store): Promise<void> {
    for (const [key, bytes] of this.expected) {
      const got = await getBytes(store, key);
      this.ops++;
      expect(got.equals(bytes), `content of ${key}`).toBe(true);
    }
    for (const key of this.deleted) {
      expect(await store.exists(key), `${key} stays deleted`).toBe(false);
      this.ops++;
    }
  }

  /** The listing holds exactly the live keys. */
  async verifyList(store: MultiCloudStore = this.#store): Promise<void> {
    const keys: string[] = [];
    for await (const e of store.list({ prefix: this.#prefix, pageSize: 7 }))
      if (!isPrefixEntry(e)) keys.push(e.key);
    this.ops++;
    expect(keys).toEqual([...this.expected.keys()].sort());
  }

  /**
   * One round of an application's work: new keys (one of them a stream larger than the spool's
   * memory and the read buffer), overwrites and deletes of earlier keys, then reads and a list.
   */
  async round(label: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.put(`${label}-${i}`, i % 3 === 1);
    await this.put(`${label}-large`, true, 200 * 1024);
    const older = [...this.expected.keys()]
      .filter((k) => !k.includes(`${label}-`))
      .map((k) => k.slice(this.#prefix.length));
    if (older.length > 0) await this.put(older[0]!);
    if (older.length > 1) await this.delete(older[older.length - 1]!);
    await this.delete(`${label}-0`);
    await this.verifyReads();
    await this.verifyList();
  }
}

function* chunks(bytes: Buffer, size = 16 * 1024): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/**
 * Every target holds exactly the live keys under the prefix, each with the acknowledged bytes and
 * one version shared by all targets; deleted keys are nowhere.
 */
export async function expectConverged(
  direct: readonly BlobStore[],
  w: Workload,
  prefix = 'w/',
): Promise<void> {
  const want = [...w.expected.keys()].sort();
  for (const store of direct) {
    const keys: string[] = [];
    for await (const e of store.list({ prefix })) if (!isPrefixEntry(e)) keys.push(e.key);
    expect(keys, `keys on ${store.name}`).toEqual(want);
  }
  for (const [key, bytes] of w.expected) {
    const versions = new Set<string | undefined>();
    for (const store of direct) {
      const info = await store.head(key);
      versions.add(info?.metadata.fo_version);
      expect((await getBytes(store, key)).equals(bytes), `${key} on ${store.name}`).toBe(true);
    }
    expect(versions.size, `one version of ${key} everywhere`).toBe(1);
    expect([...versions][0]).toMatch(/^\d{15}-\d{6}-/);
  }
  for (const key of w.deleted) {
    for (const store of direct) expect(await store.head(key), `${key} deleted on ${store.name}`).toBeNull();
  }
}

/** Waits until the journal is empty (repair runs by itself). */
export async function untilRepaired(store: MultiCloudStore, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (store.status().journal.backlog > 0) {
    if (Date.now() > deadline) {
      throw new Error(`repair did not finish: ${JSON.stringify(store.status().repair.last)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `store` with a count of every call made on it (attempts, probes, the store's own calls). */
export function countingCalls<T extends object>(
  store: T,
  /** Count only these methods (default: every method). */
  methods?: readonly string[],
  /** Count only the calls whose arguments this accepts (default: every call). */
  accept: (args: readonly unknown[]) => boolean = () => true,
): { store: T; calls: () => number; reset: () => void } {
  let n = 0;
  const counted = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if ((methods === undefined || methods.includes(String(prop))) && accept(args)) n++;
        return Reflect.apply(value, target, args);
      };
    },
  });
  return {
    store: counted,
    calls: () => n,
    reset: () => {
      n = 0;
    },
  };
}

/**
 * Sequential puts of `k/0`, `k/1`... to `store`, each read back at once, until `stop()` says so
 * (looked at before each put) or `max` puts: the bytes written, by key (one entry per put).
 */
export async function putAndReadUntil(
  store: BlobStore,
  stop: () => boolean,
  max: number,
): Promise<Map<string, Buffer>> {
  const written = new Map<string, Buffer>();
  for (let i = 0; i < max && !stop(); i++) {
    const key = `k/${i}`;
    const bytes = bytesFor(key, i);
    await store.put(key, bytes);
    written.set(key, bytes);
    expect((await getBytes(store, key)).equals(bytes)).toBe(true);
  }
  return written;
}
