import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGcsStore } from '@failover/gcs';
import { type BlobStore, readAll, StorageError, TransferError } from '@failover/storage';
import {
  createFaultProxy,
  type Fault,
  type FaultProxy,
  faults,
  type GcsLocalServer,
} from '@failover/testkit';
import { ioBoundsContract } from '@failover/testkit/contract';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startEmulator, uniqueBucket } from './helpers.js';

// The shared suite through @google-cloud/storage against our emulator behind the fault proxy.
// With the default bounds the SDK keeps its own retries on (as a user's client would): the
// adapter's bounds still end every call.
ioBoundsContract('gcs', async () => {
  const server = await startEmulator();
  const bucketName = uniqueBucket('io-bounds');
  await server.createBucket(bucketName);
  return {
    origin: server.origin,
    flavor: 'gcs',
    open: (endpoint, timeouts) =>
      createGcsStore({
        bucket: server.clientFor(endpoint, { sdkRetries: timeouts === undefined ? 3 : 0 }).bucket(bucketName),
        resumableThreshold: 1024,
        ...(timeouts === undefined ? {} : { timeouts: timeouts as object }),
      }),
    download: { path: /alt=media/ },
    // A resumable upload: the session POST, then the PUT of the data to the session URI.
    upload: {
      start: { method: 'POST', path: /uploadType=resumable/ },
      data: { method: 'PUT', path: /upload_id=/ },
    },
    cleanup: () => server.stop(),
  };
});

// What only GCS does: uploads answered by a separate response (simple, multipart and resumable).
describe('GCS store: upload responses that never finish', () => {
  const BOUNDS = { connectTimeoutMs: 300, responseTimeoutMs: 300, idleTimeoutMs: 300 };
  const BODY = Buffer.alloc(512 * 1024, 7);
  let server: GcsLocalServer;
  let proxy: FaultProxy;
  let bucketName: string;

  beforeAll(async () => {
    server = await startEmulator();
    proxy = await createFaultProxy({ target: server.origin, flavor: 'gcs' });
    bucketName = uniqueBucket('timeouts');
    await server.createBucket(bucketName);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });
  beforeEach(async () => {
    await proxy.setFault(faults.pass());
  });

  const store = (timeouts: object = BOUNDS): BlobStore =>
    createGcsStore({
      bucket: server.clientFor(proxy.url, { sdkRetries: 0 }).bucket(bucketName),
      resumableThreshold: 1024,
      timeouts,
    });

  async function failure(call: () => Promise<unknown>): Promise<StorageError> {
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    return err as StorageError;
  }

  it.each([
    ['cut', faults.cut({ afterBytes: 5, match: { path: /\/upload\// } })],
    ['stall', faults.stall({ afterBytes: 5, match: { path: /\/upload\// } })],
    ['cut right after the headers', faults.cut({ match: { path: /\/upload\// } })],
  ] as [string, Fault][])(
    'an upload whose response is %s does not stay pending',
    async (_label, fault) => {
      const s = store();
      await proxy.setFault(fault);
      for (const body of [Buffer.from('small'), BODY, () => Readable.from([BODY])]) {
        const err = await failure(() => s.put('up', typeof body === 'function' ? body() : body));
        expect(['network', 'timeout']).toContain(err.kind);
      }
    },
    60_000,
  );

  it('the resumable data request (after the session was created) is bounded too', async () => {
    const s = store();
    const chunks = () =>
      Readable.from(
        (async function* () {
          for (let i = 0; i < 8; i++) {
            await sleep(5);
            yield BODY.subarray(i * 65_536, (i + 1) * 65_536);
          }
        })(),
      );
    // Only the PUT to the session URI: the proxy holds it, then answers it halfway.
    for (const fault of [
      faults.blackhole({ match: { method: 'PUT' } }),
      faults.stall({ afterBytes: 5, match: { method: 'PUT' } }),
      faults.cut({ afterBytes: 5, match: { method: 'PUT' } }),
    ]) {
      await proxy.setFault(fault);
      const err = await failure(() => s.put('resumable', chunks()));
      expect(['network', 'timeout']).toContain(err.kind);
    }
  }, 60_000);

  it('a one-request upload whose POST the proxy holds is bounded (its multipart body is piped, as on Node 20 it is announced late)', async () => {
    // Below the default resumableThreshold (8 MiB) and more than the socket buffers take.
    const s = createGcsStore({
      bucket: server.clientFor(proxy.url, { sdkRetries: 0 }).bucket(bucketName),
      timeouts: BOUNDS,
    });
    await proxy.setFault(faults.blackhole({ match: { method: 'POST', path: /uploadType=multipart/ } }));
    const err = await failure(() => s.put('simple', Buffer.alloc(8 * 1024 * 1024 - 1, 3)));
    expect(['network', 'timeout']).toContain(err.kind);
  }, 60_000);

  it('a response slower to start than idleTimeoutMs (a slow server, or this process starved of CPU) fails the read, and nothing else', async () => {
    // The idle watchdog runs from the request on. Firing before the body was handed out, it must
    // fail the get(), not emit an error on a stream nobody listens to yet (that crashes the process).
    await store().put('big', BODY);
    const s = store({ idleTimeoutMs: 100, responseTimeoutMs: 5000 });
    await proxy.setFault(faults.latency(600));
    const err = await failure(() => s.get('big'));
    expect(err).toBeInstanceOf(TransferError);
    expect(err).toMatchObject({ kind: 'network', code: 'FO_DOWNLOAD_STALLED' });
    await proxy.setFault(faults.pass());
    // The abandoned download's late answer makes the client destroy its HTTP agent, which can
    // reset a read in flight at that moment: read until one gets through.
    const again = await vi.waitFor(async () => readAll((await s.get('big')).body), {
      timeout: 20_000,
      interval: 50,
    });
    expect(Buffer.compare(again, BODY)).toBe(0);
  }, 60_000);
});
