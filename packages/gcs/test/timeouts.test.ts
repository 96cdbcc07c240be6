import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidOptionError } from '@failover/core';
import { createGcsStore } from '@failover/gcs';
import {
  type BlobStore,
  InvalidArgumentError,
  readAll,
  StorageError,
  TransferError,
} from '@failover/storage';
import {
  createFaultProxy,
  type Fault,
  type FaultProxy,
  faults,
  type GcsLocalServer,
} from '@failover/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, uniqueBucket } from './helpers.js';

// Our GCS emulator behind the fault proxy, through @google-cloud/storage. Short bounds keep the
// file quick; nothing asserts how long anything took, only that every call settles with its kind.
let server: GcsLocalServer;
let proxy: FaultProxy;
let bucketName: string;
const BOUNDS = { connectTimeoutMs: 300, responseTimeoutMs: 300, idleTimeoutMs: 300 };
const BODY = Buffer.alloc(512 * 1024, 7);

beforeAll(async () => {
  server = await startEmulator();
  proxy = await createFaultProxy({ target: server.origin, flavor: 'gcs' });
  bucketName = uniqueBucket('timeouts');
  await server.createBucket(bucketName);
  await createGcsStore({ bucket: server.clientFor(server.origin).bucket(bucketName) }).put('big', BODY);
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});
beforeEach(async () => {
  await proxy.setFault(faults.pass());
});

function store(timeouts: object | undefined = BOUNDS, sdkRetries = 0): BlobStore {
  const bucket = server.clientFor(proxy.url, { sdkRetries }).bucket(bucketName);
  return createGcsStore({ bucket, resumableThreshold: 1024, ...(timeouts ? { timeouts } : {}) });
}

async function failure(call: () => Promise<unknown>): Promise<StorageError> {
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageError);
  return err as StorageError;
}

async function readFailure(s: BlobStore, key: string): Promise<unknown> {
  return (async () => {
    const { body } = await s.get(key);
    await readAll(body);
  })().then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('GCS store: no call hangs on a silent or cut connection', () => {
  it('blackhole: every operation rejects with kind timeout', async () => {
    const s = store();
    await proxy.setFault(faults.blackhole());
    for (const call of [
      () => s.get('big'),
      () => s.head('big'),
      () => s.exists('big'),
      () => s.put('small', 'x'),
      () => s.put('stream', Readable.from([BODY])),
      () => s.delete('small'),
      () => s.list()[Symbol.asyncIterator]().next(),
      () => s.copy('big', 'copy'),
    ]) {
      const err = await failure(call);
      expect(err).toMatchObject({ kind: 'timeout', target: s.name });
    }
  }, 60_000);

  it('blackhole with default bounds and the SDK retrying: get still settles (timeout)', async () => {
    const s = store(undefined, 3);
    await proxy.setFault(faults.blackhole());
    const err = await failure(() => s.get('big'));
    expect(err).toBeInstanceOf(TransferError);
    expect(err.kind).toBe('timeout');
  }, 60_000);

  it.each([
    ['cut (FIN) mid-body', faults.cut({ afterBytes: 10_000, match: { path: /alt=media/ } })],
    ['stall mid-body', faults.stall({ afterBytes: 10_000, match: { path: /alt=media/ } })],
    ['reset mid-body', faults.reset({ afterBytes: 10_000, match: { path: /alt=media/ } })],
  ] as [string, Fault][])(
    '%s: the download fails with kind network',
    async (_label, fault) => {
      const s = store();
      await proxy.setFault(fault);
      const err = await readFailure(s, 'big');
      expect(err).toBeInstanceOf(StorageError);
      expect(err).toMatchObject({ kind: 'network', target: s.name });
    },
    60_000,
  );

  it('a cut download fails with default bounds too (v7 would wait forever for the rest)', async () => {
    const s = store(undefined);
    await proxy.setFault(faults.cut({ afterBytes: 1000, match: { path: /alt=media/ } }));
    expect(await readFailure(s, 'big')).toMatchObject({ kind: 'network' });
    await proxy.setFault(faults.stall({ afterBytes: 1000, match: { path: /alt=media/ } }));
    expect(await readFailure(s, 'big')).toMatchObject({ kind: 'network' });
  }, 60_000);

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

  it('refused connections reject with kind network', async () => {
    const s = store();
    await proxy.setFault(faults.refuse());
    expect((await failure(() => s.get('big'))).kind).toBe('network');
    expect((await failure(() => s.put('k', BODY))).kind).toBe('network');
  }, 60_000);

  it('a reader slow to read and a caller slow to send are not stalls', async () => {
    const s = store({ idleTimeoutMs: 200, responseTimeoutMs: 5000 });
    const { body } = await s.get('big');
    await sleep(700);
    expect(Buffer.compare(await readAll(body), BODY)).toBe(0);
    const slow = Readable.from(
      (async function* () {
        yield BODY.subarray(0, 1000);
        await sleep(700);
        yield BODY.subarray(1000);
      })(),
    );
    expect((await s.put('slow-source', slow)).size).toBe(BODY.length);
  }, 60_000);

  it('a response slower to start than idleTimeoutMs (a slow server, or this process starved of CPU) fails the read, and nothing else', async () => {
    // The idle watchdog runs from the request on. Firing before the body was handed out, it must
    // fail the get(), not emit an error on a stream nobody listens to yet (that crashes the process).
    const s = store({ idleTimeoutMs: 100, responseTimeoutMs: 5000 });
    await proxy.setFault(faults.latency(600));
    const err = await failure(() => s.get('big'));
    expect(err).toBeInstanceOf(TransferError);
    expect(err).toMatchObject({ kind: 'network', code: 'FO_DOWNLOAD_STALLED' });
    await proxy.setFault(faults.pass());
    expect(Buffer.compare(await readAll((await s.get('big')).body), BODY)).toBe(0);
  }, 60_000);

  it('per-call timeouts replace the store bounds; options are validated with exact paths', async () => {
    const s = store({ connectTimeoutMs: 0, responseTimeoutMs: 0, idleTimeoutMs: 0 });
    await proxy.setFault(faults.blackhole());
    const err = await failure(() => s.head('big', { timeouts: { responseTimeoutMs: 200 } }));
    expect(err).toMatchObject({ kind: 'timeout', phase: 'response' });
    await proxy.setFault(faults.pass());
    const bucket = server.clientFor(proxy.url).bucket(bucketName);
    expect(() => createGcsStore({ bucket, timeouts: { responseTimeoutMs: -5 } })).toThrow(InvalidOptionError);
    expect(() => createGcsStore({ bucket, timeouts: { responseTimeoutMs: -5 } })).toThrow(
      /"timeouts\.responseTimeoutMs"/,
    );
    const bad = await s.get('big', { timeouts: { idleTimeoutMs: 'x' as unknown as number } }).catch((e) => e);
    expect(bad).toBeInstanceOf(InvalidArgumentError);
    expect((bad as Error).message).toContain('timeouts.idleTimeoutMs');
  }, 60_000);
});
