import { describe, expect, it, vi } from 'vitest';
import {
  AllTargetsFailedError,
  type AttemptContext,
  BulkheadFullError,
  type FailoverTarget,
  HEDGE_AUTO,
} from '../src/index.js';
import { simulateEventLoopLag } from '../src/stall.js';
import {
  flush,
  httpError,
  scripted,
  sysError,
  type Tracked,
  targetsOf,
  track,
  useFakeTimerRouters,
} from './helpers.js';

/**
 * Issue 10's guarantees, each with the adversarial case that would break it: a dead cloud is left
 * within a handful of calls without a retry storm, a slow cloud stops costing every call its
 * latency, a probe in flight is joined rather than failing calls in 1 ms, a local stall is not a
 * cloud failure, and a bulkhead bounds what one target can hold.
 */
describe('fast ejection', () => {
  const { make } = useFakeTimerRouters({}, { checkTimers: true });

  it('a busy app leaves a refusing cloud after 5 calls although its window is full of successes', async () => {
    const fo = make();
    // 10 s of earlier successes: the rate window alone would need many more failures.
    for (let i = 0; i < 1000; i++) await fo.run(scripted({}));
    const opened: string[] = [];
    fo.on('open', (e) => opened.push(e.target));
    let offered = 0;
    const op = scripted({ aws: [sysError('ECONNREFUSED')] });
    // 8 calls in flight at a time, 40 calls.
    for (let round = 0; round < 5; round++) {
      const batch = Array.from({ length: 8 }, () => {
        offered++;
        return fo.run(op);
      });
      expect(await Promise.all(batch)).toEqual(batch.map(() => 'ok:gcp'));
    }
    expect(opened).toEqual(['aws']);
    const onAws = op.calls.filter((c) => c.target === 'aws').length;
    // The calls in flight when it opened reach it once each (no retry on a refusing target).
    expect(onAws).toBeLessThanOrEqual(8);
    expect(onAws / offered).toBeLessThanOrEqual(1.1);
    expect(fo.status().targets[0]?.retries).toBe(0);
  });

  it('sequential traffic: the first calls to a dead cloud are not doubled by retries', async () => {
    const fo = make();
    const op = scripted({ aws: [httpError(503)] });
    for (let i = 0; i < 20; i++) expect(await fo.run(op, { idempotent: true })).toBe('ok:gcp');
    // One attempt per call until the 5th consecutive failure opened the breaker.
    expect(targetsOf(op.calls).filter((t) => t === 'aws')).toHaveLength(5);
    expect(fo.status().targets[0]?.state).toBe('open');
  });

  it.each([
    ['a refused connection, plain calls', sysError('ECONNREFUSED'), undefined],
    ['a refused connection, idempotent calls', sysError('ECONNREFUSED'), { idempotent: true }],
    ['a 503, idempotent calls', httpError(503), { idempotent: true }],
  ])(
    'no earlier traffic, %s: each of the first 2 calls reaches the dead cloud once',
    async (_n, err, options) => {
      const fo = make();
      const op = scripted({ aws: [err] });
      const perCall: number[] = [];
      for (let i = 0; i < 2; i++) {
        const before = op.calls.length;
        expect(await fo.run(op, options)).toBe('ok:gcp');
        perCall.push(targetsOf(op.calls.slice(before)).filter((t) => t === 'aws').length);
      }
      expect(perCall).toEqual([1, 1]);
      expect(fo.status().targets[0]?.retries).toBe(0);
    },
  );

  it.each([
    ['ECONNREFUSED', sysError('ECONNREFUSED')],
    ['ENOTFOUND', sysError('ENOTFOUND')],
    ['EAI_AGAIN', sysError('EAI_AGAIN')],
    ['a connect timeout', sysError('UND_ERR_CONNECT_TIMEOUT')],
    ['a TLS handshake timeout', sysError('ERR_TLS_HANDSHAKE_TIMEOUT')],
    [
      'an error that says it was never sent',
      Object.assign(new Error('no connection'), { neverSent: true, code: 'ETIMEDOUT' }),
    ],
  ])('an unreachable cloud (%s) is left after 2 calls, each reaching it once', async (_name, err) => {
    const fo = make();
    const opened: unknown[] = [];
    fo.on('open', (e) => opened.push(e));
    const op = scripted({ aws: [err] });
    for (let i = 0; i < 10; i++) expect(await fo.run(op)).toBe('ok:gcp');
    expect(targetsOf(op.calls).filter((t) => t === 'aws')).toHaveLength(2);
    expect(opened).toEqual([expect.objectContaining({ target: 'aws', remote: false })]);
  });

  it('unreachable failures count in a row only: a 503 or a success between them starts again', async () => {
    const fo = make({ breaker: { volumeThreshold: 1000 } });
    const refused = sysError('ECONNREFUSED');
    const op = scripted({ aws: [refused, httpError(503), refused, 'ok', refused, httpError(503)] });
    for (let i = 0; i < 6; i++) await fo.run(op, { idempotent: true });
    // 6 calls, 5 failures, never 2 refused in a row nor 5 failures in a row: still closed.
    expect(fo.status().targets[0]?.state).toBe('closed');
    const op2 = scripted({ aws: [httpError(503), refused, refused] });
    for (let i = 0; i < 3; i++) await fo.run(op2, { idempotent: true });
    expect(fo.status().targets[0]?.state).toBe('open');
  });

  it('consecutiveFailures: 0 switches the unreachable trigger off too, unless it is set', async () => {
    const off = make({ breaker: { consecutiveFailures: 0, volumeThreshold: 1000 } });
    const op = scripted({ aws: [sysError('ECONNREFUSED')] });
    for (let i = 0; i < 20; i++) await off.run(op);
    expect(off.status().targets[0]?.state).toBe('closed');
    const connectOnly = make({
      breaker: { consecutiveFailures: 0, consecutiveConnectFailures: 3, volumeThreshold: 1000 },
    });
    const op2 = scripted({ aws: [sysError('ECONNREFUSED')] });
    for (let i = 0; i < 20; i++) await connectOnly.run(op2);
    expect(targetsOf(op2.calls).filter((t) => t === 'aws')).toHaveLength(3);
    expect(connectOnly.status().targets[0]?.state).toBe('open');
  });

  it('an attempt cancelled by the caller or a failure cut by a local stall leaves the streaks as they were', async () => {
    const fo = make({ breaker: { volumeThreshold: 1000 } });
    const refused = sysError('ECONNREFUSED');
    await fo.run(scripted({ aws: [refused] }));
    expect(fo.status().targets[0]?.state).toBe('closed');
    const controller = new AbortController();
    const hanging = track(
      fo.run(scripted({ aws: ['hang'] }), { signal: controller.signal, targets: ['aws'] }),
    );
    await flush();
    controller.abort(new Error('user cancelled'));
    await flush();
    expect(hanging.error).toMatchObject({ name: 'AbortedError' });
    expect(fo.status().targets[0]?.state).toBe('closed');
    // The streak of one refused connection is still there: the next one opens.
    await fo.run(scripted({ aws: [refused] }));
    expect(fo.status().targets[0]?.state).toBe('open');
  });

  it('any success or answer resets the consecutive count; consecutiveFailures: 0 switches it off', async () => {
    const fo = make({ breaker: { volumeThreshold: 1000 }, retry: { maxAttempts: 1 } });
    const e = httpError(503);
    const flaky = scripted({ aws: [e, e, e, e, httpError(404), e, e, e, e] });
    for (let i = 0; i < 9; i++) await fo.run(flaky, { targets: ['aws'] }).catch(() => 0);
    expect(fo.status().targets[0]?.state).toBe('closed');
    await fo.run(flaky, { targets: ['aws'] }).catch(() => 0);
    expect(fo.status().targets[0]?.state).toBe('open');
    const off = make({
      breaker: { consecutiveFailures: 0, volumeThreshold: 1000 },
      retry: { maxAttempts: 1 },
    });
    const dead = scripted({ aws: [httpError(503)] });
    for (let i = 0; i < 50; i++) await off.run(dead, { targets: ['aws'] }).catch(() => 0);
    expect(off.status().targets[0]?.state).toBe('closed');
  });

  it('a 429 or 503 with Retry-After waits only when no other target can take the call', async () => {
    const fo = make({ retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 5000 } });
    const op = scripted({ aws: [httpError(429, { 'retry-after': '1' })], gcp: ['ok'] });
    const fast = track(fo.run(op, { idempotent: true }));
    await flush(50);
    expect(fast.value).toBe('ok');
    const only = scripted({ aws: [httpError(503, { 'retry-after': '1' }), 'later'] });
    const slow = track(fo.run(only, { idempotent: true, targets: ['aws'] }));
    await vi.advanceTimersByTimeAsync(999);
    expect(slow.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(slow.value).toBe('later');
  });
});

