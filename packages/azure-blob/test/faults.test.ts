import { randomBytes } from 'node:crypto';
import { ContainerClient, ContainerSASPermissions } from '@azure/storage-blob';
import { AbortedError, classifyFailure, failedBeforeSending } from '@failover/core';
import { type BlobStore, StorageError } from '@failover/storage';
import {
  type AzureLocalServer,
  createFaultProxy,
  type FaultProxy,
  startAzureServer,
} from '@failover/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAzureBlobStore } from '../src/index.js';
import { collect, text } from './azurite.js';

/** Runs `call` and returns what it threw (fails the test if it did not throw). */
async function failure(call: () => Promise<unknown>): Promise<StorageError> {
  try {
    await call();
  } catch (err) {
    expect(err).toBeInstanceOf(StorageError);
    return err as StorageError;
  }
  throw new Error('expected the call to fail');
}

describe('Azure errors through the fault proxy (azurite behind it, SDK retries off)', () => {
  let server: AzureLocalServer;
  let proxy: FaultProxy;
  let containerName: string;
  let store: BlobStore;

  beforeAll(async () => {
    server = await startAzureServer();
    proxy = await createFaultProxy({ target: server.origin, flavor: 'azure' });
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });
  beforeEach(async () => {
    await proxy.setFault({ type: 'pass' });
    proxy.resetCounts();
    containerName = `f${randomBytes(6).toString('hex')}`;
    await server.createBucket(containerName);
    const container = server.clientFor(proxy.origin, { sdkRetries: 0 }).getContainerClient(containerName);
    store = createAzureBlobStore({ container, name: 'azure-primary' });
    await store.put('present', 'some bytes');
  });
  afterEach(async () => {
    await proxy.setFault({ type: 'pass' });
  });

  it('503 ServerBusy is throttled, and classifyFailure of the raw SDK error agrees', async () => {
    await proxy.setFault({ type: 'status', status: 503 });
    const err = await failure(() => store.get('present'));
    expect(err).toMatchObject({ kind: 'throttled', target: 'azure-primary', key: 'present' });
    expect(err.cause).toMatchObject({ name: 'RestError', statusCode: 503, code: 'ServerBusy' });
    expect(classifyFailure(err.cause)).toBe('throttled');
    expect(err.message).toContain('ServerBusy');
  });

  it('500 InternalError is unavailable; 500 OperationTimedOut is timeout', async () => {
    await proxy.setFault({ type: 'status', status: 500 });
    const err = await failure(() => store.put('k', 'v'));
    expect(err.kind).toBe('unavailable');
    expect(classifyFailure(err.cause)).toBe('unavailable');
    await proxy.setFault({ type: 'status', status: 500, code: 'OperationTimedOut' });
    const timedOut = await failure(() => store.head('present'));
    expect(timedOut.kind).toBe('timeout');
    expect(classifyFailure(timedOut.cause)).toBe('timeout');
  });

  it('a bare 503 without an Azure code (a load balancer) is unavailable', async () => {
    await proxy.setFault({
      type: 'status',
      status: 503,
      body: 'upstream down',
      headers: { 'x-ms-error-code': '' },
    });
    const err = await failure(() => collect(store.list()));
    expect(err.kind).toBe('unavailable');
    expect(classifyFailure(err.cause)).toBe('unavailable');
  });

  it('a reset connection is network, for every operation', async () => {
    await proxy.setFault({ type: 'reset' });
    for (const call of [
      () => store.put('k', 'v'),
      () => store.get('present'),
      () => store.head('present'),
      () => store.exists('present'),
      () => store.delete('present'),
      () => collect(store.list()),
      () => store.copy('present', 'copy'),
    ]) {
      const err = await failure(call);
      expect(err.kind).toBe('network');
      expect(classifyFailure(err.cause)).toBe('network');
    }
  });

  it('a refused connection is network and provably never sent', async () => {
    await proxy.setFault({ type: 'refuse' });
    // The put of beforeEach left a kept-alive connection, which the proxy dropped. On a busy
    // machine the client may send on it before it has seen it close: that put fails with a reset
    // (network, maybe sent, which is the truth). The next puts open new connections: refused.
    let err = await failure(() => store.put('k', 'v'));
    for (let stale = 0; !failedBeforeSending(err) && stale < 8; stale++) {
      expect(err.kind).toBe('network');
      err = await failure(() => store.put('k', 'v'));
    }
    expect(err.kind).toBe('network');
    expect(failedBeforeSending(err)).toBe(true);
  });

  it('a download cut half-way fails its body with kind network', async () => {
    await store.put('big', Buffer.alloc(256 * 1024, 9));
    await proxy.setFault({ type: 'reset', afterBytes: 1000 });
    const { body } = await store.get('big');
    const err = await text(body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ kind: 'network', key: 'big', target: 'azure-primary' });
  });

  it('404 and 409 from the service stay answers, not outages', async () => {
    await proxy.setFault({ type: 'status', status: 404, match: { method: 'HEAD' } });
    expect(await store.head('present')).toBeNull();
    await proxy.setFault({ type: 'status', status: 409, match: { method: 'PUT' } });
    const err = await failure(() => store.put('present', 'x', { ifNoneMatch: '*' }));
    expect(err.kind).toBe('precondition');
  });

  it('the abort signal reaches the SDK call: a call held by the network ends when aborted', async () => {
    await proxy.setFault({ type: 'blackhole' });
    const calls: Array<(signal: AbortSignal) => Promise<unknown>> = [
      (signal) => store.put('k', 'v', { signal }),
      (signal) => store.get('present', { signal }),
      (signal) => store.head('present', { signal }),
      (signal) => store.delete('present', { signal }),
      (signal) => collect(store.list({ signal })),
      (signal) => store.copy('present', 'c', { signal }),
    ];
    for (const call of calls) {
      proxy.resetCounts();
      const controller = new AbortController();
      const pending = call(controller.signal);
      // wait until the request is held by the proxy, then abort
      while (proxy.counts.total === 0) await new Promise((r) => setTimeout(r, 5));
      const reason = new Error('caller gave up');
      controller.abort(reason);
      const err = await pending.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AbortedError);
      expect(err).toMatchObject({ kind: 'aborted', target: 'azure-primary', cause: reason });
    }
  });

  it('keeps SAS tokens out of messages (service messages that echo a signed URL, auth failures)', async () => {
    const direct = server.containerClient(containerName);
    const sasUrl = await direct.generateSasUrl({
      permissions: ContainerSASPermissions.parse('racwdl'),
      expiresOn: new Date(Date.now() + 3_600_000),
    });
    const sig = new URL(sasUrl).searchParams.get('sig');
    expect(sig).toBeTruthy();
    const viaProxy = new ContainerClient(sasUrl.replace(server.origin, proxy.origin), undefined, {
      retryOptions: { maxTries: 1 },
    });
    const sasStore = createAzureBlobStore({ container: viaProxy });
    expect(await text((await sasStore.get('present')).body)).toBe('some bytes');

    const echoed = viaProxy.getBlobClient('present').url;
    await proxy.setFault({ type: 'status', status: 500, message: `Failed to read ${echoed}` });
    const err = await failure(() => sasStore.get('present'));
    expect(err.kind).toBe('unavailable');
    expect(err.message).toContain('[redacted]');
    for (const leak of [sig as string, encodeURIComponent(sig as string), 'se=20']) {
      expect(err.message).not.toContain(leak);
      expect(String(err)).not.toContain(leak);
    }
    expect(err.message).not.toMatch(/(sig|se|sv|sp)=(?!\[redacted\])/);
    await proxy.setFault({ type: 'pass' });

    const tampered = new ContainerClient(
      sasUrl.replace(/sig=[^&]+/, `sig=${encodeURIComponent(randomBytes(32).toString('base64'))}`),
      undefined,
      { retryOptions: { maxTries: 1 } },
    );
    const denied = await failure(() => createAzureBlobStore({ container: tampered }).put('k', 'v'));
    expect(denied.kind).toBe('auth');
    expect(denied.message).not.toMatch(/sig=|AccountKey|Eby8vdM02x/);
  });
});
