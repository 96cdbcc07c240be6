import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { AbortedError, AllTargetsFailedError, DeadlineExceededError } from '../src/index.js';
import { flush, httpError, scripted, THREE, targetsOf, track, useFakeTimerRouters } from './helpers.js';

describe('deadlines, attempt timeouts and abort', () => {
  // Every call cleans up after itself: no timer outlives it.
  const { make, routers, baseline } = useFakeTimerRouters(
    { attemptTimeoutMs: false, hedge: false },
    { checkTimers: true },
  );

  /** Timers the routers own (one bucket-rotation interval per breaker). */
  const breakerTimers = () => routers.length * THREE.length;

  describe('no deadline, no attempt timeout: nothing is allocated for cancellation', () => {
    it('the operation gets no signal, and no timer is started', async () => {
      const fo = make();
      const op = scripted({ aws: [{ delay: 20, value: 'v' }] });
      const call = track(fo.run(op, { idempotent: true }));
      expect(vi.getTimerCount()).toBe(baseline() + breakerTimers() + 1); // only the operation's own timer
      await vi.advanceTimersByTimeAsync(20);
      expect(call.value).toBe('v');
      expect(op.calls[0]?.signal).toBeUndefined();
    });

    it("the caller's signal is passed straight through", async () => {
      const fo = make();
      const ac = new AbortController();
      const op = scripted({});
      await fo.run(op, { signal: ac.signal });
      expect(op.calls[0]?.signal).toBe(ac.signal);
    });
  });

  describe('abort', () => {
    it('before start: rejects with AbortedError (cause = the reason) without calling anything', async () => {
      const fo = make();
      const ac = new AbortController();
      const reason = new Error('user left');
      ac.abort(reason);
      const op = scripted({});
      const err = await fo.run(op, { signal: ac.signal, deadlineMs: 100 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AbortedError);
      expect((err as AbortedError).cause).toBe(reason);
      expect(op.calls).toHaveLength(0);
      await expect(fo.run(op, { signal: ac.signal })).rejects.toBeInstanceOf(AbortedError);
      expect(op.calls).toHaveLength(0);
    });

    it('during an attempt: stops at once, never fails over, does not count against the breaker', async () => {
      const fo = make();
      const log: string[] = [];
      fo.on('failover', () => log.push('failover'));
      const ac = new AbortController();
      const op = scripted({ aws: ['hang'] });
      const call = track(fo.run(op, { signal: ac.signal, idempotent: true }));
      await flush();
      ac.abort();
      await flush();
      expect(call.error).toBeInstanceOf(AbortedError);
      expect(targetsOf(op.calls)).toEqual(['aws']);
      expect(log).toEqual([]);
      const aws = fo.status().targets[0]!;
      expect(aws.failures.aborted).toBe(1);
      expect(aws.lastFailure).toBeUndefined();
      expect(aws.state).toBe('closed');
    });

    it('during an attempt with a deadline: the attempt signal aborts with the caller’s reason', async () => {
      const fo = make();
      const ac = new AbortController();
      const op = scripted({ aws: ['hang'] });
      const call = track(fo.run(op, { signal: ac.signal, deadlineMs: 10_000, idempotent: true }));
      await flush();
      const signal = op.calls[0]?.signal;
      expect(signal).toBeDefined();
      expect(signal).not.toBe(ac.signal);
      ac.abort('bye');
      await flush();
      expect(signal?.aborted).toBe(true);
      expect(signal?.reason).toBe('bye');
      expect(call.error).toBeInstanceOf(AbortedError);
      expect(fo.status().targets[0]?.failures.aborted).toBe(1);
    });

    it('during backoff: stops at once, no further attempt', async () => {
      const fo = make({ retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 1000, jitter: 'none' } });
      const ac = new AbortController();
      const op = scripted({ aws: [httpError(503)] });
      const call = track(fo.run(op, { signal: ac.signal, idempotent: true, targets: ['aws'] }));
      await vi.advanceTimersByTimeAsync(500);
      expect(op.calls).toHaveLength(1);
      ac.abort();
      await flush();
      expect(call.error).toBeInstanceOf(AbortedError);
      await vi.advanceTimersByTimeAsync(5000);
      expect(op.calls).toHaveLength(1);
    });

    it("removes its listener from the caller's signal when the call ends", async () => {
      // No jitter: a random backoff of 0 ms would finish the call within flush().
      const fo = make({ retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10, jitter: 'none' } });
      const ac = new AbortController();
      const op = scripted({ aws: [httpError(503), 'ok'] });
      const call = track(
        fo.run(op, { signal: ac.signal, idempotent: true, deadlineMs: 1000, targets: ['aws'] }),
      );
      await flush();
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(10);
      expect(call.value).toBe('ok');
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      // The same on the slow path without a deadline (retry after a plain first attempt).
      const second = track(
        fo.run(scripted({ aws: [httpError(503), 'ok:aws'] }), {
          signal: ac.signal,
          idempotent: true,
          targets: ['aws'],
        }),
      );
      await flush();
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(10);
      expect(second.value).toBe('ok:aws');
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    });

    it('an operation that ignores its signal: with a deadline the call still stops at once', async () => {
      const fo = make();
      const ac = new AbortController();
      const never = vi.fn(() => new Promise<never>(() => undefined));
      const call = track(fo.run(never, { signal: ac.signal, deadlineMs: 60_000 }));
      await flush();
      ac.abort();
      await flush();
      expect(call.error).toBeInstanceOf(AbortedError);
    });
  });

  describe('deadlineMs', () => {
    it('ends the call with DeadlineExceededError when it passes during an attempt, counting a timeout', async () => {
      const fo = make();
      const op = scripted({ aws: ['hang'] });
      const call = track(fo.run(op, { deadlineMs: 250, idempotent: true }));
      await vi.advanceTimersByTimeAsync(249);
      expect(call.settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(call.error).toBeInstanceOf(DeadlineExceededError);
      expect((call.error as DeadlineExceededError).timeoutMs).toBe(250);
      expect((call.error as DeadlineExceededError).kind).toBe('timeout');
      const signal = op.calls[0]?.signal;
      expect(signal?.aborted).toBe(true);
      expect(signal?.reason).toBe(call.error);
      expect(fo.status().targets[0]?.failures.timeout).toBe(1);
      expect(targetsOf(op.calls)).toEqual(['aws']);
    });

    it('works even when the operation ignores its signal', async () => {
      const fo = make();
      const call = track(fo.run(() => new Promise<never>(() => undefined), { deadlineMs: 100 }));
      await vi.advanceTimersByTimeAsync(100);
      expect(call.error).toBeInstanceOf(DeadlineExceededError);
    });

    it('keeps the last failure as cause when the deadline passes after some failed attempts', async () => {
      const fo = make({ retry: { maxAttempts: 1 } });
      const e = httpError(503);
      const op = scripted({ aws: [e], gcp: ['hang'] });
      const call = track(fo.run(op, { deadlineMs: 100, idempotent: true }));
      await vi.advanceTimersByTimeAsync(100);
      expect(call.error).toBeInstanceOf(DeadlineExceededError);
      expect((call.error as DeadlineExceededError).cause).toBe(e);
      expect((call.error as DeadlineExceededError).target).toBe('gcp');
    });

    it('a call that fails everywhere before its deadline gets AllTargetsFailedError, not a deadline error', async () => {
      const fo = make();
      const op = scripted({ aws: [httpError(503)], gcp: [httpError(503)], azure: [httpError(503)] });
      const call = track(fo.run(op, { deadlineMs: 100, idempotent: true }));
      await vi.advanceTimersByTimeAsync(100);
      expect(call.error).toBeInstanceOf(AllTargetsFailedError);
    });

    it('a call that succeeds in time clears its deadline timer', async () => {
      const fo = make();
      const call = track(fo.run(scripted({ aws: [{ delay: 10, value: 1 }] }), { deadlineMs: 1000 }));
      await vi.advanceTimersByTimeAsync(10);
      expect(call.value).toBe(1);
      expect(vi.getTimerCount()).toBe(baseline() + breakerTimers());
    });
  });

  describe('attemptTimeoutMs', () => {
    it('a timed-out attempt is a timeout failure: DeadlineExceededError, breaker counted, next target tried', async () => {
      const fo = make({ attemptTimeoutMs: 100, retry: { maxAttempts: 1 } });
      const op = scripted({ aws: ['hang'], gcp: ['ok'] });
      const call = track(fo.runDetailed(op, { idempotent: true }));
      await vi.advanceTimersByTimeAsync(100);
      const r = call.value!;
      expect(r.value).toBe('ok');
      expect(r.failures).toHaveLength(1);
      const cause = r.failures[0]?.cause as DeadlineExceededError;
      expect(r.failures[0]?.kind).toBe('timeout');
      expect(cause).toBeInstanceOf(DeadlineExceededError);
      expect(cause.message).toBe('Attempt timed out after 100 ms');
      expect(cause.target).toBe('aws');
      expect(op.calls[0]?.signal?.aborted).toBe(true);
      expect(op.calls[0]?.signal?.reason).toBe(cause);
      const aws = fo.status().targets[0]!;
      expect(aws.timeouts).toBe(1);
      expect(aws.lastFailure?.kind).toBe('timeout');
    });

    it('a signal first read after the attempt timed out is already aborted, with the timeout as reason', async () => {
      const fo = make({ attemptTimeoutMs: 50, retry: { maxAttempts: 1 } });
      let late: AbortSignal | undefined;
      const call = track(
        fo.run(
          (_t, ctx) =>
            new Promise((resolve) =>
              setTimeout(() => {
                late = ctx.signal;
                resolve('too late');
              }, 80),
            ),
          { targets: ['aws'], idempotent: true },
        ),
      );
      await vi.advanceTimersByTimeAsync(80);
      expect(call.error).toBeInstanceOf(AllTargetsFailedError);
      expect(late?.aborted).toBe(true);
      expect(late?.reason).toBeInstanceOf(DeadlineExceededError);
    });

    it('can be overridden (or switched off) per call', async () => {
      const fo = make({ attemptTimeoutMs: 100 });
      const call = track(
        fo.run(scripted({ aws: [{ delay: 500, value: 'slow' }] }), { attemptTimeoutMs: false }),
      );
      await vi.advanceTimersByTimeAsync(500);
      expect(call.value).toBe('slow');
      const call2 = track(fo.run(scripted({ aws: ['hang'] }), { attemptTimeoutMs: 50 }));
      await vi.advanceTimersByTimeAsync(50);
      expect(call2.error).toBeInstanceOf(DeadlineExceededError);
    });

    it('repeated attempt timeouts open the breaker like any availability failure', async () => {
      const fo = make({ attemptTimeoutMs: 10, breaker: { volumeThreshold: 2 }, retry: { maxAttempts: 1 } });
      for (let i = 0; i < 2; i++) {
        const call = track(fo.run(scripted({ aws: ['hang'] }), { targets: ['aws'], idempotent: true }));
        await vi.advanceTimersByTimeAsync(10);
        expect(call.error).toBeInstanceOf(AllTargetsFailedError);
        expect((call.error as AllTargetsFailedError).kind).toBe('timeout');
      }
      expect(fo.status().targets[0]?.state).toBe('open');
    });
  });
});
