import { Readable } from 'node:stream';
import { faults } from '@failover/testkit';
import axios, { type AxiosError } from 'axios';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allEndpointsFailed, type FailoverAxiosInstance, withFailover } from '../src/index.js';
import { type Regions, startRegions } from './helpers/regions.js';

let regions: Regions;
let api: FailoverAxiosInstance;

beforeEach(async () => {
  regions = await startRegions(['use1', 'usw2']);
  api = withFailover(axios.create(), {
    endpoints: regions.endpoints,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
  });
});
afterEach(async () => {
  api.failover.close();
  await regions.close();
});

const use1 = () => regions.get('use1');
const usw2 = () => regions.get('usw2');

describe('POST and PATCH without an idempotency key', () => {
  for (const method of ['post', 'patch'] as const) {
    it(`${method.toUpperCase()}: a 503 is not replayed, on the same endpoint or another`, async () => {
      await use1().proxy.setFault(faults.status(503));
      const err = (await api[method]('/orders', { item: 'book' }).catch((e: unknown) => e)) as AxiosError;
      expect(err.response?.status).toBe(503);
      expect(err.message).toBe('Request failed with status code 503');
      expect(err.config?.failover).toMatchObject({
        idempotent: false,
        attempts: 1,
        endpointsTried: ['use1'],
      });
      expect(use1().proxy.counts.total).toBe(1);
      expect(usw2().proxy.counts.total).toBe(0);
    });
  }

  it('a reset connection (the request may have arrived) is not replayed', async () => {
    await use1().proxy.setFault(faults.reset());
    const err = (await api.post('/orders', { item: 'book' }).catch((e: unknown) => e)) as AxiosError;
    expect(err.code).toBe('ECONNRESET');
    expect(usw2().proxy.counts.total).toBe(0);
  });

  it('a refused connection (provably never sent) moves to the next endpoint', async () => {
    await use1().proxy.setFault(faults.refuse());
    const res = await api.post('/orders', { item: 'book' });
    expect(res.config.failover).toMatchObject({ endpoint: 'usw2', idempotent: false });
    expect(JSON.parse(usw2().server.requests[0]!.body)).toEqual({ item: 'book' });
  });

  it('a DNS failure (provably never sent) moves to the next endpoint', async () => {
    await use1().proxy.setFault(faults.dns());
    const res = await api.post('/orders', { item: 'book' });
    expect(res.config.failover?.endpoint).toBe('usw2');
    expect(use1().server.requests).toHaveLength(0);
  });
});

describe('POST and PATCH that may be replayed', () => {
  it('an Idempotency-Key header lets a POST move on a 503, with the same body and key', async () => {
    await use1().proxy.setFault(faults.status(503));
    const res = await api.post('/orders', { item: 'book' }, { headers: { 'Idempotency-Key': 'k-123' } });
    expect(res.config.failover).toMatchObject({ endpoint: 'usw2', idempotent: true });
    const seen = usw2().server.requests[0]!;
    expect(seen.headers['idempotency-key']).toBe('k-123');
    expect(JSON.parse(seen.body)).toEqual({ item: 'book' });
  });

  it('failover: { idempotent: true } lets a PATCH move on a reset', async () => {
    await use1().proxy.setFault(faults.reset());
    const res = await api.patch('/orders/1', { n: 2 }, { failover: { idempotent: true } });
    expect(res.config.failover?.endpoint).toBe('usw2');
  });
});

describe('idempotent methods', () => {
  for (const method of ['get', 'head', 'options', 'put', 'delete'] as const) {
    it(`${method.toUpperCase()} moves on a 503`, async () => {
      await use1().proxy.setFault(faults.status(503));
      const res =
        method === 'put'
          ? await api.put('/orders/1', { n: 1 })
          : await api.request({ method, url: '/orders/1' });
      expect(res.status).toBe(200);
      expect(res.config.failover).toMatchObject({ endpoint: 'usw2', idempotent: true });
      expect(usw2().server.requests[0]!.method).toBe(method.toUpperCase());
    });
  }

  it('failover: { idempotent: false } keeps a GET from being replayed', async () => {
    await use1().proxy.setFault(faults.status(503));
    const err = (await api
      .get('/x', { failover: { idempotent: false } })
      .catch((e: unknown) => e)) as AxiosError;
    expect(err.response?.status).toBe(503);
    expect(usw2().proxy.counts.total).toBe(0);
  });
});

