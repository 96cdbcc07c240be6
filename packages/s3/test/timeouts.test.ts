import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { readAll, StorageError } from '@failover/storage';
import {
  createFaultProxy,
  type FaultProxy,
  faults,
  type S3LocalServer,
  startS3Server,
} from '@failover/testkit';
import { ioBoundsContract } from '@failover/testkit/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Store } from '../src/index.js';
import { patternBytes } from './s3rver.js';

// The shared suite: blackhole, cut/stall/reset mid-body, refused, slow callers, per-call bounds
// and option paths, through the official SDK against s3rver behind the fault proxy.
ioBoundsContract('s3', async () => {
  const server = await startS3Server();
  const bucket = 'io-bounds';
  await server.createBucket(bucket);
  return {
    origin: server.origin,
    flavor: 's3',
    open: (endpoint, timeouts) =>
      createS3Store({
        client: server.clientFor(endpoint),
        bucket,
        ...(timeouts === undefined ? {} : { timeouts: timeouts as object }),
      }),
    // A stream of unknown size above partSize: CreateMultipartUpload, UploadPart, Complete.
    upload: {
      start: { method: 'POST', path: /[?&]uploads(=|&|$)/ },
      data: { method: 'PUT', path: /[?&]partNumber=/ },
      commit: { method: 'POST', path: /[?&]uploadId=/ },
    },
    cleanup: () => server.stop(),
  };
});

// What only S3 does: a response cut right after its headers, and multipart uploads.
describe('S3 store: cuts and multipart uploads', () => {
  const BOUNDS = { connectTimeoutMs: 300, responseTimeoutMs: 300, idleTimeoutMs: 300 };
  const BODY = patternBytes(512 * 1024);
  const bucket = 'io-bounds-s3';
  let server: S3LocalServer;
  let proxy: FaultProxy;

  beforeAll(async () => {
    server = await startS3Server();
    await server.createBucket(bucket);
    proxy = await createFaultProxy({ target: server.origin, flavor: 's3' });
    await createS3Store({ client: server.client, bucket }).put('big', BODY);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('a response cut right after its headers fails the body with kind network', async () => {
    const s = createS3Store({ client: server.clientFor(proxy.origin), bucket, timeouts: BOUNDS });
    await proxy.setFault(faults.cut());
    const err = await (async () => {
      const { body } = await s.get('big');
      await readAll(body);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ kind: 'network', target: s.name });
  }, 60_000);

  it('a multipart stream upload into a blackhole fails (timeout or network) and releases the body', async () => {
    const s = createS3Store({
      client: server.clientFor(proxy.origin),
      bucket,
      partSize: 5 * 1024 * 1024,
      timeouts: BOUNDS,
    });
    await proxy.setFault(faults.blackhole());
    let released = false;
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < 64; i++) yield patternBytes(1024 * 1024, i);
      })(),
    );
    source.once('close', () => {
      released = true;
    });
    const err = await s.put('multi', source).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(['timeout', 'network']).toContain((err as StorageError).kind);
    await sleep(50);
    expect(released).toBe(true);
  }, 60_000);

  it('a streamed PutObject (known size) into a blackhole fails within the idle bound and releases the body', async () => {
    const s = createS3Store({
      client: server.clientFor(proxy.origin),
      bucket,
      partSize: 5 * 1024 * 1024,
      timeouts: BOUNDS,
    });
    await proxy.setFault(faults.blackhole());
    let released = false;
    const size = 64 * 1024 * 1024;
    // Far more than the sockets' buffers hold: the upload stalls while its body is being written.
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < 64; i++) yield patternBytes(1024 * 1024, i);
      })(),
    );
    source.once('close', () => {
      released = true;
    });
    const err = await s.put('streamed', source, { size }).catch((e: unknown) => e);
    // The request stalled while its body was being written: an upload stall (kind network).
    expect(err).toMatchObject({ name: 'TransferError', kind: 'network', phase: 'upload' });
    await sleep(50);
    expect(released).toBe(true);
  }, 60_000);
});
