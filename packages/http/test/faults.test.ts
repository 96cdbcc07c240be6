import { faults } from '@failover/testkit';
import axios, { AxiosError } from 'axios';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FailoverAxiosInstance, type WithFailoverOptions, withFailover } from '../src/index.js';
import { type Regions, startRegions } from './helpers/regions.js';

let regions: Regions;
let api: FailoverAxiosInstance | undefined;

beforeEach(async () => {
  regions = await startRegions(['use1', 'usw2']);
});
afterEach(async () => {
  api?.failover.close();
  api = undefined;
  await regions.close();
});

function client(options: Partial<WithFailoverOptions> = {}, timeout?: number): FailoverAxiosInstance {
  api = withFailover(axios.create(timeout === undefined ? {} : { timeout }), {
    endpoints: regions.endpoints,
    retry: { maxAttempts: 1 },
    ...options,
  });
  return api;
}

async function servedBy(a: FailoverAxiosInstance, path = '/orders/42'): Promise<string | undefined> {
  const res = await a.get(path);
  expect(res.status).toBe(200);
  expect(res.data.server).toBe(res.config.failover?.endpoint);
  return res.config.failover?.endpoint;
}

describe('each fault moves the call to the next endpoint', () => {
  const cases: [string, () => Parameters<Regions['list'][number]['proxy']['setFault']>[0], string][] = [
    ['refused connection', () => faults.refuse(), 'network'],
    ['reset connection', () => faults.reset(), 'network'],
    ['DNS failure (ENOTFOUND)', () => faults.dns(), 'network'],
    ['503', () => faults.status(503), 'unavailable'],
    ['502', () => faults.status(502), 'unavailable'],
    ['504', () => faults.status(504), 'timeout'],
    ['500 (failoverOn500 defaults to true)', () => faults.status(500), 'unavailable'],
  ];
  for (const [label, fault, kind] of cases) {
    it(label, async () => {
      const a = client();
      await regions.get('use1').proxy.setFault(fault());
      expect(await servedBy(a)).toBe('usw2');
      const res = await a.get('/again');
      expect(res.config.failover).toMatchObject({
        endpoint: 'usw2',
        attempts: 2,
        endpointsTried: ['use1', 'usw2'],
        failures: [{ endpoint: 'use1', kind }],
      });
      expect(regions.get('usw2').server.requests.map((r) => r.url)).toEqual(['/orders/42', '/again']);
    });
  }

  it('a DNS failure carries ENOTFOUND and never reached the server', async () => {
    const a = client();
    await regions.get('use1').proxy.setFault(faults.dns());
    const res = await a.get('/x');
    expect(res.config.failover?.failures?.[0]).toMatchObject({
      endpoint: 'use1',
      kind: 'network',
      code: 'ENOTFOUND',
    });
    expect(regions.get('use1').server.requests).toHaveLength(0);
  });

  it('a black hole is cut by attemptTimeoutMs and the call moves on', async () => {
    // Hedging off: with it, each call of a new client hedges the silent endpoint after 250 ms
    // (HEDGE_AUTO.coldMs), before this 300 ms limit; here the limit itself must move the calls.
    const a = client({ attemptTimeoutMs: 300, hedge: false });
    await regions.get('use1').proxy.setFault(faults.blackhole());
    expect(await servedBy(a)).toBe('usw2');
    const res = await a.get('/y');
    expect(res.config.failover?.failures?.[0]).toMatchObject({ endpoint: 'use1', kind: 'timeout' });
  });

  it("latency beyond axios' own timeout (per attempt) moves the call on", async () => {
    // Hedging off: a new client hedges an endpoint that has answered nothing after 250 ms
    // (HEDGE_AUTO.coldMs), before this 300 ms timeout; here the timeout itself must move the call.
    const a = client({ hedge: false }, 300);
    await regions.get('use1').proxy.setFault(faults.latency(5_000));
    const res = await a.get('/slow');
    expect(res.config.failover).toMatchObject({
      endpoint: 'usw2',
      failures: [{ endpoint: 'use1', kind: 'timeout' }],
    });
  });

  it('with default hedging, a new client leaves an endpoint that has answered nothing before its timeout', async () => {
    const a = client({}, 5_000);
    await regions.get('use1').proxy.setFault(faults.latency(5_000));
    const res = await a.get('/slow');
    expect(res.config.failover).toMatchObject({ endpoint: 'usw2', failures: [] });
  });

  it('latency below the timeouts is not a failure', async () => {
    const a = client({ attemptTimeoutMs: 5_000 }, 5_000);
    await regions.get('use1').proxy.setFault(faults.latency(50));
    const res = await a.get('/slow');
    expect(res.config.failover).toMatchObject({ endpoint: 'use1', attempts: 1, failures: [] });
  });

  it('with failoverOn500: false a 500 is an answer: axios rejects with it and nothing moves', async () => {
    const a = client({ failoverOn500: false });
    await regions.get('use1').proxy.setFault(faults.status(500));
    const err = await a.get('/boom').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AxiosError);
    expect((err as AxiosError).response?.status).toBe(500);
    expect((err as AxiosError).code).toBe('ERR_BAD_RESPONSE');
    expect((err as AxiosError).message).toBe('Request failed with status code 500');
    expect((err as AxiosError).config?.failover).toMatchObject({ endpoint: 'use1', attempts: 1 });
    expect(regions.get('usw2').server.requests).toHaveLength(0);
  });
});

describe('answers never move', () => {
  for (const status of [400, 401, 403, 404, 409, 422]) {
    it(`${status} is returned to axios untouched`, async () => {
      const a = client();
      await regions.get('use1').proxy.setFault(faults.status(status));
      const err = await a.get('/missing').catch((e: unknown) => e);
      expect(axios.isAxiosError(err)).toBe(true);
      const e = err as AxiosError;
      expect(e.message).toBe(`Request failed with status code ${status}`);
      expect(e.code).toBe('ERR_BAD_REQUEST');
      expect(e.response?.status).toBe(status);
      expect(e.status).toBe(status);
      expect(regions.get('usw2').proxy.counts.total).toBe(0);
    });
  }

  it("the caller's validateStatus still decides what resolves", async () => {
    const a = client();
    await regions.get('use1').proxy.setFault(faults.status(404));
    const res = await a.get('/missing', { validateStatus: () => true });
    expect(res.status).toBe(404);
    expect(res.config.failover?.endpoint).toBe('use1');
    expect(typeof res.config.validateStatus).toBe('function');
  });
});
