import { describe, expect, it } from 'vitest';
import {
  createFailover,
  DEFAULTS,
  type FailoverOptions,
  InvalidOptionError,
  resolveOptions,
  wrap,
} from '../src/index.js';

const targets = [{ name: 'aws' }, { name: 'gcp' }];

function error(options: unknown): InvalidOptionError {
  try {
    createFailover(options as FailoverOptions).close();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return err as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('option validation', () => {
  it.each([
    [{ retry: { maxAttempts: 0 } }, 'retry.maxAttempts', 'must be an integer from 1 to 10, got 0'],
    [{ retry: { maxAttempts: 11 } }, 'retry.maxAttempts', 'must be an integer from 1 to 10, got 11'],
    [{ retry: { maxAttempts: 1.5 } }, 'retry.maxAttempts', 'must be an integer from 1 to 10, got 1.5'],
    [{ retry: { baseDelayMs: -1 } }, 'retry.baseDelayMs', 'must be an integer from 0 to 60000'],
    [
      { retry: { baseDelayMs: 500, maxDelayMs: 100 } },
      'retry.maxDelayMs',
      'from 500 (retry.baseDelayMs) to 300000',
    ],
    [
      { retry: { jitter: 'fuzzy' } },
      'retry.jitter',
      `must be one of 'full', 'decorrelated', 'none', got "fuzzy"`,
    ],
    [{ retry: { retries: 3 } }, 'retry.retries', 'is not a known option'],
    [{ breaker: { errorThresholdPercentage: 0 } }, 'breaker.errorThresholdPercentage', 'from 1 to 100'],
    [{ breaker: { errorThresholdPercentage: 101 } }, 'breaker.errorThresholdPercentage', 'from 1 to 100'],
    [{ breaker: { volumeThreshold: -1 } }, 'breaker.volumeThreshold', 'from 0 to 1000000'],
    [{ breaker: { rollingWindowMs: 10 } }, 'breaker.rollingWindowMs', 'from 100 to 3600000'],
    [{ breaker: { resetTimeoutMs: 0 } }, 'breaker.resetTimeoutMs', 'from 1 to 86400000'],
    [
      { breaker: { resetTimeoutMs: 5000, maxResetTimeoutMs: 1000 } },
      'breaker.maxResetTimeoutMs',
      'from 5000 (breaker.resetTimeoutMs) to 86400000',
    ],
    [{ breaker: { consecutiveFailures: -1 } }, 'breaker.consecutiveFailures', 'from 0 to 1000'],
    [
      { breaker: { consecutiveConnectFailures: 1001 } },
      'breaker.consecutiveConnectFailures',
      'from 0 to 1000',
    ],
    [{ breaker: { consecutiveConnectFailures: 1.5 } }, 'breaker.consecutiveConnectFailures', 'got 1.5'],
    [{ budget: { capacity: 0 } }, 'budget.capacity', 'from 1 to 1000000'],
    [{ budget: { capacity: 10, retryCost: 11 } }, 'budget.retryCost', 'from 0 to 10'],
    [{ budget: { timeoutCost: -1 } }, 'budget.timeoutCost', 'from 0 to 500'],
    [{ budget: { successRefund: 1.5 } }, 'budget.successRefund', 'from 0 to 500'],
    [{ budget: true }, 'budget', 'must be an object'],
    [{ attemptTimeoutMs: 0 }, 'attemptTimeoutMs', 'from 1 to 2147483647'],
    [{ attemptTimeoutMs: Number.NaN }, 'attemptTimeoutMs', 'got NaN'],
    [{ hedge: { afterMs: 0 } }, 'hedge.afterMs', 'from 1 to 2147483647'],
    [{ hedge: {} }, 'hedge.afterMs', 'is required'],
    [{ hedge: { afterMs: 10, maxHedges: 0 } }, 'hedge.maxHedges', 'from 1 to 10'],
    [{ classify: 'yes' }, 'classify', 'must be a function'],
    [{ retires: {} }, 'retires', 'is not a known option'],
  ])('%o -> %s', (extra, option, message) => {
    const err = error({ targets, ...extra });
    expect(err.option).toBe(option);
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain(`"${option}"`);
    expect(err.message).toContain(message);
  });

  it.each([
    [{}, 'targets', 'non-empty array'],
    [{ targets: [] }, 'targets', 'non-empty array'],
    [{ targets: [{ name: '' }] }, 'targets[0].name', 'non-empty string'],
    [{ targets: [{ name: '  ' }] }, 'targets[0].name', 'non-empty string'],
    [{ targets: [{}] }, 'targets[0].name', 'non-empty string'],
    [{ targets: ['aws'] }, 'targets[0]', 'must be an object'],
    [{ targets: [{ name: 'aws' }, { name: 'aws' }] }, 'targets[1].name', '"aws" is used twice'],
  ])('targets %o -> %s', (options, option, message) => {
    const err = error(options);
    expect(err.option).toBe(option);
    expect(err.message).toContain(message);
  });

  it('fills in the documented defaults', () => {
    const r = resolveOptions({ targets });
    expect(r.breaker).toEqual(DEFAULTS.breaker);
    expect(r.retry).toEqual(DEFAULTS.retry);
    expect(r.budget).toEqual(DEFAULTS.budget);
    expect(r.attemptTimeoutMs).toBe(10_000);
    expect(r.hedge).toEqual({ afterMs: 'auto', maxHedges: 1 });
    expect(r.bulkhead).toBeUndefined();
    expect(r.observer).toBeUndefined();
    expect(resolveOptions({ targets, attemptTimeoutMs: false }).attemptTimeoutMs).toBeUndefined();
    expect(resolveOptions({ targets, hedge: false }).hedge).toBeUndefined();
    expect(resolveOptions({ targets, budget: false }).budget).toBeUndefined();
    expect(resolveOptions({ targets, breaker: { resetTimeoutMs: 600_000 } }).breaker.maxResetTimeoutMs).toBe(
      600_000,
    );
    expect(resolveOptions({ targets, hedge: { afterMs: 50 } }).hedge).toEqual({ afterMs: 50, maxHedges: 1 });
  });

  it('defaults consecutiveConnectFailures to the smaller of 2 and consecutiveFailures', () => {
    const breaker = (b: object) => resolveOptions({ targets, breaker: b }).breaker;
    expect(DEFAULTS.breaker.consecutiveConnectFailures).toBe(2);
    expect(breaker({}).consecutiveConnectFailures).toBe(2);
    expect(breaker({ consecutiveFailures: 1 }).consecutiveConnectFailures).toBe(1);
    // Fast ejection switched off: both triggers, unless the connect one is asked for.
    expect(breaker({ consecutiveFailures: 0 }).consecutiveConnectFailures).toBe(0);
    expect(
      breaker({ consecutiveFailures: 0, consecutiveConnectFailures: 3 }).consecutiveConnectFailures,
    ).toBe(3);
    expect(breaker({ consecutiveConnectFailures: 0 }).consecutiveConnectFailures).toBe(0);
  });

  it('defaults consecutiveOperationFailures to the smaller of 2 and consecutiveFailures', () => {
    const breaker = (b: object) => resolveOptions({ targets, breaker: b }).breaker;
    expect(DEFAULTS.breaker.consecutiveOperationFailures).toBe(2);
    expect(breaker({}).consecutiveOperationFailures).toBe(2);
    expect(breaker({ consecutiveFailures: 1 }).consecutiveOperationFailures).toBe(1);
    expect(breaker({ consecutiveFailures: 0 }).consecutiveOperationFailures).toBe(0);
    expect(breaker({ consecutiveOperationFailures: 4 }).consecutiveOperationFailures).toBe(4);
    expect(() => breaker({ consecutiveOperationFailures: 1001 })).toThrow(
      /breaker\.consecutiveOperationFailures/,
    );
  });

  it("checks a call's operation name", async () => {
    const fo = createFailover({ targets });
    const ok = () => Promise.resolve(1);
    await expect(fo.run(ok, { operation: '' })).rejects.toThrow(/"operation": must be a non-empty string/);
    await expect(fo.run(ok, { operation: 7 as unknown as string })).rejects.toThrow(/"operation"/);
    expect(await fo.run(ok, { operation: 'get' })).toBe(1);
    fo.close();
  });

  it('checks run options per call', async () => {
    const fo = createFailover({ targets });
    const ok = () => Promise.resolve(1);
    await expect(fo.run(ok, { deadlineMs: 0 })).rejects.toThrow(/"deadlineMs": must be an integer from 1/);
    await expect(fo.run(ok, { targets: ['oracle'] })).rejects.toThrow(/unknown target "oracle"/);
    await expect(fo.run(ok, { targets: [] })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(fo.run(ok, { idempotent: 'yes' as unknown as boolean })).rejects.toThrow(/"idempotent"/);
    await expect(fo.run(ok, { replayable: 'no' as unknown as boolean })).rejects.toThrow(
      /"replayable": must be a boolean, got "no"/,
    );
    await expect(fo.run(ok, { signal: {} as AbortSignal })).rejects.toThrow(/"signal"/);
    await expect(fo.run(ok, { idempotent: true, hedge: { afterMs: -5 } })).rejects.toThrow(/"hedge.afterMs"/);
    expect(() => fo.on('nope' as 'open', () => undefined)).toThrow(/Unknown event "nope"/);
    expect(() => fo.isAvailable('oracle')).toThrow(InvalidOptionError);
    expect(() => fo.trip('aws', { reason: 42 as unknown as string })).toThrow(
      'Invalid option "reason": must be a string, got 42',
    );
    expect(() => fo.trip('aws', { why: 'x' } as never)).toThrow(
      'Invalid option "why": is not a known option (known: reason)',
    );
    fo.close();
  });

  it('wrap validates the same way', () => {
    expect(() => wrap(() => Promise.resolve(1), { retry: { maxAttempts: 20 } })).toThrow(
      /retry\.maxAttempts.*must be an integer from 1 to 10/,
    );
  });
});
