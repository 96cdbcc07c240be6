import { createHook } from 'node:async_hooks';
import { describe, expect, it, vi } from 'vitest';
import { AllTargetsFailedError, createFailover, DeadlineExceededError } from '../src/index.js';
import {
  flush,
  httpError,
  scripted,
  THREE,
  type Tracked,
  targetsOf,
  track,
  useFakeTimerRouters,
} from './helpers.js';

/** Lets `process.nextTick` callbacks run (a time-limit queue that emptied clears its timer then). */
const tick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

/**
 * Deadlines and attempt timeouts share one timer per duration per router (see timeout-queue.ts):
 * these tests check that calls still time out exactly on time, each on its own, and that no timer
 * outlives them.
 */
describe('shared time limits', () => {
  const { make, routers, baseline } = useFakeTimerRouters(
    { attemptTimeoutMs: false, hedge: false },
    { checkTimers: true, now: 0 },
  );
  /** Timers the routers own (one bucket-rotation interval per breaker). */
  const breakerTimers = () => routers.length * THREE.length;

  it('concurrent calls with an attempt timeout share one timer and each times out on time', async () => {
    // A breaker that never opens here (an open one would add its reset timer).
    const fo = make({
      attemptTimeoutMs: 100,
      retry: { maxAttempts: 1 },
      breaker: { volumeThreshold: 1000, consecutiveFailures: 0 },
    });
    const calls: Tracked<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      calls.push(track(fo.run(scripted({ aws: ['hang'] }), { targets: ['aws'], idempotent: true })));
      await vi.advanceTimersByTimeAsync(1);
    }
    // 50 attempts waiting: one timer for all of them (and the event-loop stall monitor).
    expect(vi.getTimerCount()).toBe(baseline() + breakerTimers() + 2);
    await vi.advanceTimersByTimeAsync(49); // t = 99: the first call started at t = 0
    expect(calls.map((c) => c.settled)).toEqual(calls.map(() => false));
    await vi.advanceTimersByTimeAsync(1); // t = 100
    expect(calls[0]?.error).toBeInstanceOf(AllTargetsFailedError);
    expect(calls[1]?.settled).toBe(false);
    for (let i = 1; i < 50; i++) {
      await vi.advanceTimersByTimeAsync(1);
      expect(calls[i]?.error).toBeInstanceOf(AllTargetsFailedError);
      expect(calls[i + 1]?.settled ?? false).toBe(false);
    }
    const first = calls[0]?.error as AllTargetsFailedError;
    const cause = first.failures[0]?.cause;
    expect(cause).toBeInstanceOf(DeadlineExceededError);
    expect((cause as DeadlineExceededError).message).toBe('Attempt timed out after 100 ms');
    expect(fo.status().targets[0]?.timeouts).toBe(50);
    await tick();
    expect(vi.getTimerCount()).toBe(baseline() + breakerTimers());
  });

  it('calls with different deadlines each end at their own deadline, one timer per duration', async () => {
    const fo = make();
    const op = scripted({ aws: ['hang'] });
    const long = track(fo.run(op, { deadlineMs: 300, targets: ['aws'] }));
    const short = track(fo.run(op, { deadlineMs: 100, targets: ['aws'] }));
    await vi.advanceTimersByTimeAsync(20);
    const shortLater = track(fo.run(op, { deadlineMs: 100, targets: ['aws'] }));
    // One timer per duration, and the stall monitor.
    expect(vi.getTimerCount()).toBe(baseline() + breakerTimers() + 3);
    await vi.advanceTimersByTimeAsync(79); // t = 99
    expect([long.settled, short.settled, shortLater.settled]).toEqual([false, false, false]);
    await vi.advanceTimersByTimeAsync(1); // t = 100
    expect(short.error).toBeInstanceOf(DeadlineExceededError);
    expect(shortLater.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(19); // t = 119
    expect(shortLater.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1); // t = 120
    expect(shortLater.error).toBeInstanceOf(DeadlineExceededError);
    await vi.advanceTimersByTimeAsync(179); // t = 299
    expect(long.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1); // t = 300
    expect((long.error as DeadlineExceededError).timeoutMs).toBe(300);
    expect(fo.status().targets[0]?.timeouts).toBe(3);
    await tick();
    expect(vi.getTimerCount()).toBe(baseline() + breakerTimers());
  });

  it('back-to-back calls reuse the timer, and none is left once the work is done', async () => {
    const fo = make({ attemptTimeoutMs: 5_000 });
    const op = scripted({});
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 100; i++) {
      expect(await fo.run(op, i % 2 === 0 ? undefined : { deadlineMs: 10_000 })).toBe('ok:aws');
    }
    // One timer for the attempt timeouts and one for the deadlines, not one per call.
    expect(setTimeoutSpy).toHaveBeenCalledTimes(2);
    setTimeoutSpy.mockRestore();
    await tick();
    expect(vi.getTimerCount()).toBe(baseline() + breakerTimers());
  });

  it('an answer (404) or a failure that ends the call releases the time limits too', async () => {
    const fo = make({ attemptTimeoutMs: 5_000, retry: { maxAttempts: 1 } });
    const notFound = httpError(404);
    await expect(fo.run(scripted({ aws: [notFound] }), { deadlineMs: 10_000 })).rejects.toBe(notFound);
    const refused = httpError(503);
    await expect(
      fo.run(scripted({ aws: [refused] }), { deadlineMs: 10_000, replayable: false }),
    ).rejects.toBe(refused);
    await expect(
      fo.run(scripted({ aws: [httpError(503)], gcp: [httpError(503)], azure: [httpError(503)] }), {
        deadlineMs: 10_000,
        idempotent: true,
      }),
    ).rejects.toBeInstanceOf(AllTargetsFailedError);
    await tick();
    expect(vi.getTimerCount()).toBe(baseline() + breakerTimers());
  });

  it('after a timed-out first attempt, the next target gets what is left of the deadline', async () => {
    const fo = make({ attemptTimeoutMs: 100, retry: { maxAttempts: 1 } });
    const op = scripted({ aws: ['hang'], gcp: ['hang'] });
    const call = track(fo.run(op, { deadlineMs: 150, idempotent: true }));
    await vi.advanceTimersByTimeAsync(100);
    expect(targetsOf(op.calls)).toEqual(['aws', 'gcp']);
    await vi.advanceTimersByTimeAsync(49); // t = 149
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1); // t = 150: the call's deadline, not gcp's attempt timeout
    const err = call.error as DeadlineExceededError;
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect(err.message).toBe('Deadline of 150 ms exceeded');
    expect(err.target).toBe('gcp');
    expect((err.cause as DeadlineExceededError).message).toBe('Attempt timed out after 100 ms');
    expect(op.calls[1]?.signal?.reason).toBe(err);
    const [aws, gcp] = fo.status().targets;
    expect([aws?.timeouts, gcp?.timeouts]).toEqual([1, 1]);
  });

  it('a deadline and an attempt timeout that end together: the call fails with the deadline', async () => {
    const fo = make({ attemptTimeoutMs: 100 });
    const call = track(fo.run(scripted({ aws: ['hang'] }), { deadlineMs: 100, idempotent: true }));
    await vi.advanceTimersByTimeAsync(100);
    expect((call.error as DeadlineExceededError).message).toBe('Deadline of 100 ms exceeded');
  });

  it('a first attempt that fails once the deadline has passed (its timer not yet run) ends the call', async () => {
    const fo = make();
    let fail: (err: unknown) => void = () => undefined;
    const e = httpError(503);
    const op = vi.fn(
      (t: { name: string }) =>
        new Promise((_resolve, reject) => {
          if (t.name === 'aws') fail = reject;
          else reject(new Error('must not be called'));
        }),
    );
    const call = track(fo.run(op, { deadlineMs: 100, idempotent: true }));
    await flush();
    vi.setSystemTime(500); // the clock moves on; no timer has run yet
    fail(e);
    await flush();
    expect(call.error).toBeInstanceOf(DeadlineExceededError);
    expect((call.error as DeadlineExceededError).cause).toBe(e);
    expect((call.error as DeadlineExceededError).target).toBe('aws');
    expect(op).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(100);
    await tick();
  });

  it('close() stops an idle timer at once; a call still running keeps its time limit', async () => {
    const fo = make({ attemptTimeoutMs: 100, retry: { maxAttempts: 1 } });
    await fo.run(scripted({}));
    // That attempt settled within its tick: its time limit was staged, never armed (+ stall monitor).
    expect(vi.getTimerCount()).toBe(baseline() + breakerTimers() + 1);
    const running = track(fo.run(scripted({ aws: ['hang'] }), { deadlineMs: 1000 }));
    fo.close();
    // The running call's deadline, and its attempt timeout (stamped by close()).
    expect(vi.getTimerCount()).toBe(baseline() + 2);
    await vi.advanceTimersByTimeAsync(100);
    // Not idempotent: the attempt's timeout is thrown as it is.
    expect((running.error as DeadlineExceededError).message).toBe('Attempt timed out after 100 ms');
    expect(vi.getTimerCount()).toBe(baseline());
  });
});

