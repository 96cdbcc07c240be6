import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createS3Store, DEFAULT_PART_SIZE, DEFAULT_QUEUE_SIZE, MAX_PUT_OBJECT_SIZE } from '@failover/s3';
import { type BlobStore, SHA256_KEY } from '@failover/storage';
import { type BenchClouds, BUCKET, withClouds } from './storage-clouds.js';

/**
 * Which store the big object goes through: the multi-cloud store to S3 (`multi`, writes
 * 'primary') or to the three clouds at once (`multi-quorum`, the default write mode), the S3
 * adapter alone (`adapter`, its defaults; `adapter-8x2`: 8 MiB parts, 2 at once, its defaults before 5
 * December 2026), the raw SDK's lib-storage `Upload` with the same parts (`upload`, `upload-8x2`), or one raw streamed
 * PutObject (`raw`). The `-single` variants give the S3 adapter `multipartThreshold: 5 GiB`, so
 * a stream of known size goes in one streamed PutObject whatever its size.
 */
export type MemoryClient =
  | 'multi'
  | 'multi-single'
  | 'multi-quorum'
  | 'multi-quorum-single'
  | 'adapter'
  | 'adapter-single'
  | 'adapter-8x2'
  | 'upload'
  | 'upload-8x2'
  | 'raw';

/** One streamed transfer and the process's resident memory while it ran. */
export interface MemorySample {
  readonly bytes: number;
  readonly ms: number;
  /** RSS just before the transfer, after a GC. */
  readonly rssBefore: number;
  /** The highest RSS seen (sampled every `SAMPLE_MS`). */
  readonly rssPeak: number;
  /** RSS samples taken. */
  readonly samples: number;
  /** The highest `arrayBuffers` (Buffer memory outside the JS heap) seen, and before. */
  readonly buffersBefore?: number;
  readonly buffersPeak?: number;
}

/** A streamed put, then a streamed get of the same object. */
export interface MemoryRun {
  readonly type: 'memory';
  readonly client: MemoryClient;
  readonly put: MemorySample;
  readonly get: MemorySample;
  /**
   * Multi-cloud store: ms from the put's return until every copy it wrote carried its real
   * SHA-256 (stamped in the background), waited for before the get.
   */
  readonly stampMs?: number;
  /** Multi-cloud store, writes 'primary': `copy` of the big object to another key, after the get. */
  readonly copy?: MemorySample;
}

/** The size of the big object: `BENCH_BIG_BYTES`, 1 GiB by default. */
export const BIG_BYTES = Number(process.env.BENCH_BIG_BYTES ?? 1024 ** 3);
/** The multi-cloud store's `attemptTimeoutMs` here (the other benchmarks use 1000). */
export const BIG_ATTEMPT_TIMEOUT_MS = 600_000;
const SAMPLE_MS = 50;
/** How long the bench waits for a copy's stamp before it runs a repair pass to make it again. */
const STAMP_REPAIR_AFTER_MS = 10_000;
const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** Puts and gets a big object as streams. */
interface Transfer {
  /** Writes `body` (`size` bytes) at `key`; returns the size stored. */
  put(key: string, body: Readable, size: number): Promise<number>;
  get(key: string): Promise<Readable>;
}

/** A transfer through a store. */
function storeTransfer(store: BlobStore): Transfer {
  return {
    put: async (key, body, size) => (await store.put(key, body, { size })).size,
    get: async (key) => (await store.get(key)).body,
  };
}

/** The raw SDK: one PutObject with the stream as its body, one GetObject. */
function rawTransfer(client: S3Client): Transfer {
  return {
    put: async (key, body, size) => {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: size }));
      return size;
    },
    get: async (key) =>
      (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body as Readable,
  };
}

/**
 * The raw SDK's own streamed upload: lib-storage's `Upload` with the S3 store's defaults (5 MiB
 * parts, 2 at once), the reference the S3 adapter's own multipart upload is held to.
 */
function uploadTransfer(client: S3Client, partSize: number, queueSize: number): Transfer {
  return {
    put: async (key, body, size) => {
      const upload = new Upload({
        client,
        params: { Bucket: BUCKET, Key: key, Body: body },
        partSize,
        queueSize,
        leavePartsOnError: false,
      });
      await upload.done();
      return size;
    },
    get: rawTransfer(client).get,
  };
}

/**
 * Puts a generated stream of `BIG_BYTES` (never held in memory) while sampling RSS, then gets it
 * back as a stream and counts the bytes, through one of:
 *
 * - `multi`: the multi-cloud store (writes: 'primary', so the bytes go to S3; automatic repair
 *   off; `attemptTimeoutMs` 10 minutes); the get is verified against the SHA-256 as it ends;
 * - `adapter`: the S3 adapter store alone (its own multipart upload), for reference;
 * - `raw`: the raw SDK (one streamed PutObject), the floor of Node + SDK + proxy.
 *
 * The get's growth is measured from the RSS before the put, so memory the put left behind counts
 * against it. The GCS emulator runs in a child process (`gcsInChild`), so it is not counted.
 */
export function runMemoryCase(client: MemoryClient): Promise<MemoryRun> {
  // The GCS emulator in a process of its own: in this one it would hold the object (2 GB for a
  // 1 GiB put), hiding the store's own growth in the quorum rows.
  return withClouds((clouds) => runMemoryCaseOn(clouds, client), { gcsInChild: true });
}

