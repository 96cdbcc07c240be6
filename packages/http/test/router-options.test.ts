import type { CallObserver } from '@failover/core';
import axios from 'axios';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFailoverAxios, type FailoverAxiosInstance, withFailover } from '../src/index.js';
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

/** An observer that records each call's and attempt's start and end. */
function recorder(): { observer: CallObserver; seen: string[] } {
  const seen: string[] = [];
  const observer: CallObserver = {
    onCallStart: ({ targets }) => {
      seen.push(`call:${targets.join(',')}`);
      return {
        onAttemptStart: (target, attemptNo) => {
          seen.push(`attempt:${target}:${attemptNo}`);
          return { end: (o) => seen.push(`attemptEnd:${target}:${o.ok ? 'ok' : o.kind}`) };
        },
        end: (o) => seen.push(`end:${o.ok ? o.target : o.kind}`),
      };
    },
  };
  return { observer, seen };
}

describe('router options passed through to core', () => {
  it('withFailover hands `observer` to the router: each request and attempt is observed', async () => {
    const { observer, seen } = recorder();
    api = withFailover(axios.create(), { endpoints: regions.endpoints, observer });
    await api.get('/x');
    expect(seen).toEqual(['call:use1,usw2', 'attempt:use1:1', 'attemptEnd:use1:ok', 'end:use1']);
  });

  it('createFailoverAxios hands `observer` and `bulkhead` to the router', async () => {
    const { observer, seen } = recorder();
    api = createFailoverAxios({
      endpoints: regions.endpoints,
      observer,
      bulkhead: { maxConcurrent: 1 },
    });
    // With one slot per endpoint, two requests at once use both endpoints.
    const [a, b] = await Promise.all([api.get('/x'), api.get('/y')]);
    expect([a.config.failover?.endpoint, b.config.failover?.endpoint].sort()).toEqual(['use1', 'usw2']);
    expect(api.failover.status().targets.map((t) => t.bulkhead)).toEqual([
      { inflight: 0, queued: 0 },
      { inflight: 0, queued: 0 },
    ]);
    expect(seen.filter((s) => s.startsWith('end:'))).toHaveLength(2);
  });

  it('refuses an invalid `bulkhead` with an InvalidOptionError naming it', () => {
    expect(() =>
      withFailover(axios.create(), { endpoints: regions.endpoints, bulkhead: { maxConcurrent: 0 } }),
    ).toThrow(expect.objectContaining({ option: 'bulkhead.maxConcurrent' }));
  });
});
