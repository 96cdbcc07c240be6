import { createGcsStore } from '@failover/gcs';
import { readAll, StorageError } from '@failover/storage';
import { createFaultProxy, type FaultProxy, faults, type GcsLocalServer } from '@failover/testkit';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startEmulator, uniqueBucket } from './helpers.js';

// A download whose first byte comes later than the idle bound: the watchdog fails the read. Found
// by the fleet demo on a loaded machine: the failure was also emitted on the body stream before
// the caller held it, with no listener, and crashed the process.
let server: GcsLocalServer;
let proxy: FaultProxy;
let bucketName: string;

beforeAll(async () => {
  server = await startEmulator();
  proxy = await createFaultProxy({ target: server.origin, flavor: 'gcs' });
  bucketName = uniqueBucket('first-byte');
  await server.createBucket(bucketName);
  await createGcsStore({ bucket: server.clientFor(server.origin).bucket(bucketName) }).put(
    'doc',
    Buffer.alloc(4096, 1),
  );
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

it('a first byte later than idleTimeoutMs rejects the get (kind network) and crashes nothing', async () => {
  const bucket = server.clientFor(proxy.url, { sdkRetries: 0 }).bucket(bucketName);
  const store = createGcsStore({ bucket, timeouts: { responseTimeoutMs: 10_000, idleTimeoutMs: 100 } });
  await proxy.setFault(faults.latency(1500));
  const err = await store.get('doc').then(
    async ({ body }) => readAll(body),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageError);
  expect((err as StorageError).kind).toBe('network');
  await proxy.setFault(faults.pass());
  // Still alive, and reads again. (The abandoned download's answer still arrives late; the client
  // then destroys its HTTP agent, which can reset a read in flight at that moment: read until one
  // gets through.)
  const again = await vi.waitFor(async () => readAll((await store.get('doc')).body), {
    timeout: 20_000,
    interval: 50,
  });
  expect(again.length).toBe(4096);
});
