import { inspect } from 'node:util';
import { AllTargetsFailedError } from '@failover/core';
import { faults } from '@failover/testkit';
import axios, { type AxiosError } from 'axios';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  allEndpointsFailed,
  EndpointError,
  ERR_ALL_ENDPOINTS_FAILED,
  type FailoverAxiosInstance,
  withFailover,
} from '../src/index.js';
import { type Regions, startRegions } from './helpers/regions.js';

const TOKEN = 'Bearer s3cr3t-t0ken';
let regions: Regions;
let api: FailoverAxiosInstance;

beforeEach(async () => {
  regions = await startRegions(['use1', 'usw2', 'gcp']);
});
afterEach(async () => {
  api.failover.close();
  await regions.close();
});

describe('breakers', () => {
  it('open on repeated failures, skip the endpoint, then a half-open probe brings it back', async () => {
    api = withFailover(axios.create(), {
      endpoints: regions.endpoints,
      retry: { maxAttempts: 1 },
      breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 150 },
    });
    const events: string[] = [];
    for (const e of ['open', 'halfOpen', 'close', 'rejected'] as const) {
      api.failover.on(e, (p) => events.push(`${e}:${p.target}`));
    }
    const use1 = regions.get('use1').proxy;
    await use1.setFault(faults.status(503));
    for (let i = 0; i < 3; i++) expect((await api.get('/x')).config.failover?.endpoint).toBe('usw2');
    expect(events).toContain('open:use1');
    expect(api.failover.status().targets[0]).toMatchObject({ name: 'use1', state: 'open' });

    // Open: skipped without a request.
    const before = use1.counts.total;
    const skipped = await api.get('/x');
    expect(skipped.config.failover).toMatchObject({
      endpoint: 'usw2',
      attempts: 1,
      endpointsTried: ['usw2'],
    });
    expect(use1.counts.total).toBe(before);
    expect(events).toContain('rejected:use1');

    // Recovery: after the reset timeout one probe goes through and closes the breaker.
    await use1.setFault(faults.pass());
    await vi.waitFor(() => expect(events).toContain('halfOpen:use1'), { timeout: 5_000 });
    const probe = await api.get('/x');
    expect(probe.config.failover?.endpoint).toBe('use1');
    expect(events).toContain('close:use1');
    expect(api.failover.status().targets[0]?.state).toBe('closed');
    expect((await api.get('/x')).config.failover?.endpoint).toBe('use1');
  });
});

describe('every endpoint down', () => {
  beforeEach(() => {
    api = withFailover(axios.create({ headers: { Authorization: TOKEN } }), {
      endpoints: regions.endpoints,
      retry: { maxAttempts: 1 },
    });
  });

  it('gives one AxiosError listing each endpoint, with AllTargetsFailedError as cause', async () => {
    await regions.get('use1').proxy.setFault(faults.dns());
    await regions.get('usw2').proxy.setFault(faults.refuse());
    await regions.get('gcp').proxy.setFault(faults.status(503));
    const err = (await api.get('/orders/42?token=abc').catch((e: unknown) => e)) as AxiosError;
    expect(axios.isAxiosError(err)).toBe(true);
    expect(err.message).toBe(
      'All endpoints failed (use1: network, ENOTFOUND; usw2: network, ECONNREFUSED; gcp: unavailable, HTTP 503)',
    );
    // The last failure's code and response, so existing axios error handling keeps working.
    expect(err.code).toBe('ERR_BAD_RESPONSE');
    expect(err.response?.status).toBe(503);
    const all = allEndpointsFailed(err);
    expect(all).toBeInstanceOf(AllTargetsFailedError);
    expect(err.cause).toBe(all);
    expect(all?.failures.map((f) => [f.target, f.kind])).toEqual([
      ['use1', 'network'],
      ['usw2', 'network'],
      ['gcp', 'unavailable'],
    ]);
    expect(all?.failures[0]?.cause).toBeInstanceOf(EndpointError);
    expect(err.config?.failover).toMatchObject({ endpoint: undefined, attempts: 3 });
  });

  it('with every breaker open the error says so and carries its own code', async () => {
    api.failover.close();
    api = withFailover(axios.create(), {
      endpoints: regions.endpoints,
      retry: { maxAttempts: 1 },
      breaker: { volumeThreshold: 1, resetTimeoutMs: 60_000 },
    });
    for (const r of regions.list) await r.proxy.setFault(faults.status(503));
    await api.get('/x').catch(() => undefined);
    const err = (await api.get('/x').catch((e: unknown) => e)) as AxiosError;
    expect(err.message).toBe(
      'All endpoints failed (use1: unavailable, breaker open, skipped; usw2: unavailable, breaker open, skipped; gcp: unavailable, breaker open, skipped)',
    );
    expect(err.code).toBe(ERR_ALL_ENDPOINTS_FAILED);
  });

  it('no credentials in the message, toJSON(), events or core errors', async () => {
    const seen: unknown[] = [];
    api.failover.on('failover', (e) => seen.push(e));
    await regions.get('use1').proxy.setFault(faults.status(503));
    await regions.get('usw2').proxy.setFault(faults.reset());
    await regions.get('gcp').proxy.setFault(faults.refuse());
    const err = (await api
      .get('/x', { auth: { username: 'user', password: 'hunter2' } })
      .catch((e: unknown) => e)) as AxiosError;
    const all = allEndpointsFailed(err)!;
    const texts = [
      err.message,
      JSON.stringify(err),
      JSON.stringify(seen),
      inspect(seen, { depth: 10 }),
      inspect(all, { depth: 10 }),
      JSON.stringify(all),
    ];
    expect(seen).toHaveLength(2);
    for (const t of texts) {
      expect(t).not.toContain('s3cr3t');
      expect(t).not.toContain('hunter2');
    }
  });
});