describe('shared time limits with real timers', () => {
  /**
   * The timers created during the test that still keep the process alive (ref'ed, neither fired
   * nor cleared). Counting every active timer of the process instead failed on a loaded machine:
   * a timer of the test runner that ended meanwhile made the count drop below its baseline.
   */
  function ownTimers(): { count: () => number; stop: () => void } {
    const live = new Map<number, { hasRef(): boolean }>();
    const hook = createHook({
      init(id, type, _trigger, resource) {
        if (type === 'Timeout') live.set(id, resource as { hasRef(): boolean });
      },
      destroy(id) {
        live.delete(id);
      },
    }).enable();
    return {
      count: () => [...live.values()].filter((t) => t.hasRef()).length,
      stop: () => hook.disable(),
    };
  }
  /** Lets the destroy hooks of timers that ended run (they are emitted after the current tick). */
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

  it('leave no timer to keep the process alive after the last call, or after close()', async () => {
    const timers = ownTimers();
    try {
      const fo = createFailover({ targets: THREE, attemptTimeoutMs: 60_000 });
      for (let i = 0; i < 10; i++) await fo.run(async () => i, { deadlineMs: 120_000 });
      await settle();
      expect(timers.count()).toBe(0);

      let finish: (v: number) => void = () => undefined;
      const pending = fo.run(() => new Promise<number>((resolve) => (finish = resolve)));
      await settle();
      expect(timers.count()).toBe(1); // a call waiting on its time limit keeps the process alive
      fo.close();
      expect(timers.count()).toBe(1); // ...even after close(): it still has a time limit
      finish(1);
      expect(await pending).toBe(1);
      await settle();
      expect(timers.count()).toBe(0); // closed: the timer stops as soon as the last call ends
    } finally {
      timers.stop();
    }
  });
});