describe('latency-aware routing', () => {
  const { make } = useFakeTimerRouters({}, { checkTimers: true });

  it('a 300 ms-slow first cloud does not cost every call 300 ms: p50 within 2x of the fast cloud', async () => {
    const fo = make();
    const op = scripted({
      aws: [{ delay: 300, value: 'aws' }],
      gcp: [{ delay: 9, value: 'gcp' }],
      azure: [{ delay: 9, value: 'azure' }],
    });
    const took: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = Date.now();
      const call = track(fo.run(op, { idempotent: true }));
      while (!call.settled) await vi.advanceTimersByTimeAsync(1);
      expect(call.error).toBeUndefined();
      took.push(Date.now() - started);
    }
    // While gcp and azure are unknown, one call in 8 explores them (hedges after 20 ms); three
    // lost races demote aws. Only the calls before that pay the 300 ms.
    expect(took.filter((t) => t >= 300).length).toBeLessThanOrEqual(3 * HEDGE_AUTO.exploreEvery);
    took.sort((a, b) => a - b);
    const p50 = took[Math.floor(took.length / 2)]!;
    expect(p50).toBeLessThanOrEqual(18);
    expect(fo.status().targets[0]?.demotedUntil).toBeGreaterThan(Date.now());
  });

  it('a race the first target lost records how long it ran: hedges do not cut its tail out of its latency window', async () => {
    const fo = make({ hedge: { afterMs: 50 } });
    const warm = Array.from({ length: HEDGE_AUTO.minSamples }, () => ({ delay: 5, value: 'aws' }));
    const op = scripted({ aws: [...warm, { delay: 300, value: 'aws' }], gcp: [{ delay: 9, value: 'gcp' }] });
    for (let i = 0; i < HEDGE_AUTO.minSamples; i++) {
      const call = track(fo.run(op, { idempotent: true }));
      await vi.advanceTimersByTimeAsync(5);
      expect(call.value).toBe('aws');
    }
    const call = track(fo.run(op, { idempotent: true }));
    await vi.advanceTimersByTimeAsync(59); // hedged at 50 ms, gcp answers at 59 ms
    expect(call.value).toBe('gcp');
    const aws = fo.status().targets[0]!.latencyMs;
    expect(aws.samples).toBe(HEDGE_AUTO.minSamples + 1);
    expect(aws.p99).toBe(59); // a lower bound: it had run 59 ms without answering
    await vi.advanceTimersByTimeAsync(300); // the aborted attempt records nothing more
    expect(fo.status().targets[0]!.latencyMs.samples).toBe(HEDGE_AUTO.minSamples + 1);
  });

  it('a cold target (fewer than minSamples answers) that loses a race records nothing', async () => {
    const fo = make({ hedge: { afterMs: 50 } });
    const op = scripted({ aws: [{ delay: 300, value: 'aws' }], gcp: [{ delay: 9, value: 'gcp' }] });
    const call = track(fo.run(op, { idempotent: true }));
    await vi.advanceTimersByTimeAsync(59);
    expect(call.value).toBe('gcp');
    expect(fo.status().targets[0]!.latencyMs.samples).toBe(0);
  });

  it('demotion applies to every call while it lasts, and ends after one reset period', async () => {
    const fo = make({ breaker: { resetTimeoutMs: 10_000 } });
    const op = scripted({ aws: [{ delay: 300, value: 'aws' }], gcp: [{ delay: 9, value: 'gcp' }] });
    for (let i = 0; i < 50 && fo.status().targets[0]?.demotedUntil === undefined; i++) {
      const call = track(fo.run(op, { idempotent: true }));
      while (!call.settled) await vi.advanceTimersByTimeAsync(1);
    }
    expect(fo.status().targets[0]?.demotedUntil).toBeDefined();
    // Non-idempotent calls (never hedged) go to gcp first too.
    const write = track(fo.run(op));
    await vi.advanceTimersByTimeAsync(9);
    expect(write.value).toBe('gcp');
    await vi.advanceTimersByTimeAsync(10_000);
    const later = track(fo.run(scripted({})));
    await flush();
    expect(later.value).toBe('ok:aws');
  });

  it('a new router whose first target never answers: the first calls hedge after coldMs, not maxMs', async () => {
    const fo = make();
    const op = scripted({
      aws: ['hang'],
      gcp: [{ delay: 9, value: 'gcp' }],
      azure: [{ delay: 9, value: 'azure' }],
    });
    const started = Date.now();
    const call = track(fo.run(op, { idempotent: true }));
    while (!call.settled) await vi.advanceTimersByTimeAsync(1);
    expect(call.value).toBe('gcp');
    expect(Date.now() - started).toBeLessThanOrEqual(HEDGE_AUTO.coldMs + 9);
    expect(HEDGE_AUTO.coldMs).toBeLessThan(HEDGE_AUTO.maxMs);
    // The next calls wait no longer (the cut attempts of a cold target are not taken for its
    // latency, which would double the wait at each lost race), and none once aws is demoted.
    const took: number[] = [];
    for (let i = 0; i < 5; i++) {
      const at = Date.now();
      const next = track(fo.run(op, { idempotent: true }));
      while (!next.settled) await vi.advanceTimersByTimeAsync(1);
      expect(next.value).toBe('gcp');
      took.push(Date.now() - at);
    }
    expect(Math.max(...took)).toBeLessThanOrEqual(HEDGE_AUTO.coldMs + 9);
    expect(took.at(-1)).toBeLessThanOrEqual(9);
    expect(fo.status().targets[0]?.demotedUntil).toBeGreaterThan(Date.now());
  });

  it('races lost in its tail do not demote a target as fast as the winner as a rule', async () => {
    // aws answers in 10 ms but every 4th call in 200 ms (its tail, as a GC pause or a queue);
    // gcp in 9 ms. Every tail is hedged and lost to gcp, but aws is no slower as a rule.
    const fo = make({ hedge: { afterMs: 50 } });
    const aws = Array.from({ length: 120 }, (_, i) => ({ delay: i % 4 === 3 ? 200 : 10, value: 'aws' }));
    const op = scripted({ aws, gcp: [{ delay: 9, value: 'gcp' }] });
    const served: unknown[] = [];
    for (let i = 0; i < 120; i++) {
      const call = track(fo.run(op, { idempotent: true }));
      while (!call.settled) await vi.advanceTimersByTimeAsync(1);
      served.push(call.value);
    }
    expect(served.filter((v) => v === 'gcp')).toHaveLength(30); // each tail, hedged
    expect(fo.status().targets[0]?.demotedUntil).toBeUndefined();
    // The same races against a first target slow as a rule (its median above 3x gcp's) demote it.
    const slowFo = make({ hedge: { afterMs: 50 } });
    const slow = scripted({ aws: [{ delay: 200, value: 'aws' }], gcp: [{ delay: 9, value: 'gcp' }] });
    for (let i = 0; i < 12 && slowFo.status().targets[0]?.demotedUntil === undefined; i++) {
      const call = track(slowFo.run(slow, { idempotent: true }));
      while (!call.settled) await vi.advanceTimersByTimeAsync(1);
    }
    expect(slowFo.status().targets[0]?.demotedUntil).toBeGreaterThan(Date.now());
  });

  it('adaptive hedging is paid from the retry budget: no hedge when it cannot pay', async () => {
    const fo = make({ budget: { capacity: 5, retryCost: 5, successRefund: 0 } });
    const op = scripted({ aws: [{ delay: 300, value: 'aws' }], gcp: [{ delay: 9, value: 'gcp' }] });
    const served: unknown[] = [];
    for (let i = 0; i < 3 * HEDGE_AUTO.exploreEvery; i++) {
      const call = track(fo.run(op, { idempotent: true }));
      await vi.advanceTimersByTimeAsync(300);
      served.push(call.value);
    }
    // One exploring hedge was paid (5 tokens); the next ones could not be.
    expect(served.filter((v) => v === 'gcp')).toHaveLength(1);
    expect(fo.status().budget?.tokens).toBe(0);
    expect(fo.status().targets[1]?.hedges).toBe(1);
  });
});

