import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  classifyFailure,
  failedBeforeSending,
  httpStatusOf,
  isAvailabilityKind,
  retryAfterMs,
} from '@failover/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFaultProxy, type FaultProxy, faults } from '../src/fault-proxy/index.js';
import { type S3LocalServer, startS3Server } from '../src/servers/index.js';
import { failureBeforeSending } from './server-helpers.js';

/** The S3 SDK through the fault proxy to a real s3rver, each fault as the SDK reports it. */
let s3: S3LocalServer;
let proxy: FaultProxy;
let client: S3Client;
const BUCKET = 'proxied';

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET] });
  proxy = await createFaultProxy({ target: s3.origin, flavor: 's3', hostname: 'aws-us-east-1', seed: 3 });
  client = s3.clientFor(proxy.url);
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k.txt', Body: 'hello s3' }));
});
afterEach(async () => {
  await proxy.setFault(faults.pass());
  proxy.resetCounts();
});
afterAll(async () => {
  client?.destroy();
  await proxy?.close();
  await s3?.stop();
});

async function get(key = 'k.txt', abortSignal?: AbortSignal): Promise<string> {
  const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }), { abortSignal });
  return (await out.Body?.transformToString()) ?? '';
}

function failure(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: Error & Record<string, unknown>) => err,
  );
}

describe('fault proxy in front of s3rver, through S3Client', () => {
  it('passes S3 calls through on the failover.test name', async () => {
    expect(proxy.url).toMatch(/^http:\/\/aws-us-east-1\.failover\.test:\d+$/);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'via-proxy.txt', Body: 'through' }));
    expect(await get('via-proxy.txt')).toBe('through');
    const list = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(list.Contents?.map((c) => c.Key)).toContain('via-proxy.txt');
    expect(proxy.counts.byFault.pass).toBe(3);
    expect(proxy.counts.byStatus[200]).toBe(3);
  });

  it('503 SlowDown arrives as the S3 error SlowDown, classified throttled', async () => {
    await proxy.setFault(faults.slowDown());
    const err = await failure(get());
    expect(err.name).toBe('SlowDown');
    expect(httpStatusOf(err)).toBe(503);
    expect(classifyFailure(err)).toBe('throttled');
    expect(failedBeforeSending(err)).toBe(false);
    expect(proxy.counts.byFault.status).toBe(1);
  });

  it('429 carries a readable Retry-After', async () => {
    await proxy.setFault(faults.throttle(7));
    const err = await failure(get());
    expect(httpStatusOf(err)).toBe(429);
    expect(classifyFailure(err)).toBe('throttled');
    expect(retryAfterMs(err)).toBe(7000);
  });

  it('500 InternalError is unavailable; HEAD errors carry no body and still classify', async () => {
    await proxy.setFault(faults.serverError());
    const err = await failure(get());
    expect(err.name).toBe('InternalError');
    expect(classifyFailure(err)).toBe('unavailable');
    const head = await failure(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'k.txt' })));
    expect(httpStatusOf(head)).toBe(500);
    expect(classifyFailure(head)).toBe('unavailable');
  });

  it('SDK retries are off by default and on with clientFor(..., { sdkRetries })', async () => {
    await proxy.setFault(faults.serverError());
    await failure(get());
    expect(proxy.counts.total).toBe(1);
    proxy.resetCounts();
    const retrying = s3.clientFor(proxy.url, { sdkRetries: 2 });
    try {
      await failure(retrying.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k.txt' })));
      expect(proxy.counts.total).toBe(3);
    } finally {
      retrying.destroy();
    }
  });

  it('switches faults at run time: brown-out then recovery', async () => {
    await proxy.setFault(
      faults.mix(faults.slowDown({ probability: 0.5 }), faults.latency(1, { probability: 0.5 })),
    );
    let failed = 0;
    let succeeded = 0;
    for (let i = 0; i < 20; i++) {
      try {
        expect(await get()).toBe('hello s3');
        succeeded++;
      } catch (err) {
        expect((err as Error).name).toBe('SlowDown');
        failed++;
      }
    }
    expect(failed).toBe(proxy.counts.byFault.status);
    expect(succeeded).toBe(proxy.counts.byFault.latency + proxy.counts.byFault.pass);
    await proxy.setFault(faults.pass());
    expect(await get()).toBe('hello s3');
  });

  it('reset reaches the caller as ECONNRESET, an availability failure', async () => {
    await proxy.setFault(faults.reset());
    const err = await failure(get());
    expect(err.code).toBe('ECONNRESET');
    // The AWS SDK renames ECONNRESET errors to `TimeoutError`, which core reads as a timeout.
    expect(isAvailabilityKind(classifyFailure(err))).toBe(true);
    expect(failedBeforeSending(err)).toBe(false);
  });

  it('blackhole: the call ends through its own AbortSignal', async () => {
    await proxy.setFault(faults.blackhole());
    const err = await failure(get('k.txt', AbortSignal.timeout(200)));
    expect(['timeout', 'aborted']).toContain(classifyFailure(err));
    expect(proxy.counts.byFault.blackhole).toBe(1);
  });

  it('refuse gives ECONNREFUSED; the same port serves again afterwards', async () => {
    await proxy.setFault(faults.refuse());
    // A pooled connection can meet the fault's drop first (ECONNRESET): see failureBeforeSending.
    const err = await failureBeforeSending(() => get());
    expect(err.code).toBe('ECONNREFUSED');
    expect(classifyFailure(err)).toBe('network');
    expect(failedBeforeSending(err)).toBe(true);
    await proxy.setFault(faults.pass());
    expect(await get()).toBe('hello s3');
  });

  it('dns: the endpoint stops resolving (ENOTFOUND), as in us-east-1 on 2025-10-20', async () => {
    expect(await get()).toBe('hello s3');
    await proxy.setFault(faults.dns());
    const err = await failureBeforeSending(() => get());
    expect(err.code).toBe('ENOTFOUND');
    expect(err.hostname).toBe(proxy.host);
    expect(classifyFailure(err)).toBe('network');
    expect(failedBeforeSending(err)).toBe(true);
    expect(proxy.counts.byFault.dns).toBeGreaterThanOrEqual(1);
    await proxy.setFault(faults.pass());
    expect(await get()).toBe('hello s3');
  });
});

describe('fault proxy on an IP origin', () => {
  it('clientFor(proxy.origin) works and counts the S3 statuses', async () => {
    const plain = await createFaultProxy({ target: s3.origin, flavor: 's3' });
    const viaIp = s3.clientFor(plain.origin);
    try {
      expect((await viaIp.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'k.txt' }))).ContentLength).toBe(
        8,
      );
      const missing = await failure(viaIp.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'nope' })));
      expect(classifyFailure(missing)).toBe('not_found');
      expect(plain.counts.byStatus).toEqual({ 200: 1, 404: 1 });
    } finally {
      viaIp.destroy();
      await plain.close();
    }
  });
});
