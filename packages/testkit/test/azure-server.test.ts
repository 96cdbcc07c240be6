import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import {
  classifyFailure,
  failedBeforeSending,
  httpStatusOf,
  InvalidOptionError,
  isAvailabilityKind,
} from '@failover/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFaultProxy, type FaultProxy, faults } from '../src/fault-proxy/index.js';
import { type AzureLocalServer, startAzureServer } from '../src/servers/index.js';
import { failure, failureBeforeSending, isRunning, probe } from './server-helpers.js';

async function read(container: ContainerClient, name: string, abortSignal?: AbortSignal): Promise<string> {
  return (await container.getBlobClient(name).downloadToBuffer(0, undefined, { abortSignal })).toString();
}

// One Azurite for the whole file: it takes about a second to start.
let azure: AzureLocalServer;

beforeAll(async () => {
  azure = await startAzureServer({ buckets: ['alpha'] });
});
afterAll(async () => {
  await azure?.stop();
});

describe('startAzureServer', () => {
  it('describes itself and creates the containers asked for', async () => {
    expect(azure.provider).toBe('azure');
    expect(azure.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(azure.endpoint).toBe(`${azure.origin}/devstoreaccount1`);
    expect(azure.connectionString).toContain(`BlobEndpoint=${azure.endpoint};`);
    expect(await azure.containerClient('alpha').exists()).toBe(true);
    await azure.createBucket('alpha'); // idempotent
    await azure.createBucket('beta');
    await azure.createBucket('beta');
    expect(await azure.client.getContainerClient('beta').exists()).toBe(true);
  });

  it('round-trips blobs and lists them page by page', async () => {
    const container = azure.containerClient('alpha');
    for (let i = 0; i < 5; i++) {
      await container
        .getBlockBlobClient(`dir/${i}.txt`)
        .upload(`blob ${i}`, 6, { metadata: { index: String(i) } });
    }
    expect(await read(container, 'dir/3.txt')).toBe('blob 3');
    const names: string[] = [];
    let pages = 0;
    for await (const page of container.listBlobsFlat({ prefix: 'dir/' }).byPage({ maxPageSize: 2 })) {
      pages++;
      names.push(...page.segment.blobItems.map((b) => b.name));
    }
    expect(pages).toBe(3);
    expect(names).toEqual(['dir/0.txt', 'dir/1.txt', 'dir/2.txt', 'dir/3.txt', 'dir/4.txt']);
  });

  it('rejects bad options, naming them', async () => {
    await expect(startAzureServer({ sdkRetries: 1.5 })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => azure.clientFor('ftp://x')).toThrow(InvalidOptionError);
  });
});

describe('startAzureServer behind a fault proxy', () => {
  let proxy: FaultProxy;
  let client: BlobServiceClient;

  beforeAll(async () => {
    proxy = await createFaultProxy({ target: azure.origin, flavor: 'azure', hostname: 'azure-eastus' });
    client = azure.clientFor(proxy.url);
  });
  afterEach(async () => {
    await proxy.setFault(faults.pass());
    proxy.resetCounts();
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('clientFor(a failover.test name) puts the account in the host, as Azure does', async () => {
    expect(client.url).toBe(`http://devstoreaccount1.blob.azure-eastus.failover.test:${proxy.port}/`);
    expect(client.accountName).toBe('devstoreaccount1');
    const container = client.getContainerClient('alpha');
    expect(container.containerName).toBe('alpha');
    const blob = container.getBlockBlobClient('named/x.txt');
    expect(blob.name).toBe('named/x.txt');
    await blob.upload('through the name', 16);
    expect(await read(azure.containerClient('alpha'), 'named/x.txt')).toBe('through the name');
    expect(proxy.counts.forwarded).toBe(1);
  });

  it('clientFor(proxy.origin) uses the path style', async () => {
    const viaIp = azure.clientFor(proxy.origin);
    expect(viaIp.url).toBe(`${proxy.origin}/devstoreaccount1`);
    expect(await read(viaIp.getContainerClient('alpha'), 'named/x.txt')).toBe('through the name');
  });

  it('503 arrives as RestError ServerBusy, throttled, with SDK retries off by default', async () => {
    await proxy.setFault(faults.slowDown());
    const blob = client.getContainerClient('alpha').getBlobClient('named/x.txt');
    const err = await failure(blob.download());
    expect(err.name).toBe('RestError');
    expect(err.code).toBe('ServerBusy');
    expect(httpStatusOf(err)).toBe(503);
    expect(classifyFailure(err)).toBe('throttled');
    expect(proxy.counts.total).toBe(1);
    // HEAD answers have no body: the code comes from the x-ms-error-code header only.
    const head = await failure(blob.getProperties());
    expect((head.details as { errorCode?: string }).errorCode).toBe('ServerBusy');
    expect(httpStatusOf(head)).toBe(503);
  });

  it('500 InternalError is unavailable; sdkRetries turns the SDK retries on', async () => {
    await proxy.setFault(faults.serverError());
    const err = await failure(
      client.getContainerClient('alpha').getBlobClient('named/x.txt').getProperties(),
    );
    expect(httpStatusOf(err)).toBe(500);
    expect(classifyFailure(err)).toBe('unavailable');
    proxy.resetCounts();
    const retrying = azure.clientFor(proxy.url, { sdkRetries: 1 });
    await failure(retrying.getContainerClient('alpha').getBlobClient('named/x.txt').getProperties());
    expect(proxy.counts.total).toBe(2);
  });

  it('dns: ENOTFOUND reaches the caller, network, never sent', async () => {
    await proxy.setFault(faults.dns());
    // The fault drops the proxy's open connections: see failureBeforeSending.
    const err = await failureBeforeSending(() => read(client.getContainerClient('alpha'), 'named/x.txt'));
    expect(err.code).toBe('ENOTFOUND');
    expect(classifyFailure(err)).toBe('network');
    expect(failedBeforeSending(err)).toBe(true);
    await proxy.setFault(faults.pass());
    expect(await read(client.getContainerClient('alpha'), 'named/x.txt')).toBe('through the name');
  });

  it('reset and refuse are availability failures; blackhole ends by the caller abort', async () => {
    const container = client.getContainerClient('alpha');
    await proxy.setFault(faults.reset());
    const reset = await failure(read(container, 'named/x.txt'));
    expect(reset.code).toBe('ECONNRESET');
    expect(isAvailabilityKind(classifyFailure(reset))).toBe(true);

    await proxy.setFault(faults.refuse());
    // The fault drops the proxy's open connections: a pooled one can meet that drop first (seen
    // under load as ECONNRESET); see failureBeforeSending.
    const refused = await failureBeforeSending(() => read(container, 'named/x.txt'));
    expect(refused.code).toBe('ECONNREFUSED');
    expect(failedBeforeSending(refused)).toBe(true);

    await proxy.setFault(faults.blackhole());
    const held = await failure(read(container, 'named/x.txt', AbortSignal.timeout(200)));
    expect(held.name).toBe('AbortError');
    expect(proxy.counts.byFault.blackhole).toBe(1);
  });
});

describe('startAzureServer: stop', () => {
  it('stops the child and closes the port; twice is fine', async () => {
    const extra = await startAzureServer();
    expect(isRunning(extra.pid)).toBe(true);
    await Promise.all([extra.stop(), extra.stop()]);
    expect(isRunning(extra.pid)).toBe(false);
    expect(await probe(extra.origin)).toBe('ECONNREFUSED');
  });
});
