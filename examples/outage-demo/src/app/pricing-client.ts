import type { CallObserver } from '@failover/core';
import { type FailoverAxiosInstance, withFailover } from '@failover/http';
import axios from 'axios';
import { API_REGIONS, type ApiRegion } from '../topology/pricing-api.js';
import type { Tuning } from './tuning.js';

/**
 * The application's axios instance for the pricing API, made to fail over across the three
 * regions in order (us-east-1 first). This is all the application changes to use @failover/http.
 */
export function createPricingClient(
  urls: Readonly<Record<ApiRegion, string>>,
  tuning: Tuning,
  observer?: CallObserver,
): FailoverAxiosInstance {
  return withFailover(axios.create({ timeout: 5_000 }), {
    endpoints: API_REGIONS.map((name) => ({ name, baseURL: urls[name] })),
    attemptTimeoutMs: tuning.attemptTimeoutMs,
    retry: { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 500 },
    breaker: tuning.breaker,
    ...(observer === undefined ? {} : { observer }),
  });
}
