import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyFailure, failedBeforeSending, httpStatusOf, retryAfterMs } from '@failover/core';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaultProxy, type FaultProxy, faults } from '../src/fault-proxy/index.js';
import { failureBeforeSending } from './server-helpers.js';

/**
 * The GCS flavor read by the official @google-cloud/storage client. A `status` fault never
 * forwards, so the target here is a plain HTTP server that must never be reached.
 */
let target: http.Server;
let reached = 0;
let proxy: FaultProxy;
let storage: Storage;

beforeAll(async () => {
  target = http.createServer((_req, res) => {
    reached++;
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const { port } = target.address() as AddressInfo;
  proxy = await createFaultProxy({
    target: `http://127.0.0.1:${port}`,
    flavor: 'gcs',
    hostname: 'gcp-us-central1',
  });
  storage = new Storage({ apiEndpoint: proxy.url, projectId: 'test', retryOptions: { autoRetry: false } });
});
afterAll(async () => {
  await proxy?.close();
  await new Promise<void>((resolve) => target?.close(() => resolve()));
});

function failure(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: Error & Record<string, unknown>) => err,
  );
}

describe('fault proxy, gcs flavor, through @google-cloud/storage', () => {
  it('429 rateLimitExceeded is an ApiError the classifier reads as throttled, with Retry-After', async () => {
    await proxy.setFault(faults.throttle(4));
    const err = await failure(storage.bucket('b').file('o.txt').getMetadata());
    expect(err.code).toBe(429);
    expect((err.errors as { reason: string }[])[0]?.reason).toBe('rateLimitExceeded');
    expect(classifyFailure(err)).toBe('throttled');
    expect(retryAfterMs(err)).toBe(4000);
  });

  it('a failed download carries the status too', async () => {
    await proxy.setFault(faults.throttle(1));
    const err = await failure(storage.bucket('b').file('o.txt').download());
    expect(httpStatusOf(err)).toBe(429);
    expect(classifyFailure(err)).toBe('throttled');
  });

  it('503 backendError is unavailable', async () => {
    await proxy.setFault(faults.slowDown());
    const err = await failure(storage.bucket('b').file('o.txt').getMetadata());
    expect(httpStatusOf(err)).toBe(503);
    expect(err.message).toBe('The service is currently unavailable.');
    expect(classifyFailure(err)).toBe('unavailable');
    expect(reached).toBe(0);
  });

  it('dns: ENOTFOUND reaches the caller', async () => {
    await proxy.setFault(faults.dns());
    // The fault drops the proxy's open connections: see failureBeforeSending.
    const err = await failureBeforeSending(() => storage.bucket('b').file('o.txt').getMetadata());
    expect(classifyFailure(err)).toBe('network');
    expect(failedBeforeSending(err)).toBe(true);
    expect(reached).toBe(0);
  });
});
