import { describe, expect, it, vi } from 'vitest';
import { AbortedError, createFailover, type FailoverEvents } from '../src/index.js';
import { flush, httpError, scripted, THREE, targetsOf, track, useFakeTimerRouters } from './helpers.js';

describe('hedging', () => {
  const { make, routers } = useFakeTimerRouters({ hedge: { afterMs: 100 } }, { checkTimers: true });

  it('starts the same call on the next target after afterMs; the first success wins, the loser is aborted', async () => {
    const fo = make();
    const hedges: FailoverEvents['hedge'][] = [];
    fo.on('hedge', (e) => hedges.push(e));
    const op = scripted({ aws: [{ delay: 1000, value: 'aws' }], gcp: [{ delay: 50, value: 'gcp' }] });
    const call = track(fo.runDetailed(op, { idempotent: true }));
    await vi.advanceTimersByTimeAsync(99);
    expect(targetsOf(op.calls)).toEqual(['aws']);
    await vi.advanceTimersByTimeAsync(1);
    expect(targetsOf(op.calls)).toEqual(['aws', 'gcp']);
    expect(hedges).toEqual([{ from: 'aws', to: 'gcp', afterMs: 100 }]);
    await vi.advanceTimersByTimeAsync(50);
    expect(call.value).toMatchObject({ value: 'gcp', target: { name: 'gcp' }, attempts: 2, failures: [] });
    const loser = op.calls[0]?.signal;
    expect(loser?.aborted).toBe(true);
    expect(loser?.reason).toBeInstanceOf(AbortedError);
    expect(op.calls[1]?.signal?.aborted).toBe(false);
    const [aws, gcp] = fo.status().targets;
    // The loser's cancellation does not count against its breaker.
    expect(aws?.failures.aborted).toBe(1);
    expect(aws?.lastFailure).toBeUndefined();
    expect(gcp?.hedges).toBe(1);
    expect(gcp?.successes).toBe(1);
  });

  it('the primary can still win after a hedge started; the hedge is then aborted', async () => {
    const fo = make();
    const op = scripted({ aws: [{ delay: 150, value: 'aws' }], gcp: [{ delay: 1000, value: 'gcp' }] });
    const call = track(fo.run(op, { idempotent: true }));
    await vi.advanceTimersByTimeAsync(150);
    expect(call.value).toBe('aws');
    expect(op.calls[1]?.signal?.aborted).toBe(true);
  });

  it('no hedge when the first attempt answers in time', async () => {
    const fo = make();
    const op = scripted({ aws: [{ delay: 99, value: 'aws' }] });
    const call = track(fo.run(op, { idempotent: true }));
    await vi.advanceTimersByTimeAsync(99);
    expect(call.value).toBe('aws');
    await vi.advanceTimersByTimeAsync(1000);
    expect(targetsOf(op.calls)).toEqual(['aws']);
  });

  it('never hedges a non-idempotent call', async () => {
    const fo = make();
    const op = scripted({ aws: [{ delay: 1000, value: 'aws' }] });
    const call = track(fo.run(op));
    await vi.advanceTimersByTimeAsync(1000);
    expect(call.value).toBe('aws');
    expect(targetsOf(op.calls)).toEqual(['aws']);
  });

  it('can be switched off or set per call', async () => {
    const fo = make();
    const op = scripted({ aws: [{ delay: 1000, value: 'aws' }] });
    const off = track(fo.run(op, { idempotent: true, hedge: false }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(off.value).toBe('aws');
    expect(targetsOf(op.calls)).toEqual(['aws']);

    const plain = createFailover({ targets: THREE });
    routers.push(plain);
    const op2 = scripted({ aws: ['hang'] });
    const on = track(plain.run(op2, { idempotent: true, hedge: { afterMs: 10 } }));
    await vi.advanceTimersByTimeAsync(10);
    expect(on.value).toBe('ok:gcp');
  });

  it('maxHedges allows several hedges, each after afterMs without an answer', async () => {
    const fo = make({ hedge: { afterMs: 100, maxHedges: 2 } });
    const op = scripted({ aws: ['hang'], gcp: ['hang'], azure: [{ delay: 10, value: 'azure' }] });
    const call = track(fo.run(op, { idempotent: true }));
    await vi.advanceTimersByTimeAsync(200);
    expect(targetsOf(op.calls)).toEqual(['aws', 'gcp', 'azure']);
    await vi.advanceTimersByTimeAsync(10);
    expect(call.value).toBe('azure');
    expect(op.calls[0]?.signal?.aborted).toBe(true);
    expect(op.calls[1]?.signal?.aborted).toBe(true);
  });

  it('if the primary fails while the hedge runs, its lane fails over and the hedge still may answer', async () => {
    const fo = make({ retry: { maxAttempts: 1 } });
    const op = scripted({ gcp: [{ delay: 100, value: 'gcp' }], azure: [{ delay: 100, value: 'azure' }] });
    const failing = (t: { name: string }, ctx: Parameters<typeof op>[1]) =>
      t.name === 'aws'
        ? new Promise((_, reject) => setTimeout(() => reject(httpError(503)), 150))
        : op(t, ctx);
    // Two targets: when aws fails, nothing is left for its lane, and the hedge on gcp answers.
    const call = track(fo.run(failing, { idempotent: true, targets: ['aws', 'gcp'] }));
    await vi.advanceTimersByTimeAsync(150);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(50);
    expect(call.value).toBe('gcp');
    // Three targets: aws's lane moves on to azure (no backoff), and the first answer wins.
    const call3 = track(fo.runDetailed(failing, { idempotent: true }));
    await vi.advanceTimersByTimeAsync(200);
    expect(call3.value).toMatchObject({ value: 'gcp', attempts: 3 });
    expect(targetsOf(op.calls)).toEqual(['gcp', 'gcp', 'azure']);
    expect(op.calls[2]?.signal?.aborted).toBe(true);
  });

  it('an answer (404) from either attempt ends the call and aborts the other', async () => {
    const fo = make();
    const notFound = httpError(404);
    const op = scripted({ aws: ['hang'] });
    const hedged = (t: { name: string }, ctx: Parameters<typeof op>[1]) =>
      t.name === 'gcp' ? Promise.reject(notFound) : op(t, ctx);
    const call = track(fo.run(hedged, { idempotent: true }));
    await vi.advanceTimersByTimeAsync(100);
    expect(call.error).toBe(notFound);
    expect(op.calls[0]?.signal?.aborted).toBe(true);
  });

  it('abort during a hedge aborts both attempts', async () => {
    const fo = make();
    const ac = new AbortController();
    const op = scripted({ aws: ['hang'], gcp: ['hang'] });
    const call = track(fo.run(op, { idempotent: true, signal: ac.signal }));
    await vi.advanceTimersByTimeAsync(100);
    expect(op.calls).toHaveLength(2);
    ac.abort();
    await flush();
    expect(call.error).toBeInstanceOf(AbortedError);
    expect(op.calls.every((c) => c.signal?.aborted)).toBe(true);
  });

  it('the deadline during a hedge ends the call and aborts both', async () => {
    const fo = make();
    const op = scripted({ aws: ['hang'], gcp: ['hang'] });
    const call = track(fo.run(op, { idempotent: true, deadlineMs: 300 }));
    await vi.advanceTimersByTimeAsync(300);
    expect(call.error).toMatchObject({ name: 'DeadlineExceededError' });
    expect(op.calls.every((c) => c.signal?.aborted)).toBe(true);
    expect(
      fo
        .status()
        .targets.slice(0, 2)
        .map((t) => t.timeouts),
    ).toEqual([1, 1]);
  });

  it('hedges skip open targets and draw from the retry budget', async () => {
    const fo = make({
      budget: { capacity: 5, retryCost: 5, successRefund: 0 },
      breaker: { volumeThreshold: 1 },
    });
    await fo
      .run(scripted({ gcp: [httpError(503)] }), { targets: ['gcp'], idempotent: true })
      .catch(() => undefined);
    const exhausted: FailoverEvents['budgetExhausted'][] = [];
    fo.on('budgetExhausted', (e) => exhausted.push(e));
    const op = scripted({ aws: [{ delay: 500, value: 'aws' }] });
    const first = track(fo.run(op, { idempotent: true }));
    await vi.advanceTimersByTimeAsync(100);
    expect(targetsOf(op.calls)).toEqual(['aws', 'azure']); // gcp is open: skipped
    await vi.advanceTimersByTimeAsync(400);
    expect(first.value).toBe('ok:azure');
    expect(fo.status().budget?.tokens).toBe(0);
    const second = track(fo.run(op, { idempotent: true }));
    await vi.advanceTimersByTimeAsync(500);
    expect(second.value).toBe('aws');
    expect(exhausted).toEqual([{ target: 'azure', tokens: 0, cost: 5 }]);
  });
});
