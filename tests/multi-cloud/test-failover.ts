import type { MultiCloudStoreOptions } from '@failover/storage';

/**
 * Router settings of the multi-cloud tests (in-process and child processes alike: this module
 * imports no test runner): short breaker timeouts, fast retries, no SDK retries.
 */
export function testFailover(attemptTimeoutMs = 5000): NonNullable<MultiCloudStoreOptions['failover']> {
  return {
    attemptTimeoutMs,
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 200 },
    breaker: {
      volumeThreshold: 2,
      errorThresholdPercentage: 50,
      resetTimeoutMs: 500,
      maxResetTimeoutMs: 2000,
    },
  };
}
