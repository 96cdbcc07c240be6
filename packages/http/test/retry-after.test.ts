import { faults } from '@failover/testkit';
import axios from 'axios';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FailoverAxiosInstance, withFailover } from '../src/index.js';
import { type Regions, startRegions } from './helpers/regions.js';

let regions: Regions;
let api: FailoverAxiosInstance | undefined;

beforeEach(async () => {
  regions = await startRegions(['use1', 'usw2']);
});
afterEach(async () => {
  vi.useRealTimers();
  api?.failover.close();
  api = undefined;
  await regions.close();
});

describe('429 Too Many Requests', () => {
  it('moves the call to the next endpoint', async () => {
    api = withFailover(axios.create(), { endpoints: regions.endpoints, retry: { maxAttempts: 1 } });
    await regions.get('use1').proxy.setFault(faults.throttle(1));
    const res = await api.get('/orders');
    expect(res.config.failover).toMatchObject({
      endpoint: 'usw2',
      failures: [{ endpoint: 'use1', kind: 'throttled', status: 429 }],
    });
  });

  it('a Retry-After longer than retry.maxDelayMs sends the call elsewhere at once, without a retry', async () => {
    api = withFailover(axios.create(), {
      endpoints: regions.endpoints,
      retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 1_000 },
    });
    const retries: string[] = [];
    api.failover.on('retry', (e) => retries.push(e.target));
    await regions.get('use1').proxy.setFault(faults.throttle(120));
    const res = await api.get('/orders');
    expect(res.config.failover?.endpoint).toBe('usw2');
    expect(retries).toEqual([]);
    expect(regions.get('use1').proxy.counts.byStatus[429]).toBe(1);
  });

  // Fake timers (setTimeout and Date only: sockets keep Node's own timers) so the waits are not real.
  const forms: [string, (now: number) => Record<string, string>, number][] = [
    ['in seconds', () => ({ 'Retry-After': '3' }), 3_000],
    ['as an HTTP date', (now) => ({ 'Retry-After': new Date(now + 4_000).toUTCString() }), 4_000],
  ];
  for (const [label, header, expected] of forms) {
    it(`waits for Retry-After ${label} before retrying the same endpoint when no other can take the call`, async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      vi.setSystemTime(Date.UTC(2026, 0, 1, 12, 0, 0));
      // With another endpoint up, the call would move there at once (see the test above).
      api = withFailover(axios.create(), {
        endpoints: regions.endpoints.slice(0, 1),
        retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10_000, jitter: 'none' },
      });
      const proxy = regions.get('use1').proxy;
      await proxy.setFault(faults.status(429, { headers: header(Date.now()) }));
      const delays: number[] = [];
      api.failover.on('retry', (e) => {
        delays.push(e.delayMs);
        // The fault is gone by the time the retry is sent; then let the backoff timer fire.
        void proxy.setFault(faults.pass()).then(() => vi.advanceTimersByTime(e.delayMs));
      });
      const res = await api.get('/orders');
      expect(delays).toEqual([expected]);
      expect(res.config.failover).toMatchObject({
        endpoint: 'use1',
        attempts: 2,
        endpointsTried: ['use1', 'use1'],
      });
      expect(regions.get('usw2').proxy.counts.total).toBe(0);
    });
  }
});
