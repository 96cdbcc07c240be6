import { randomBytes } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { type AzureLocalServer, startAzureServer } from '@failover/testkit';
import { afterAll, beforeAll } from 'vitest';

/** Starts one azurite for the test file (stopped after it) and hands out fresh containers. */
export function useAzurite(): {
  server: () => AzureLocalServer;
  freshContainer: () => Promise<ContainerClient>;
} {
  let server: AzureLocalServer | undefined;
  beforeAll(async () => {
    server = await startAzureServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const current = () => {
    if (!server) throw new Error('azurite is not running');
    return server;
  };
  return {
    server: current,
    freshContainer: async () => {
      const name = `c${randomBytes(6).toString('hex')}`;
      await current().createBucket(name);
      return current().containerClient(name);
    },
  };
}

/** Reads a stream to the end into a string. */
export async function text(body: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** Collects an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
