import { createFailover, type Failover } from '@failover/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { instrument, METRICS } from '../src/index.js';
import { pointOf, startSdk, type TestSdk } from './sdk.js';

const unavailable = (): Error => Object.assign(new Error('HTTP 503'), { status: 503 });

describe('instrument(router) with the OpenTelemetry SDK', () => {
  let sdk: TestSdk;
  let fo: Failover;
  let stop: () => void;
  let awsDown = true;

  beforeEach(() => {
    sdk = startSdk();
    vi.useFakeTimers();
    awsDown = true;
    fo = createFailover({
      targets: [{ name: 'aws' }, { name: 'gcp' }],
      retry: { maxAttempts: 1 },
      breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 1000 },
    });
    stop = instrument(fo, { meterProvider: sdk.meterProvider, name: 'blobs' });
  });

  afterEach(async () => {
    stop();
    fo.close();
    vi.useRealTimers();
    await sdk.shutdown();
  });

  const op = async (t: { name: string }): Promise<string> => {
    if (t.name === 'aws' && awsDown) throw unavailable();
    return `ok:${t.name}`;
  };

  it('counts failovers, attempts by kind, and a breaker cycle: open, half_open, closed', async () => {
    const r = { idempotent: true };
    expect(await fo.run(op, r)).toBe('ok:gcp');
    expect(await fo.run(op, r)).toBe('ok:gcp');
    expect(fo.status().targets[0]?.state).toBe('open');
    expect(await fo.run(op, r)).toBe('ok:gcp'); // skipped: breaker open

    let m = await sdk.collect();
    const base = { 'failover.router': 'blobs' };
    expect(
      pointOf(m, METRICS.failovers, {
        ...base,
        'failover.from': 'aws',
        'failover.to': 'gcp',
        'failover.failure.kind': 'unavailable',
      }),
    ).toBe(3);
    expect(
      pointOf(m, METRICS.attempts, {
        ...base,
        'failover.target': 'aws',
        'failover.outcome': 'failure',
        'failover.failure.kind': 'unavailable',
      }),
    ).toBe(2);
    expect(
      pointOf(m, METRICS.attempts, { ...base, 'failover.target': 'gcp', 'failover.outcome': 'success' }),
    ).toBe(3);
    expect(pointOf(m, METRICS.rejections, { ...base, 'failover.target': 'aws' })).toBe(1);
    expect(
      pointOf(m, METRICS.breakerState, {
        ...base,
        'failover.target': 'aws',
        'failover.breaker.state': 'open',
      }),
    ).toBe(1);
    expect(
      pointOf(m, METRICS.breakerState, {
        ...base,
        'failover.target': 'aws',
        'failover.breaker.state': 'closed',
      }),
    ).toBe(0);
    expect(
      pointOf(m, METRICS.breakerState, {
        ...base,
        'failover.target': 'gcp',
        'failover.breaker.state': 'closed',
      }),
    ).toBe(1);
    expect(
      pointOf(m, METRICS.breakerTransitions, {
        ...base,
        'failover.target': 'aws',
        'failover.breaker.state': 'open',
      }),
    ).toBe(1);
    expect(pointOf(m, METRICS.budgetTokens, base)).toBe(500);
    expect(pointOf(m, METRICS.budgetLimit, base)).toBe(500);

    await vi.advanceTimersByTimeAsync(1000);
    m = await sdk.collect();
    expect(
      pointOf(m, METRICS.breakerState, {
        ...base,
        'failover.target': 'aws',
        'failover.breaker.state': 'half_open',
      }),
    ).toBe(1);
    expect(
      pointOf(m, METRICS.breakerTransitions, {
        ...base,
        'failover.target': 'aws',
        'failover.breaker.state': 'half_open',
      }),
    ).toBe(1);

    awsDown = false;
    expect(await fo.run(op, r)).toBe('ok:aws'); // the probe succeeds
    m = await sdk.collect();
    expect(
      pointOf(m, METRICS.breakerState, {
        ...base,
        'failover.target': 'aws',
        'failover.breaker.state': 'closed',
      }),
    ).toBe(1);
    expect(
      pointOf(m, METRICS.breakerTransitions, {
        ...base,
        'failover.target': 'aws',
        'failover.breaker.state': 'closed',
      }),
    ).toBe(1);
    expect(
      pointOf(m, METRICS.attempts, { ...base, 'failover.target': 'aws', 'failover.outcome': 'success' }),
    ).toBe(1);
  });

  it('marks breaker transitions made by another instance (trip/recover) as remote', async () => {
    fo.trip('gcp', { reason: 'seen failing elsewhere' });
    fo.recover('gcp');
    const m = await sdk.collect();
    const at = { 'failover.router': 'blobs', 'failover.target': 'gcp', 'failover.breaker.remote': true };
    expect(pointOf(m, METRICS.breakerTransitions, { ...at, 'failover.breaker.state': 'open' })).toBe(1);
    expect(pointOf(m, METRICS.breakerTransitions, { ...at, 'failover.breaker.state': 'closed' })).toBe(1);
  });

  it('stops reporting after the disposer runs (twice is fine)', async () => {
    stop();
    stop();
    await fo.run(op, { idempotent: true });
    const m = await sdk.collect();
    expect(m.get(METRICS.failovers)?.length ?? 0).toBe(0);
    expect(m.get(METRICS.attempts)?.length ?? 0).toBe(0);
  });

  it('rejects what is neither a router nor a store', () => {
    expect(() => instrument({} as Failover)).toThrow(TypeError);
  });
});