describe('stream request bodies', () => {
  const octets = { 'Content-Type': 'application/octet-stream' };
  const stream = () => Readable.from([Buffer.from('chunk-1'), Buffer.from('chunk-2')]);
  /** The endpoint's counters: exactly the failures of the real kind, never an `unknown` one. */
  const stats = (client: FailoverAxiosInstance, name: string) =>
    client.failover.status().targets.find((t) => t.name === name)!;

  it('are not replayed, even after a refused connection, even with an Idempotency-Key', async () => {
    await use1().proxy.setFault(faults.refuse());
    const err = (await api
      .put('/upload', stream(), { headers: { ...octets, 'Idempotency-Key': 'k' } })
      .catch((e: unknown) => e)) as AxiosError;
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.message).not.toContain('All endpoints failed');
    expect(err.config?.failover).toMatchObject({
      idempotent: false,
      attempts: 1,
      endpointsTried: ['use1'],
      failures: [{ endpoint: 'use1', kind: 'network', code: 'ECONNREFUSED' }],
    });
    expect(usw2().proxy.counts.total).toBe(0);
    const s = stats(api, 'use1');
    expect(s.failures).toMatchObject({ network: 1, unknown: 0 });
    expect(s).toMatchObject({ successes: 0, retries: 0 });
    expect(stats(api, 'usw2')).toMatchObject({ successes: 0, rejections: 0 });
  });

  it('fail with their own error when the client does not retry either', async () => {
    const once = withFailover(axios.create(), { endpoints: regions.endpoints, retry: { maxAttempts: 1 } });
    try {
      await use1().proxy.setFault(faults.refuse());
      const err = (await once
        .put('/upload', stream(), { headers: octets })
        .catch((e: unknown) => e)) as AxiosError;
      expect(err.code).toBe('ECONNREFUSED');
      expect(err.message).not.toContain('All endpoints failed');
      expect(usw2().proxy.counts.total).toBe(0);
      expect(stats(once, 'use1').failures).toMatchObject({ network: 1, unknown: 0 });
    } finally {
      once.failover.close();
    }
  });

  it('a 503 is returned as axios built it, counted once as unavailable', async () => {
    await use1().proxy.setFault(faults.status(503));
    const err = (await api
      .put('/upload', stream(), { headers: octets })
      .catch((e: unknown) => e)) as AxiosError;
    expect(err.response?.status).toBe(503);
    expect(err.message).toBe('Request failed with status code 503');
    expect(use1().proxy.counts.total).toBe(1);
    expect(usw2().proxy.counts.total).toBe(0);
    expect(stats(api, 'use1').failures).toMatchObject({ unavailable: 1, unknown: 0 });
  });

  it('an attempt timeout rejects with a timeout AxiosError, counted once as a timeout', async () => {
    const timed = withFailover(axios.create(), { endpoints: regions.endpoints, attemptTimeoutMs: 200 });
    try {
      await use1().proxy.setFault(faults.blackhole());
      const err = (await timed
        .put('/upload', stream(), { headers: octets })
        .catch((e: unknown) => e)) as AxiosError;
      expect(err.code).toBe('ECONNABORTED');
      expect(err.cause).toMatchObject({ name: 'DeadlineExceededError', kind: 'timeout', target: 'use1' });
      expect(err.config?.failover).toMatchObject({ attempts: 1, endpointsTried: ['use1'] });
      expect(usw2().proxy.counts.total).toBe(0);
      expect(stats(timed, 'use1').failures).toMatchObject({ timeout: 1, unknown: 0 });
    } finally {
      timed.failover.close();
    }
  });

  it('go to the first endpoint whose breaker admits calls; with none, every endpoint failed', async () => {
    const strict = withFailover(axios.create(), {
      endpoints: regions.endpoints,
      breaker: { volumeThreshold: 1, errorThresholdPercentage: 1 },
    });
    try {
      await use1().proxy.setFault(faults.status(503));
      await strict.get('/warm-up'); // use1's breaker opens, the GET is served by usw2
      expect(strict.failover.isAvailable('use1')).toBe(false);
      const res = await strict.put('/upload', stream(), { headers: octets });
      expect(res.config.failover).toMatchObject({ endpoint: 'usw2', attempts: 1, endpointsTried: ['usw2'] });
      expect(usw2().server.requests.at(-1)?.body).toBe('chunk-1chunk-2');

      await usw2().proxy.setFault(faults.status(503));
      await strict.get('/warm-up').catch(() => undefined); // usw2's breaker opens too
      const before = use1().proxy.counts.total + usw2().proxy.counts.total;
      const err = (await strict
        .put('/upload', stream(), { headers: octets })
        .catch((e: unknown) => e)) as AxiosError;
      expect(err.code).toBe('ERR_ALL_ENDPOINTS_FAILED');
      expect(allEndpointsFailed(err)?.failures.map((f) => f.attempts)).toEqual([0, 0]);
      expect(use1().proxy.counts.total + usw2().proxy.counts.total).toBe(before);
    } finally {
      strict.failover.close();
    }
  });

  it('are sent once when the endpoint is healthy', async () => {
    const res = await api.put('/upload', stream(), { headers: octets });
    expect(res.config.failover?.endpoint).toBe('use1');
    expect(use1().server.requests[0]!.body).toBe('chunk-1chunk-2');
    expect(stats(api, 'use1').successes).toBe(1);
  });

  it('buffers, strings and URLSearchParams are replayed', async () => {
    await use1().proxy.setFault(faults.status(503));
    await api.put('/a', Buffer.from('bytes'));
    await api.put('/b', 'text', { headers: { 'Content-Type': 'text/plain' } });
    await api.put('/c', new URLSearchParams({ q: '1' }));
    expect(usw2().server.requests.map((r) => r.body)).toEqual(['bytes', 'text', 'q=1']);
  });
});
