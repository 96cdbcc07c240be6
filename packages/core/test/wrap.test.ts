import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AllTargetsFailedError, BreakerOpenError, DeadlineExceededError, wrap } from '../src/index.js';
import { httpError, sysError, track } from './helpers.js';

describe('wrap()', () => {
  const closers: Array<() => void> = [];
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    for (const close of closers.splice(0)) close();
    vi.useRealTimers();
  });

  it('keeps the arguments, this and result of the wrapped function', async () => {
    const api = {
      prefix: 'user-',
      async get(id: string, n: number): Promise<string> {
        return `${this.prefix}${id}x${n}`;
      },
    };
    const get = wrap(api.get, { name: 'users-api' });
    closers.push(() => get.failover.close());
    expect(await get.call(api, '42', 2)).toBe('user-42x2');
    expect(get.failover.status().targets[0]?.name).toBe('users-api');
    expect(get.failover.status().targets[0]?.successes).toBe(1);
  });

  it('retries availability failures (3 attempts by default for idempotent calls) with backoff', async () => {
    const fn = vi
      .fn<(k: string) => Promise<string>>()
      .mockRejectedValueOnce(httpError(503))
      .mockRejectedValueOnce(httpError(502))
      .mockResolvedValue('v');
    const get = wrap(fn, { idempotent: true, retry: { baseDelayMs: 10, maxDelayMs: 10, jitter: 'none' } });
    closers.push(() => get.failover.close());
    const call = track(get('k'));
    await vi.advanceTimersByTimeAsync(20);
    expect(call.value).toBe('v');
    expect(fn).toHaveBeenCalledTimes(3);
    expect(fn).toHaveBeenCalledWith('k');
  });

  it('throws answers unchanged and reports exhausted retries as AllTargetsFailedError', async () => {
    const notFound = httpError(404);
    const get = wrap((_k: string) => Promise.reject(notFound), { idempotent: true });
    closers.push(() => get.failover.close());
    await expect(get('k')).rejects.toBe(notFound);
    const down = wrap((_k: string) => Promise.reject(httpError(503)), {
      idempotent: true,
      retry: { baseDelayMs: 0, maxDelayMs: 0 },
    });
    closers.push(() => down.failover.close());
    const err = (await down('k').catch((e: unknown) => e)) as AllTargetsFailedError;
    expect(err).toBeInstanceOf(AllTargetsFailedError);
    expect(err.failures[0]).toMatchObject({ kind: 'unavailable', attempts: 3 });
  });

  it('stops retrying a refusing target once two refused connections in a row opened its breaker', async () => {
    const fn = vi.fn((_k: string) => Promise.reject(sysError('ECONNREFUSED')));
    const down = wrap(fn, { retry: { baseDelayMs: 0, maxDelayMs: 0 } });
    closers.push(() => down.failover.close());
    const err = (await down('k').catch((e: unknown) => e)) as AllTargetsFailedError;
    expect(err.failures[0]).toMatchObject({ kind: 'network', attempts: 2 });
    expect(down.failover.status().targets[0]?.state).toBe('open');
    // While it is open, calls fail at once without reaching it.
    await expect(down('k')).rejects.toBeInstanceOf(AllTargetsFailedError);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('is non-idempotent by default: a 503 is not retried', async () => {
    const fn = vi.fn(() => Promise.reject(httpError(503)));
    const post = wrap(fn);
    closers.push(() => post.failover.close());
    await expect(post()).rejects.toMatchObject({ status: 503 });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('applies the deadline even when the function cannot be cancelled', async () => {
    const slow = wrap(() => new Promise<never>(() => undefined), { deadlineMs: 200 });
    closers.push(() => slow.failover.close());
    const call = track(slow());
    await vi.advanceTimersByTimeAsync(200);
    expect(call.error).toBeInstanceOf(DeadlineExceededError);
  });

  it('opens its breaker and then fails fast without calling the function', async () => {
    const fn = vi.fn(() => Promise.reject(httpError(503)));
    const get = wrap(fn, {
      idempotent: true,
      retry: { maxAttempts: 1 },
      breaker: { volumeThreshold: 2, resetTimeoutMs: 1000 },
    });
    closers.push(() => get.failover.close());
    await get().catch(() => undefined);
    await get().catch(() => undefined);
    expect(get.failover.status().targets[0]?.state).toBe('open');
    const err = (await get().catch((e: unknown) => e)) as AllTargetsFailedError;
    expect(err.failures[0]?.cause).toBeInstanceOf(BreakerOpenError);
    expect(fn).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1000);
    fn.mockResolvedValueOnce(undefined as never);
    await get();
    expect(get.failover.status().targets[0]?.state).toBe('closed');
  });
});
