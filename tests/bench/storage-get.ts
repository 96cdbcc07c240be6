import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { BlobStore } from '@failover/storage';
import { BUCKET, withClouds } from './storage-clouds.js';

/** One get case: object size and calls in flight. */
export interface GetSpec {
  readonly bytes: number;
  readonly concurrency: number;
}

/**
 * Per variant and measured round: gets per second, each call's time to first byte (ms), and the
 * CPU time this process spent per call (`process.cpuUsage()`; the in-process proxies and GCS
 * emulator included, the servers' own processes not).
 */
export interface GetRun {
  readonly type: 'get';
  readonly variants: {
    name: string;
    /** The raw-SDK variant this one is compared with (itself for a raw SDK). */
    baseline: string;
    getsPerSecond: number[];
    ttfbMs: number[];
    cpuMsPerCall: number[];
  }[];
}

/** The baseline rows of the get tables, one per cloud. */
export const RAW_GET = 'raw SDK: S3Client GetObject, body read to its end';
export const RAW_GCS_GET = 'raw SDK: GCS File.createReadStream (its default crc32c validation)';
export const RAW_AZURE_GET = 'raw SDK: Azure BlobClient.download, body read to its end';

const ROUNDS = Number(process.env.BENCH_GET_ROUNDS ?? 9);
/** `BENCH_GET_ONLY`: a regular expression; only the variants whose name matches run. */
const VARIANTS = process.env.BENCH_GET_ONLY ? new RegExp(process.env.BENCH_GET_ONLY, 'i') : undefined;

/** How one variant reads an object: resolves when its first byte is there, then with the rest. */
type Reader = (key: string) => Promise<{ first: number; done: Promise<Buffer> }>;

/**
 * Gets of the same objects (written once through the multi-cloud store and repaired, so every
 * cloud holds them with their version and SHA-256) through each cloud's fault proxy, in the same
 * process: per cloud the raw SDK's read and the adapter store's `get`, and the multi-cloud store's
 * `get` (default write mode, S3 first in the read order; every read verified against the SHA-256;
 * compared with raw S3). Each call's time to first
 * byte runs from the call to the first chunk of the body; the rate counts whole objects read.
 * Variants take turns within each round, a different one first each round; the first round is a
 * warm-up and is not reported.
 */
export function runGetCase(spec: GetSpec): Promise<GetRun> {
  return withClouds(async (clouds) => {
    // The library's router defaults (attempt limit 10 s): the other cases' 1 s limit trips on a
    // loaded machine with 8 reads of 1 MiB in flight, and a read that fails over measures that.
    const store = clouds.multi({ failover: {} });
    // The same store without hedged reads: what hedging costs this process (its losing requests).
    const unhedged = clouds.multi({ failover: { hedge: false } });
    const [s3, gcs, azure] = clouds.targets;
    const gcsBucket = clouds.gcsClient.bucket(BUCKET);
    const container = clouds.azureClient.getContainerClient(BUCKET);
    const calls = spec.bytes <= 64 * 1024 ? 200 : 32;
    const bodies = Array.from({ length: calls }, () => randomBytes(spec.bytes));
    const keys = bodies.map((_, k) => `g/${k}`);
    for (const [k, key] of keys.entries()) await store.put(key, bodies[k]!);
    await store.repair();
    const all: { name: string; baseline: string; read: Reader }[] = [
      {
        name: RAW_GET,
        baseline: RAW_GET,
        read: async (key) => {
          const res = await clouds.s3Client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
          return firstByte(res.Body as Readable);
        },
      },
      { name: 'S3 adapter store (createS3Store)', baseline: RAW_GET, read: storeReader(s3) },
      {
        name: RAW_GCS_GET,
        baseline: RAW_GCS_GET,
        read: (key) => firstByte(gcsBucket.file(key).createReadStream()),
      },
      { name: 'GCS adapter store (createGcsStore)', baseline: RAW_GCS_GET, read: storeReader(gcs) },
      {
        name: RAW_AZURE_GET,
        baseline: RAW_AZURE_GET,
        read: async (key) => {
          const res = await container.getBlobClient(key).download();
          return firstByte(res.readableStreamBody as Readable);
        },
      },
      {
        name: 'Azure adapter store (createAzureBlobStore)',
        baseline: RAW_AZURE_GET,
        read: storeReader(azure),
      },
      {
        name: 'multi-cloud store (default writes; reads verified)',
        baseline: RAW_GET,
        read: storeReader(store),
      },
      {
        name: 'multi-cloud store, hedging off (failover.hedge: false)',
        baseline: RAW_GET,
        read: storeReader(unhedged),
      },
    ];
    const variants = all.filter((v) => VARIANTS === undefined || VARIANTS.test(v.name));
    const results = variants.map((v) => ({
      name: v.name,
      baseline: v.baseline,
      getsPerSecond: [] as number[],
      ttfbMs: [] as number[],
      cpuMsPerCall: [] as number[],
    }));
    for (let round = 0; round <= ROUNDS; round++) {
      for (let turn = 0; turn < variants.length; turn++) {
        const i = (turn + round) % variants.length;
        const v = variants[i]!;
        const ttfb: number[] = [];
        let next = 0;
        const cpu = process.cpuUsage();
        const start = performance.now();
        await Promise.all(
          Array.from({ length: Math.min(spec.concurrency, calls) }, async () => {
            while (next < calls) {
              const k = next++;
              const t0 = performance.now();
              const { first, done } = await v.read(keys[k]!);
              ttfb.push(first - t0);
              const got = await done;
              if (!got.equals(bodies[k]!)) throw new Error(`${v.name} read back other bytes for ${keys[k]}`);
            }
          }),
        );
        const rate = (calls / (performance.now() - start)) * 1000;
        const used = process.cpuUsage(cpu);
        if (round === 0) continue;
        results[i]!.getsPerSecond.push(rate);
        results[i]!.cpuMsPerCall.push((used.user + used.system) / 1000 / calls);
        results[i]!.ttfbMs.push(...ttfb);
      }
    }
    return { type: 'get', variants: results };
  });
}

function storeReader(store: BlobStore): Reader {
  return async (key) => firstByte((await store.get(key)).body);
}

/**
 * Resolves when the body's first chunk arrived (`first`: its `performance.now()`), with `done`
 * reading the rest (chunks concatenated, as the stores' own helpers read).
 */
function firstByte(body: Readable): Promise<{ first: number; done: Promise<Buffer> }> {
  const iterator = body[Symbol.asyncIterator]();
  return iterator.next().then((head) => {
    const first = performance.now();
    const done = (async () => {
      const chunks: Buffer[] = head.done ? [] : [head.value as Buffer];
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        chunks.push(next.value as Buffer);
      }
      return Buffer.concat(chunks);
    })();
    return { first, done };
  });
}
