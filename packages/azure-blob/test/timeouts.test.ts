import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidOptionError } from '@failover/core';
import {
  type BlobStore,
  InvalidArgumentError,
  readAll,
  StorageError,
  TransferError,
} from '@failover/storage';
import {
  type AzureLocalServer,
  createFaultProxy,
  type Fault,
  type FaultProxy,
  faults,
  startAzureServer,
} from '@failover/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAzureBlobStore } from '../src/index.js';
import { collect } from './azurite.js';

// Azurite behind the fault proxy, through @azure/storage-blob. Short bounds keep the file quick;
// nothing asserts how long anything took, only that every call settles with the right kind.
let server: AzureLocalServer;
let proxy: FaultProxy;
let containerName: string;
const BOUNDS = { connectTimeoutMs: 300, responseTimeoutMs: 300, idleTimeoutMs: 300 };
const BODY = Buffer.alloc(512 * 1024, 5);
/** Only the blob download itself (a GET of the blob, not a list or properties call). */
const DOWNLOAD = { method: 'GET', path: /\/big(\?|$)/ };

beforeAll(async () => {
  server = await startAzureServer();
  proxy = await createFaultProxy({ target: server.origin, flavor: 'azure' });
  containerName = `t${randomBytes(6).toString('hex')}`;
  await server.createBucket(containerName);
  await createAzureBlobStore({ container: server.containerClient(containerName) }).put('big', BODY);
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});
beforeEach(async () => {
  await proxy.setFault(faults.pass());
});

function store(timeouts: object | undefined = BOUNDS, sdkRetries = 0): BlobStore {
  const container = server.clientFor(proxy.origin, { sdkRetries }).getContainerClient(containerName);
  return createAzureBlobStore({ container, ...(timeouts ? { timeouts } : {}) });
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

describe('Azure Blob store: no call hangs on a silent or cut connection', () => {
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
      () => collect(s.list()),
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
    ['cut (FIN) mid-body', faults.cut({ afterBytes: 10_000, match: DOWNLOAD })],
    ['stall mid-body', faults.stall({ afterBytes: 10_000, match: DOWNLOAD })],
    ['reset mid-body', faults.reset({ afterBytes: 10_000, match: DOWNLOAD })],
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

  it('a cut or stalled download fails network with default bounds and SDK retries on', async () => {
    const s = store(undefined, 3);
    await proxy.setFault(faults.cut({ afterBytes: 1000, match: DOWNLOAD }));
    expect(await readFailure(s, 'big')).toMatchObject({ kind: 'network' });
    await proxy.setFault(faults.stall({ afterBytes: 1000, match: DOWNLOAD }));
    expect(await readFailure(s, 'big')).toMatchObject({ kind: 'network' });
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

  it('per-call timeouts replace the store bounds; options are validated with exact paths', async () => {
    const s = store({ connectTimeoutMs: 0, responseTimeoutMs: 0, idleTimeoutMs: 0 });
    await proxy.setFault(faults.blackhole());
    const err = await failure(() => s.head('big', { timeouts: { responseTimeoutMs: 200 } }));
    expect(err).toMatchObject({ kind: 'timeout', phase: 'response' });
    await proxy.setFault(faults.pass());
    const container = server.containerClient(containerName);
    expect(() => createAzureBlobStore({ container, timeouts: { connectTimeoutMs: 0.5 } })).toThrow(
      InvalidOptionError,
    );
    expect(() => createAzureBlobStore({ container, timeouts: { connectTimeoutMs: 0.5 } })).toThrow(
      /"timeouts\.connectTimeoutMs"/,
    );
    const bad = await s.head('big', { timeouts: { nope: 1 } as object }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidArgumentError);
    expect((bad as Error).message).toContain('timeouts.nope');
  }, 60_000);
});
