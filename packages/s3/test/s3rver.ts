import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import type { ListEntry } from '@failover/storage';
import { type S3LocalServer, startS3Server } from '@failover/testkit';
import { afterAll, beforeAll } from 'vitest';

/** s3rver for one test file: started before its tests, stopped after them. */
export interface S3rverFixture {
  /** The running server (throws before `beforeAll` ran). */
  readonly server: S3LocalServer;
  /** A new empty bucket with a unique name. */
  freshBucket(): Promise<string>;
  /**
   * A client for the server with the SDK's default checksum settings (`WHEN_SUPPORTED`): streams
   * would go out aws-chunked, which s3rver stores with the framing inside.
   */
  defaultChecksumClient(): S3Client;
}

let counter = 0;

export function useS3rver(): S3rverFixture {
  let server: S3LocalServer | undefined;
  const clients: S3Client[] = [];
  beforeAll(async () => {
    server = await startS3Server();
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.stop();
  });
  const get = (): S3LocalServer => {
    if (!server) throw new Error('s3rver is not running');
    return server;
  };
  return {
    get server() {
      return get();
    },
    async freshBucket() {
      const name = `bucket-${process.pid}-${++counter}`;
      await get().createBucket(name);
      return name;
    },
    defaultChecksumClient() {
      const { requestChecksumCalculation, responseChecksumValidation, ...rest } = get().clientConfig;
      void requestChecksumCalculation;
      void responseChecksumValidation;
      const client = new S3Client({ ...rest, endpoint: get().origin, maxAttempts: 1 });
      clients.push(client);
      return client;
    },
  };
}

/** Every entry of a listing. */
export async function collect(entries: AsyncIterable<ListEntry>): Promise<ListEntry[]> {
  const out: ListEntry[] = [];
  for await (const entry of entries) out.push(entry);
  return out;
}

/** SHA-256 of bytes, as hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Deterministic pseudo-random bytes (not all zeros, so a shifted or framed body shows). */
export function patternBytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
