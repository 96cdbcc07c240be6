import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AllTargetsFailedError,
  BreakerOpenError,
  createFailover,
  type Failover,
  type FailoverEvents,
  type FailoverTarget,
} from '../src/index.js';
import { flush, httpError, scripted, track } from './helpers.js';

const ONE: FailoverTarget[] = [{ name: 'aws' }];

function router(targets: FailoverTarget[] = ONE): Failover {
  return createFailover({
    targets,
    breaker: {
      volumeThreshold: 4,
      errorThresholdPercentage: 50,
      resetTimeoutMs: 1000,
      maxResetTimeoutMs: 3000,
    },
    retry: { maxAttempts: 1 },
    hedge: false,
  });
}

function record(fo: Failover): Array<{ event: string; payload: unknown; at: number }> {
  const log: Array<{ event: string; payload: unknown; at: number }> = [];
  for (const event of ['open', 'halfOpen', 'close', 'rejected'] as const) {
    fo.on(event, (payload: FailoverEvents[typeof event]) => log.push({ event, payload, at: Date.now() }));
  }
  return log;
}

async function failTimes(fo: Failover, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await fo
      .run(() => Promise.reject(httpError(503)), { idempotent: true, targets: ['aws'] })
      .catch(() => undefined);
  }
}

describe('breaker transitions', () => {
  let fo: Failover;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    fo?.close();
    vi.useRealTimers();
  });

  it('stays closed below the volume threshold and opens when it is reached above the error percentage', async () => {
    fo = router();
    const log = record(fo);
    await failTimes(fo, 3);
    expect(fo.status().targets[0]?.state).toBe('closed');
    await failTimes(fo, 1);
    expect(fo.status().targets[0]?.state).toBe('open');
    expect(log).toEqual([
      {
        event: 'open',
        payload: { target: 'aws', kind: 'unavailable', resetTimeoutMs: 1000, remote: false },
        at: Date.now(),
      },
    ]);
  });

  it('does not open while the error percentage is at or below the threshold', async () => {
    fo = router();
    for (let i = 0; i < 10; i++) {
      await fo.run(() => Promise.resolve('ok'));
      await failTimes(fo, 1);
    }
    expect(fo.status().targets[0]?.state).toBe('closed');
  });

  it('answers (404) never count against the breaker', async () => {
    fo = router();
    for (let i = 0; i < 20; i++) {
      await fo.run(() => Promise.reject(httpError(404))).catch(() => undefined);
    }
    const s = fo.status().targets[0]!;
    expect(s.state).toBe('closed');
    expect(s.failures.not_found).toBe(20);
    expect(s.lastFailure).toBeUndefined();
  });

  it('skips an open target without calling it, emitting rejected', async () => {
    fo = router();
    await failTimes(fo, 4);
    const log = record(fo);
    const op = scripted({ aws: ['ok'] });
    const err = await fo.run(op, { idempotent: true }).catch((e: unknown) => e);
    expect(op.calls).toHaveLength(0);
    expect(err).toBeInstanceOf(AllTargetsFailedError);
    const failures = (err as AllTargetsFailedError).failures;
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ target: 'aws', kind: 'unavailable', attempts: 0 });
    expect(failures[0]?.cause).toBeInstanceOf(BreakerOpenError);
    expect(log.map((l) => l.event)).toEqual(['rejected']);
    expect(fo.status().targets[0]?.rejections).toBe(1);
  });

  it('goes half-open after the reset timeout and lets exactly one probe through', async () => {
    fo = router([{ name: 'aws' }, { name: 'gcp' }]);
    await failTimes(fo, 4);
    const opened = fo.status().targets[0]!;
    expect(opened.halfOpenAt).toBe(Date.now() + 1000);
    const log = record(fo);
    await vi.advanceTimersByTimeAsync(999);
    expect(fo.status().targets[0]?.state).toBe('open');
    await vi.advanceTimersByTimeAsync(1);
    expect(fo.status().targets[0]?.state).toBe('halfOpen');
    expect(log).toEqual([
      { event: 'halfOpen', payload: { target: 'aws', resetTimeoutMs: 1000 }, at: Date.now() },
    ]);

    const op = scripted({ aws: [{ delay: 50, value: 'aws-probe' }], gcp: ['gcp'] });
    const probe = track(fo.run(op, { idempotent: true }));
    // While the probe runs, other calls skip aws.
    const other = await fo.run(op, { idempotent: true });
    expect(other).toBe('gcp');
    expect(op.calls.map((c) => c.target)).toEqual(['aws', 'gcp']);
    await vi.advanceTimersByTimeAsync(50);
    expect(probe.value).toBe('aws-probe');
  });

  it('closes when the probe succeeds, and the reset timeout goes back to its base', async () => {
    fo = router();
    await failTimes(fo, 4);
    await vi.advanceTimersByTimeAsync(1000);
    await failTimes(fo, 1); // probe fails: reopens for 2000
    expect(fo.status().targets[0]?.resetTimeoutMs).toBe(2000);
    await vi.advanceTimersByTimeAsync(2000);
    const log = record(fo);
    expect(await fo.run(() => Promise.resolve('up'))).toBe('up');
    expect(log.map((l) => l.event)).toEqual(['close']);
    const s = fo.status().targets[0]!;
    expect(s.state).toBe('closed');
    expect(s.resetTimeoutMs).toBe(1000);
    // The next opening uses the base timeout again.
    await failTimes(fo, 4);
    expect(fo.status().targets[0]?.resetTimeoutMs).toBe(1000);
  });

  it('reopens after a failed probe with a doubled reset timeout, capped at maxResetTimeoutMs', async () => {
    fo = router();
    const log = record(fo);
    await failTimes(fo, 4);
    const expected = [2000, 3000, 3000];
    let previous = 1000;
    for (const next of expected) {
      await vi.advanceTimersByTimeAsync(previous - 1);
      expect(fo.status().targets[0]?.state).toBe('open');
      await vi.advanceTimersByTimeAsync(1);
      expect(fo.status().targets[0]?.state).toBe('halfOpen');
      await failTimes(fo, 1);
      const s = fo.status().targets[0]!;
      expect(s.state).toBe('open');
      expect(s.resetTimeoutMs).toBe(next);
      expect(s.halfOpenAt).toBe(Date.now() + next);
      previous = next;
    }
    const opens = log
      .filter((l) => l.event === 'open')
      .map((l) => (l.payload as { resetTimeoutMs: number }).resetTimeoutMs);
    expect(opens).toEqual([1000, 2000, 3000, 3000]);
  });

  it('a cancelled probe reopens the breaker for the same (not doubled) timeout', async () => {
    fo = router();
    await failTimes(fo, 4);
    await vi.advanceTimersByTimeAsync(1000);
    const ac = new AbortController();
    const op = scripted({ aws: ['hang'] });
    const call = track(fo.run(op, { signal: ac.signal }));
    await flush();
    ac.abort();
    await flush();
    expect(call.error).toMatchObject({ name: 'AbortedError' });
    const s = fo.status().targets[0]!;
    expect(s.state).toBe('open');
    expect(s.resetTimeoutMs).toBe(1000);
  });

  it('a probe answered with a 404 closes the breaker: the target is up', async () => {
    fo = router();
    await failTimes(fo, 4);
    await vi.advanceTimersByTimeAsync(1000);
    const err = await fo.run(() => Promise.reject(httpError(404))).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 404 });
    expect(fo.status().targets[0]?.state).toBe('closed');
  });

  it('close() clears every breaker timer', async () => {
    const before = vi.getTimerCount();
    fo = router([{ name: 'aws' }, { name: 'gcp' }]);
    await failTimes(fo, 4);
    expect(vi.getTimerCount()).toBeGreaterThan(before);
    fo.close();
    expect(vi.getTimerCount()).toBe(before);
    await expect(fo.run(() => Promise.resolve(1))).rejects.toThrow(/closed/);
  });
});