describe('panic routing', () => {
  // Every breaker is opened with trip(): without keepLastTarget's spare of the last closed one.
  const { make } = useFakeTimerRouters(
    { hedge: false, breaker: { keepLastTarget: false } },
    { checkTimers: true },
  );

  it('when every target is skipped while one probes, calls join the probe instead of failing at once', async () => {
    const fo = make({ breaker: { resetTimeoutMs: 1000 } });
    fo.trip('aws');
    fo.trip('gcp');
    fo.trip('azure');
    await vi.advanceTimersByTimeAsync(1000);
    fo.trip('aws');
    fo.trip('gcp');
    const panics: string[] = [];
    fo.on('panic', (e) => panics.push(e.target));
    const op = scripted({ azure: [{ delay: 50, value: 'azure' }] });
    const probe = track(fo.run(op));
    const others = [track(fo.run(op)), track(fo.run(op, { idempotent: true }))];
    await flush();
    expect(others.map((o) => o.settled)).toEqual([false, false]);
    await vi.advanceTimersByTimeAsync(50);
    expect(probe.value).toBe('azure');
    await vi.advanceTimersByTimeAsync(50);
    expect(others.map((o) => o.value)).toEqual(['azure', 'azure']);
    expect(panics).toEqual(['azure', 'azure']);
  });

  it('a call that probed another half-open target and saw it fail still joins the probe in flight (issue 10)', async () => {
    const fo = make({ breaker: { resetTimeoutMs: 1000 }, retry: { maxAttempts: 1 } });
    fo.trip('aws');
    fo.trip('gcp');
    fo.trip('azure');
    await vi.advanceTimersByTimeAsync(1000);
    // aws and gcp are half-open; azure stays open.
    fo.trip('azure');
    const panics: string[] = [];
    fo.on('panic', (e) => panics.push(e.target));
    const op = scripted({ aws: [{ delay: 50, value: 'aws' }], gcp: [sysError('ECONNREFUSED')] });
    const probe = track(fo.run(op, { idempotent: true }));
    // aws's probe is taken: this call probes gcp (refused at once), skips azure, then joins aws's.
    const second = track(fo.run(op, { idempotent: true }));
    await flush(20);
    expect(second.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(50);
    expect(probe.value).toBe('aws');
    await vi.advanceTimersByTimeAsync(50);
    expect(second.value).toBe('aws');
    expect(panics).toEqual(['aws']);
    expect(targetsOf(op.calls)).toEqual(['aws', 'gcp', 'aws']);
  });

  it('a failed probe ends the joined calls with AllTargetsFailedError', async () => {
    const fo = make({ breaker: { resetTimeoutMs: 1000 }, retry: { maxAttempts: 1 } });
    fo.trip('aws');
    fo.trip('gcp');
    fo.trip('azure');
    await vi.advanceTimersByTimeAsync(1000);
    fo.trip('aws');
    fo.trip('gcp');
    const op = scripted({ azure: [httpError(503)] });
    const probe = track(fo.run(op, { idempotent: true }));
    const joined = track(fo.run(op, { idempotent: true }));
    await flush(20);
    expect(probe.error).toBeInstanceOf(AllTargetsFailedError);
    expect(joined.error).toBeInstanceOf(AllTargetsFailedError);
    expect(targetsOf(op.calls)).toEqual(['azure']);
  });

  it('recover() while calls wait on a probe lets them go at once; close() never leaves them waiting', async () => {
    const fo = make({ breaker: { resetTimeoutMs: 1000 } });
    fo.trip('aws');
    fo.trip('gcp');
    await vi.advanceTimersByTimeAsync(1000);
    fo.trip('aws');
    const op = scripted({ gcp: ['hang'], aws: ['aws'] });
    const probe = track(fo.run(op, { idempotent: true, targets: ['gcp', 'aws'] }));
    const joined = track(fo.run(op, { idempotent: true, targets: ['gcp', 'aws'] }));
    await flush();
    expect(joined.settled).toBe(false);
    fo.recover('gcp'); // another instance saw gcp healthy
    await flush(20);
    expect(probe.settled).toBe(false); // still hanging on gcp
    expect(targetsOf(op.calls)).toEqual(['gcp', 'gcp']);
    // aws was re-tripped while half-open: open for twice as long, then half-open. Its probe hangs,
    // a call joins it.
    await vi.advanceTimersByTimeAsync(2000);
    const hung = scripted({ aws: ['hang'] });
    const awsProbe = track(fo.run(hung, { targets: ['aws'] }));
    const waiting = track(fo.run(hung, { targets: ['aws'] }));
    await flush();
    expect([awsProbe.settled, waiting.settled]).toEqual([false, false]);
    fo.close();
    await flush(20);
    expect(waiting.error).toBeInstanceOf(AllTargetsFailedError);
    await vi.advanceTimersByTimeAsync(30_000); // the hanging attempts (and a retry) reach their limits
    expect([probe.settled, awsProbe.settled]).toEqual([true, true]);
  });

  it('with every breaker open and no probe running, calls still fail fast without touching a target', async () => {
    const fo = make();
    fo.trip('aws');
    fo.trip('gcp');
    fo.trip('azure');
    const op = scripted({});
    await expect(fo.run(op)).rejects.toBeInstanceOf(AllTargetsFailedError);
    expect(op.calls).toEqual([]);
  });
});

describe('panic routing: an early probe when there is no probe to join', () => {
  const { make } = useFakeTimerRouters(
    { hedge: false, breaker: { keepLastTarget: false, resetTimeoutMs: 10_000 } },
    { checkTimers: true },
  );

  it('probes the open target that failed least recently, once its last failure is a second old', async () => {
    const fo = make();
    fo.trip('gcp');
    await vi.advanceTimersByTimeAsync(100);
    fo.trip('aws');
    fo.trip('azure');
    const panics: { target: string; early: boolean }[] = [];
    fo.on('panic', (e) => panics.push(e));
    // Within a second of the last failures: fails at once, touching nothing (as before).
    await vi.advanceTimersByTimeAsync(850);
    const early = scripted({});
    await expect(fo.run(early)).rejects.toBeInstanceOf(AllTargetsFailedError);
    expect(early.calls).toEqual([]);
    // gcp failed first, a second ago: the call goes there as its probe, and gcp is back.
    await vi.advanceTimersByTimeAsync(100);
    const op = scripted({});
    expect(await fo.run(op)).toBe('ok:gcp');
    expect(targetsOf(op.calls)).toEqual(['gcp']);
    expect(panics).toEqual([{ target: 'gcp', early: true }]);
    expect(fo.status().targets.map((t) => t.state)).toEqual(['open', 'closed', 'open']);
  });

  it('a failed early probe leaves the breaker as it was (same period, no event); each target once per second', async () => {
    const fo = make();
    fo.trip('aws');
    fo.trip('gcp');
    fo.trip('azure');
    const before = fo.status().targets.map((t) => t.halfOpenAt);
    const opens: string[] = [];
    fo.on('open', (e) => opens.push(e.target));
    await vi.advanceTimersByTimeAsync(1000);
    const op = scripted({
      aws: [sysError('ECONNREFUSED')],
      gcp: [sysError('ECONNREFUSED')],
      azure: [sysError('ECONNREFUSED')],
    });
    // A dead fleet of clouds: each call probes the next target not tried for a second.
    for (let i = 0; i < 4; i++) {
      await expect(fo.run(op, { idempotent: true })).rejects.toBeInstanceOf(AllTargetsFailedError);
    }
    expect(targetsOf(op.calls)).toEqual(['aws', 'gcp', 'azure']);
    expect(opens).toEqual([]);
    expect(fo.status().targets.map((t) => t.halfOpenAt)).toEqual(before);
    expect(fo.status().targets.map((t) => t.resetTimeoutMs)).toEqual([10_000, 10_000, 10_000]);
    // The period ends as it would have: half-open at the same time.
    await vi.advanceTimersByTimeAsync(9000);
    expect(fo.status().targets.map((t) => t.state)).toEqual(['halfOpen', 'halfOpen', 'halfOpen']);
  });

  it('a call made for one target is told at once that it is open (no early probe)', async () => {
    const fo = make();
    fo.trip('aws');
    await vi.advanceTimersByTimeAsync(2000);
    const op = scripted({});
    await expect(fo.run(op, { targets: ['aws'] })).rejects.toBeInstanceOf(AllTargetsFailedError);
    expect(op.calls).toEqual([]);
  });

  it('probeEarly() readies the target for a fan-out: its next call goes, past a probe gate that says no', async () => {
    const fo = make({ breaker: { probeGate: () => false } });
    fo.trip('aws');
    fo.trip('gcp');
    fo.trip('azure');
    expect(fo.probeEarly()).toBeUndefined(); // within a second of the last failure
    await vi.advanceTimersByTimeAsync(1000);
    expect(fo.probeEarly(['gcp', 'azure'])).toBe('gcp');
    expect(fo.probeEarly(['gcp', 'azure'])).toBeUndefined(); // gcp's probe slot is free: it admits a call
    const op = scripted({});
    expect(await fo.run(op, { targets: ['gcp'] })).toBe('ok:gcp');
    expect(fo.status().targets.map((t) => t.state)).toEqual(['open', 'closed', 'open']);
    expect(() => fo.probeEarly(['nope'])).toThrow(/nope/);
  });

  it('calls that find the early probe in flight join it', async () => {
    const fo = make();
    fo.trip('aws');
    fo.trip('gcp');
    fo.trip('azure');
    await vi.advanceTimersByTimeAsync(1000);
    const op = scripted({ aws: [{ delay: 50, value: 'aws' }] });
    // Started in the same tick: the second finds the first's early probe reserved, not yet sent
    // (the router's property test found both let through as probes).
    const probe = track(fo.run(op, { idempotent: true }));
    const joined = track(fo.run(op, { idempotent: true }));
    await flush();
    expect(joined.settled).toBe(false);
    expect(targetsOf(op.calls)).toEqual(['aws']); // one request on the open target: the probe
    await vi.advanceTimersByTimeAsync(50);
    expect(probe.value).toBe('aws');
    // The probe closed the breaker: the joined call goes there now.
    await vi.advanceTimersByTimeAsync(50);
    expect(joined.value).toBe('aws');
    expect(targetsOf(op.calls)).toEqual(['aws', 'aws']);
  });
});

describe('skipping an open target', () => {
  const { make } = useFakeTimerRouters({ hedge: false }, { checkTimers: true });

  it('reuses one error per opening: no error (and no stack) is built per skip', async () => {
    const fo = make();
    fo.trip('aws');
    const causes = new Set<unknown>();
    fo.trip('gcp');
    for (let i = 0; i < 3; i++) {
      const r = await fo.runDetailed(scripted({}), { targets: ['aws', 'gcp', 'azure'] });
      for (const f of r.failures) causes.add(f.cause);
    }
    expect(causes.size).toBe(2);
    for (const c of causes) {
      expect(c).toMatchObject({ name: 'BreakerOpenError', kind: 'unavailable' });
      expect((c as Error).stack).not.toMatch(/\n\s+at /); // built with no stack frames
    }
  });

  it('the fast path (a call without options) records the same error per opening', async () => {
    const fo = make();
    fo.trip('aws');
    const errors = new Set<unknown>();
    fo.on('failover', (e) => errors.add(e.error));
    for (let i = 0; i < 3; i++) expect(await fo.run(scripted({}))).toBe('ok:gcp');
    expect(errors.size).toBe(1);
    expect([...errors][0]).toMatchObject({ name: 'BreakerOpenError' });
    expect(fo.status().targets[0]?.rejections).toBe(3);
  });
});

describe('local stalls are not cloud failures', () => {
  const { make } = useFakeTimerRouters({ hedge: false }, { checkTimers: true, now: 0 });

  /** An operation whose SDK has its own 500 ms timer, like a socket timeout; the 2nd try answers. */
  function sdkWithOwnTimeout(): ((t: FailoverTarget, ctx: AttemptContext) => Promise<string>) & {
    tries: number;
  } {
    const op = Object.assign(
      (t: FailoverTarget) => {
        op.tries++;
        if (op.tries > 20 || t.name !== 'aws') return Promise.resolve(`ok:${t.name}`);
        return new Promise<string>((_resolve, reject) => {
          setTimeout(() => reject(Object.assign(new Error('socket timeout'), { code: 'ETIMEDOUT' })), 500);
        });
      },
      { tries: 0 },
    );
    return op;
  }

  it('a 3 s stall with 20 calls in flight opens no breaker and fails no idempotent call (the others get their SDK error back: they cannot be replayed)', async () => {
    const fo = make({ attemptTimeoutMs: 1000 });
    const opened: string[] = [];
    fo.on('open', (e) => opened.push(e.target));
    const op = sdkWithOwnTimeout();
    const calls = Array.from({ length: 20 }, (_, i) => track(fo.run(op, { idempotent: i % 2 === 0 })));
    await vi.advanceTimersByTimeAsync(100);
    // The process is blocked for 3 s: the clock jumps, no callback runs meanwhile.
    vi.setSystemTime(Date.now() + 3000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(opened).toEqual([]);
    const idempotent = calls.filter((_, i) => i % 2 === 0);
    expect(idempotent.map((c) => c.value)).toEqual(idempotent.map(() => 'ok:aws'));
    // Non-idempotent calls cannot be replayed: the SDK's error comes back as it is, but it does
    // not count against the target either.
    const plain = calls.filter((_, i) => i % 2 === 1);
    for (const c of plain) expect(c.error).toMatchObject({ code: 'ETIMEDOUT' });
    const aws = fo.status().targets[0]!;
    expect(aws.state).toBe('closed');
    expect(aws.lastFailure).toBeUndefined();
  });

  it('a 3 s stall after a peer answered still opens no breaker and fails no call', async () => {
    const fo = make({ attemptTimeoutMs: 1000 });
    const opened: string[] = [];
    fo.on('open', (e) => opened.push(e.target));
    const op = sdkWithOwnTimeout();
    const calls = Array.from({ length: 20 }, () => track(fo.run(op, { idempotent: true })));
    // gcp answers another call just before the stall: the process was listening then, not after.
    expect(await fo.run(op, { targets: ['gcp'] })).toBe('ok:gcp');
    await vi.advanceTimersByTimeAsync(100);
    vi.setSystemTime(Date.now() + 3000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(opened).toEqual([]);
    expect(calls.map((c) => c.value)).toEqual(calls.map(() => 'ok:aws'));
  });

  /**
   * Sustained CPU overload (every stall-monitor tick 150 ms late, through stall.ts's test seam)
   * while aws never answers (its SDK gives up after 500 ms): calls go to aws and fail over to gcp,
   * and gcp answers other calls every 50 ms. Returns what the router did after `ms` of it.
   */
  async function overloaded(
    ms = 6000,
  ): Promise<{ opened: string[]; onAws: number; results: Tracked<unknown>[] }> {
    const fo = make({ attemptTimeoutMs: 1000 });
    const opened: string[] = [];
    fo.on('open', (e) => opened.push(e.target));
    let onAws = 0;
    const silentAws = (t: FailoverTarget) => {
      if (t.name !== 'aws') return Promise.resolve(`ok:${t.name}`);
      onAws++;
      return new Promise<string>((_resolve, reject) => {
        setTimeout(() => reject(Object.assign(new Error('socket timeout'), { code: 'ETIMEDOUT' })), 500);
      });
    };
    simulateEventLoopLag(150);
    try {
      const results: Tracked<unknown>[] = [];
      for (let t = 0; t < ms; t += 50) {
        if (t % 200 === 0) results.push(track(fo.run(silentAws, { idempotent: true })));
        results.push(track(fo.run(silentAws, { targets: ['gcp'] })));
        await vi.advanceTimersByTimeAsync(50);
      }
      await vi.advanceTimersByTimeAsync(3000);
      return { opened, onAws, results };
    } finally {
      simulateEventLoopLag(0);
    }
  }

  it('under sustained overload, a silent target is left while its peers answer; they are not', async () => {
    const { opened, onAws, results } = await overloaded();
    expect(opened).toEqual(['aws']);
    // Each app call reached aws at most once before it was left: no rerun of an excused timeout.
    expect(onAws).toBeLessThanOrEqual(5);
    expect(results.every((r) => r.settled && r.error === undefined)).toBe(true);
  });

  it('without a stall the same timeouts count and fail over as usual', async () => {
    const fo = make({ attemptTimeoutMs: 1000 });
    const op = sdkWithOwnTimeout();
    const call = track(fo.run(op, { idempotent: true }));
    await vi.advanceTimersByTimeAsync(500);
    expect(call.value).toBe('ok:gcp');
    expect(fo.status().targets[0]?.lastFailure?.kind).toBe('timeout');
  });
});

describe('bulkhead', () => {
  const { make } = useFakeTimerRouters({ hedge: false }, { checkTimers: true });

  it('bounds attempts in flight per target; a full target sends calls to the next one', async () => {
    const fo = make({ bulkhead: { maxConcurrent: 2 } });
    const op = scripted({ aws: [{ delay: 100, value: 'aws' }], gcp: [{ delay: 100, value: 'gcp' }] });
    const calls = Array.from({ length: 5 }, () => track(fo.run(op, { targets: ['aws', 'gcp'] })));
    await flush();
    expect(fo.status().targets[0]?.bulkhead).toEqual({ inflight: 2, queued: 0 });
    await vi.advanceTimersByTimeAsync(100);
    expect(calls.map((c) => c.value ?? (c.error as Error).name)).toEqual([
      'aws',
      'aws',
      'gcp',
      'gcp',
      'AllTargetsFailedError',
    ]);
    const err = calls[4]?.error as AllTargetsFailedError;
    expect(err.kind).toBe('throttled');
    expect(err.failures[1]?.cause).toBeInstanceOf(BulkheadFullError);
    expect(fo.status().targets[0]?.bulkhead).toEqual({ inflight: 0, queued: 0 });
  });

  it('queues up to maxQueue calls when no other target can take them, then rejects with a typed error', async () => {
    const fo = make({ bulkhead: { maxConcurrent: 1, maxQueue: 1 } });
    const op = scripted({ aws: [{ delay: 100, value: 'aws' }] });
    const only = { targets: ['aws'] };
    const [a, b, c] = [track(fo.run(op, only)), track(fo.run(op, only)), track(fo.run(op, only))];
    await flush();
    expect(c.error).toBeInstanceOf(AllTargetsFailedError);
    const full = (c.error as AllTargetsFailedError).failures[0]?.cause as BulkheadFullError;
    expect(full).toBeInstanceOf(BulkheadFullError);
    expect(full.message).toBe('Bulkhead for target "aws" is full (1 in flight, 1 waiting)');
    expect(fo.status().targets[0]?.bulkhead).toEqual({ inflight: 1, queued: 1 });
    await vi.advanceTimersByTimeAsync(100);
    expect(a.value).toBe('aws');
    expect(b.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(b.value).toBe('aws');
    expect(op.calls).toHaveLength(2);
  });

  it('a call that ends while queued gives its slot back', async () => {
    const fo = make({ bulkhead: { maxConcurrent: 1, maxQueue: 5 } });
    const op = scripted({ aws: [{ delay: 100, value: 'aws' }] });
    const first = track(fo.run(op, { targets: ['aws'] }));
    const queued = track(fo.run(op, { targets: ['aws'], deadlineMs: 10 }));
    await vi.advanceTimersByTimeAsync(10);
    expect(queued.error).toMatchObject({ name: 'DeadlineExceededError' });
    await vi.advanceTimersByTimeAsync(90);
    expect(first.value).toBe('aws');
    expect(fo.status().targets[0]?.bulkhead).toEqual({ inflight: 0, queued: 0 });
    expect(await fo.run(scripted({}), { targets: ['aws'] })).toBe('ok:aws');
  });

  it('rejects invalid bulkhead options with the option path', () => {
    expect(() => make({ bulkhead: { maxConcurrent: 0 } })).toThrow(
      'Invalid option "bulkhead.maxConcurrent": must be an integer from 1 to 1000000, got 0',
    );
    expect(() => make({ bulkhead: {} as never })).toThrow(
      'Invalid option "bulkhead.maxConcurrent": is required',
    );
  });
});
