import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGcsStore } from '@failover/gcs';
import type { BlobStore, GetResult } from '@failover/storage';
import {
  createFaultProxy,
  type FaultProxy,
  type GcsLocalServer,
  type RequestInfo,
  startGcsServer,
} from '@failover/testkit';

/** A running emulator; every test file starts one and stops it in `afterAll`. */
export async function startEmulator(): Promise<GcsLocalServer> {
  return startGcsServer();
}

let counter = 0;
/** A bucket name unique within the run. */
export function uniqueBucket(label: string): string {
  counter += 1;
  return `${label}-${process.pid}-${counter}-${randomBytes(3).toString('hex')}`;
}

/** The emulator behind a fault proxy, with a bucket and a store through the proxy. */
export interface BehindProxy {
  readonly server: GcsLocalServer;
  readonly proxy: FaultProxy;
  readonly bucketName: string;
  /** Over the bucket through the proxy: SDK retries off, resumable uploads from 1 KiB. */
  readonly store: BlobStore;
}

/**
 * Starts the emulator behind a GCS-flavoured fault proxy, makes a fresh bucket named after
 * `label` and a store over it through the proxy. With SDK retries off, every fault reaches the
 * store at once. The caller closes the proxy and stops the server in `afterAll`.
 */
export async function startBehindProxy(label: string): Promise<BehindProxy> {
  const server = await startEmulator();
  let proxy: FaultProxy | undefined;
  try {
    proxy = await createFaultProxy({ target: server.origin, flavor: 'gcs' });
    const bucketName = uniqueBucket(label);
    await server.createBucket(bucketName);
    const bucket = server.clientFor(proxy.url, { sdkRetries: 0 }).bucket(bucketName);
    return { server, proxy, bucketName, store: createGcsStore({ bucket, resumableThreshold: 1024 }) };
  } catch (err) {
    await proxy?.close();
    await server.stop();
    throw err;
  }
}

/** A proxy in GCS flavor that also records every request it sees (method and target). */
export async function recordingProxy(target: string): Promise<{ proxy: FaultProxy; seen: string[] }> {
  const proxy = await createFaultProxy({ target, flavor: 'gcs' });
  const seen: string[] = [];
  const record = (r: RequestInfo): boolean => {
    seen.push(`${r.method} ${r.url}`);
    return false;
  };
  // A pass fault that never matches: every request goes through untouched and is recorded.
  await proxy.setFault({ type: 'mix', faults: [{ type: 'pass', match: record }] });
  return { proxy, seen };
}

/** Reads a get result's body. */
export async function text(result: GetResult): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of result.body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

/** A stream of `size` deterministic bytes in chunks of `chunk`. */
export function byteStream(bytes: Buffer, chunk = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
    })(),
  );
}

/** Polls `condition` every 10 ms until it holds (the test's own timeout bounds the wait). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
}