async function runMemoryCaseOn(clouds: BenchClouds, client: MemoryClient): Promise<MemoryRun> {
  const large = client.endsWith('-8x2');
  const single = client.endsWith('-single');
  const partSize = large ? 8 * MiB : DEFAULT_PART_SIZE;
  const queueSize = large ? 2 : DEFAULT_QUEUE_SIZE;
  // The S3 adapter of this case: the clouds' own (defaults), or one with other settings.
  const s3 =
    large || single
      ? createS3Store({
          client: clouds.s3Client,
          bucket: BUCKET,
          name: 'aws',
          partSize,
          queueSize,
          ...(single ? { multipartThreshold: MAX_PUT_OBJECT_SIZE } : {}),
        })
      : clouds.targets[0];
  const multi = client.startsWith('multi')
    ? clouds.multi({
        targets: [s3, clouds.targets[1], clouds.targets[2]],
        ...(client.startsWith('multi-quorum') ? {} : { writes: 'primary' as const }),
        // The attempt limit covers a whole upload: it must outlast the big object's transfer.
        failover: { attemptTimeoutMs: BIG_ATTEMPT_TIMEOUT_MS },
      })
    : undefined;
  const transfer =
    client === 'raw'
      ? rawTransfer(clouds.s3Client)
      : client.startsWith('upload')
        ? uploadTransfer(clouds.s3Client, partSize, queueSize)
        : storeTransfer(multi ?? s3);
  // Load the SDKs with a small object only: a big warm-up would grow the heap before the
  // baseline is taken and hide part of the big transfer's footprint.
  await transfer.put('warm/small', generated(1024), 1024);
  await drain(await transfer.get('warm/small'));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const base = process.memoryUsage.rss();

  let putDone = 0;
  const put = await sampled(base, async () => {
    const size = await transfer.put('big', generated(BIG_BYTES), BIG_BYTES);
    putDone = performance.now();
    if (size !== BIG_BYTES) throw new Error(`put stored ${size} bytes, not ${BIG_BYTES}`);
  });
  // The stamps run in the background after the put returned: wait for them before the get, so
  // that neither measures the other.
  let stampMs: number | undefined;
  if (multi !== undefined) {
    const holders = client.startsWith('multi-quorum') ? clouds.targets : [s3];
    for (const t of holders) {
      // A head can time out while s3rver assembles the multipart upload the quorum did not wait for.
      let repairAt = performance.now() + STAMP_REPAIR_AFTER_MS;
      while (!/^[0-9a-f]{64}$/.test((await t.head('big').catch(() => null))?.metadata[SHA256_KEY] ?? '')) {
        // A stamp that failed (the GCS emulator, busy hashing the object it just took, can let
        // the stamp's request pass its 2 s bound) is made again by repair, which is off here.
        if (performance.now() > repairAt) {
          await multi.repair();
          repairAt = performance.now() + STAMP_REPAIR_AFTER_MS;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    stampMs = performance.now() - putDone;
  }
  gc?.();
  const get = await sampled(base, async () => {
    const n = await drain(await transfer.get('big'));
    if (n !== BIG_BYTES) throw new Error(`get read ${n} bytes, not ${BIG_BYTES}`);
  });
  // The store's copy streams its source (read from S3, verified, written to S3): memory as a put.
  let copy: MemorySample | undefined;
  if (multi !== undefined && !client.startsWith('multi-quorum')) {
    gc?.();
    copy = await sampled(base, async () => {
      const info = await multi.copy('big', 'big-copy');
      if (info.size !== BIG_BYTES) throw new Error(`copy stored ${info.size} bytes, not ${BIG_BYTES}`);
    });
  }
  return {
    type: 'memory',
    client,
    put,
    get,
    ...(stampMs === undefined ? {} : { stampMs }),
    ...(copy === undefined ? {} : { copy }),
  };
}

/** Runs `fn`, sampling RSS every `SAMPLE_MS` (and at both ends); `rssBefore` is reported as given. */
async function sampled(rssBefore: number, fn: () => Promise<void>): Promise<MemorySample> {
  let rssPeak = process.memoryUsage.rss();
  const buffersBefore = process.memoryUsage().arrayBuffers;
  let buffersPeak = buffersBefore;
  let samples = 1;
  const timer = setInterval(() => {
    const usage = process.memoryUsage();
    rssPeak = Math.max(rssPeak, usage.rss);
    buffersPeak = Math.max(buffersPeak, usage.arrayBuffers);
    samples++;
  }, SAMPLE_MS);
  const start = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  const ms = performance.now() - start;
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  return { bytes: BIG_BYTES, ms, rssBefore, rssPeak, samples: samples + 1, buffersBefore, buffersPeak };
}

/** A stream of `total` generated bytes, made chunk by chunk as it is read. */
function generated(total: number): Readable {
  const pattern = randomBytes(CHUNK);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, total - sent);
      const chunk = Buffer.allocUnsafe(n);
      pattern.copy(chunk, 0, 0, n);
      if (n >= 4) chunk.writeUInt32BE(sent % 2 ** 32, 0); // no two chunks alike
      sent += n;
      this.push(chunk);
    },
  });
}

/** Reads a stream to its end, keeping nothing; returns the bytes read. */
async function drain(body: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of body) n += (chunk as Buffer).length;
  return n;
}
