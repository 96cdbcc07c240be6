import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getBytes } from '@failover/storage';
import { BUCKET, withClouds } from './storage-clouds.js';

/** One throughput case: object size and calls in flight. */
export interface ThroughputSpec {
  readonly bytes: number;
  readonly concurrency: number;
}

/** One way of putting and getting an object. */
interface Variant {
  readonly name: string;
  put(key: string, body: Buffer): Promise<unknown>;
  get(key: string): Promise<Buffer>;
}

/** Per variant, the put and get rates of each measured round (calls per second). */
export interface ThroughputRun {
  readonly type: 'throughput';
  readonly variants: { name: string; putsPerSecond: number[]; getsPerSecond: number[] }[];
}

/** The name of the ratios' baseline row. */
export const RAW_SDK = 'raw SDK: S3Client PutObject / GetObject';
/** The rows of the other clouds' raw SDKs (for the default write mode's bound: the 2nd-fastest cloud). */
export const RAW_GCS = 'raw SDK: GCS file.save / download';
export const RAW_AZURE = 'raw SDK: Azure uploadData / downloadToBuffer';
export const RAW_SDKS: readonly string[] = [RAW_SDK, RAW_GCS, RAW_AZURE];

const ROUNDS = Number(process.env.BENCH_THROUGHPUT_ROUNDS ?? 9);

/** Calls per variant and round. */
function callsPerRound(bytes: number): number {
  return bytes <= 64 * 1024 ? 200 : 32;
}

/**
 * Puts then gets the same objects through each variant, over the same proxies to the same servers:
 * each cloud's raw SDK, the S3 adapter store, and the multi-cloud store in 'primary', the default
 * ({ quorum: 2, minimum: 1 }) and 'mirror' mode.
 * Variants take turns within each round, starting with a different one each round; the first
 * round is a warm-up and is not reported.
 */
export function runThroughputCase(spec: ThroughputSpec): Promise<ThroughputRun> {
  return withClouds(async (clouds) => {
    const primaryStore = clouds.multi({ writes: 'primary' });
    const mirrorStore = clouds.multi({ writes: 'mirror' });
    const defaultStore = clouds.multi();
    const gcsBucket = clouds.gcsClient.bucket(BUCKET);
    const container = clouds.azureClient.getContainerClient(BUCKET);
    const adapter = clouds.targets[0];
    const variants: Variant[] = [
      {
        name: RAW_SDK,
        put: (key, body) =>
          clouds.s3Client.send(
            new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: body.length }),
          ),
        get: async (key) => {
          const res = await clouds.s3Client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
          // Read as the stores read: the Node stream, chunks concatenated.
          const chunks: Buffer[] = [];
          for await (const chunk of res.Body as Readable) chunks.push(chunk as Buffer);
          return Buffer.concat(chunks);
        },
      },
      {
        name: RAW_GCS,
        put: (key, body) => gcsBucket.file(key).save(body, { resumable: false }),
        get: async (key) => (await gcsBucket.file(key).download())[0],
      },
      {
        name: RAW_AZURE,
        put: (key, body) => container.getBlockBlobClient(key).uploadData(body),
        get: (key) => container.getBlockBlobClient(key).downloadToBuffer(),
      },
      {
        name: 'S3 adapter store (createS3Store)',
        put: (key, body) => adapter.put(key, body),
        get: (key) => getBytes(adapter, key),
      },
      {
        name: "multi-cloud store, writes: 'primary'",
        put: (key, body) => primaryStore.put(key, body),
        get: (key) => getBytes(primaryStore, key),
      },
      {
        name: 'multi-cloud store, default writes ({ quorum: 2, minimum: 1 })',
        put: (key, body) => defaultStore.put(key, body),
        get: (key) => getBytes(defaultStore, key),
      },
      {
        name: "multi-cloud store, writes: 'mirror'",
        put: (key, body) => mirrorStore.put(key, body),
        get: (key) => getBytes(mirrorStore, key),
      },
    ];
    const calls = callsPerRound(spec.bytes);
    const bodies = Array.from({ length: calls }, () => randomBytes(spec.bytes));
    const results = variants.map((v) => ({
      name: v.name,
      putsPerSecond: [] as number[],
      getsPerSecond: [] as number[],
    }));
    for (let round = 0; round <= ROUNDS; round++) {
      for (let turn = 0; turn < variants.length; turn++) {
        const i = (turn + round) % variants.length;
        const v = variants[i]!;
        const keys = bodies.map((_, k) => `t/${i}/${round}/${k}`);
        const putRate = await rate(calls, spec.concurrency, (k) => v.put(keys[k]!, bodies[k]!));
        const getRate = await rate(calls, spec.concurrency, async (k) => {
          const got = await v.get(keys[k]!);
          if (!got.equals(bodies[k]!)) throw new Error(`${v.name} read back other bytes for ${keys[k]}`);
        });
        if (round === 0) continue;
        results[i]!.putsPerSecond.push(putRate);
        results[i]!.getsPerSecond.push(getRate);
      }
    }
    return { type: 'throughput', variants: results };
  });
}

/** Runs `fn(0..calls-1)` with `concurrency` calls in flight; returns calls per second. */
async function rate(
  calls: number,
  concurrency: number,
  fn: (k: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, calls) }, async () => {
      while (next < calls) await fn(next++);
    }),
  );
  return (calls / (performance.now() - start)) * 1000;
}
