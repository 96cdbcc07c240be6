import { describe, expect, it, vi } from 'vitest';
import { type FailoverEvents, RetryBudget } from '../src/index.js';
import { httpError, scripted, sysError, targetsOf, track, useFakeTimerRouters } from './helpers.js';

describe('RetryBudget', () => {
  it('takes tokens while it can and refunds up to its capacity', () => {
    const b = new RetryBudget({ capacity: 10, retryCost: 5, timeoutCost: 10, successRefund: 1 });
    expect(b.tryAcquire(5)).toBe(true);
    expect(b.tryAcquire(10)).toBe(false);
    expect(b.tokens).toBe(5);
    expect(b.tryAcquire(5)).toBe(true);
    expect(b.tryAcquire(1)).toBe(false);
    b.refund(3);
    expect(b.tokens).toBe(3);
    b.refund(100);
    expect(b.tokens).toBe(10);
  });
});

describe('the shared retry budget', () => {
  const { make } = useFakeTimerRouters({
    retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
    breaker: { volumeThreshold: 1000, consecutiveFailures: 0 },
  });

  it('each retry draws tokens; when empty, no more retries but failover still happens', async () => {
    const fo = make({ budget: { capacity: 10, retryCost: 5, timeoutCost: 10, successRefund: 1 } });
    const exhausted: FailoverEvents['budgetExhausted'][] = [];
    fo.on('budgetExhausted', (e) => exhausted.push(e));
    // Retries happen on the last target that can take a call.
    const first = scripted({ azure: [httpError(503), httpError(503), 'ok'] });
    expect(await fo.run(first, { idempotent: true, targets: ['azure'] })).toBe('ok');
    expect(fo.status().budget).toEqual({ tokens: 1, capacity: 10 }); // 2 retries, 1 success
    const op = scripted({ aws: [httpError(503)], gcp: [httpError(503)], azure: ['ok'] });
    // aws and gcp: one attempt each (another target can take the call); azure answers.
    expect(await fo.run(op, { idempotent: true })).toBe('ok');
    expect(targetsOf(op.calls)).toEqual(['aws', 'gcp', 'azure']);
    const last = scripted({ azure: [httpError(503)] });
    await expect(fo.run(last, { idempotent: true, targets: ['azure'] })).rejects.toThrow();
    // azure: no retry left.
    expect(targetsOf(last.calls)).toEqual(['azure']);
    expect(exhausted).toEqual([{ target: 'azure', tokens: 2, cost: 5 }]);
  });

  it('successes refill the bucket', async () => {
    const fo = make({ budget: { capacity: 10, retryCost: 5, timeoutCost: 10, successRefund: 1 } });
    await fo.run(scripted({ aws: [httpError(503), httpError(503), 'ok'] }), {
      idempotent: true,
      targets: ['aws'],
    });
    expect(fo.status().budget?.tokens).toBe(1); // 10 - 5 - 5 + 1
    for (let i = 0; i < 4; i++) await fo.run(scripted({}));
    expect(fo.status().budget?.tokens).toBe(5);
    const op = scripted({ aws: [httpError(503), 'ok'] });
    expect(await fo.run(op, { idempotent: true, targets: ['aws'] })).toBe('ok');
    expect(targetsOf(op.calls)).toEqual(['aws', 'aws']);
    for (let i = 0; i < 50; i++) await fo.run(scripted({}));
    expect(fo.status().budget?.tokens).toBe(10);
  });

  it('a retry after a timeout costs timeoutCost', async () => {
    const fo = make({ budget: { capacity: 30, retryCost: 5, timeoutCost: 10, successRefund: 0 } });
    await fo.run(scripted({ aws: [sysError('ETIMEDOUT'), 'ok'] }), { idempotent: true, targets: ['aws'] });
    expect(fo.status().budget?.tokens).toBe(20);
    await fo.run(scripted({ aws: [httpError(503), 'ok'] }), { idempotent: true, targets: ['aws'] });
    expect(fo.status().budget?.tokens).toBe(15);
  });

  it('is shared by every call of one router', async () => {
    const fo = make({ budget: { capacity: 5, retryCost: 5, timeoutCost: 5, successRefund: 0 } });
    const only = { idempotent: true, targets: ['aws'] };
    const a = track(fo.run(scripted({ aws: [httpError(503), 'a'] }), only));
    const opB = scripted({ aws: [httpError(503), 'b'] });
    const b = track(fo.run(opB, only));
    await vi.advanceTimersByTimeAsync(1);
    expect(a.value).toBe('a');
    expect(b.error).toMatchObject({ name: 'AllTargetsFailedError' });
    expect(targetsOf(opB.calls)).toEqual(['aws']);
  });

  it('budget: false never limits retries', async () => {
    const fo = make({ budget: false, retry: { maxAttempts: 10, baseDelayMs: 0, maxDelayMs: 0 } });
    for (let i = 0; i < 20; i++) {
      const op = scripted({ aws: [httpError(503)] });
      await fo.run(op, { idempotent: true, targets: ['aws'] }).catch(() => undefined);
      expect(op.calls.filter((c) => c.target === 'aws')).toHaveLength(10);
    }
    expect(fo.status().budget).toBeUndefined();
  });
});
