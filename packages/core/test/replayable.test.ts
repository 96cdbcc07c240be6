import { describe, expect, it, vi } from 'vitest';
import {
  AbortedError,
  AllTargetsFailedError,
  BreakerOpenError,
  DeadlineExceededError,
  type Failover,
  type FailoverEventName,
  type FailoverOptions,
  type RunOptions,
} from '../src/index.js';
import { flush, httpError, scripted, sysError, targetsOf, track, useFakeTimerRouters } from './helpers.js';

/** Every event name except the breaker's own (open/halfOpen/close). */
const CALL_EVENTS: FailoverEventName[] = ['failover', 'retry', 'hedge', 'rejected', 'budgetExhausted'];

describe('replayable: false', () => {
  const routers = useFakeTimerRouters(
    { retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 } },
    { checkTimers: true },
  );
  function make(options: Partial<FailoverOptions> = {}): { fo: Failover; events: string[] } {
    const fo = routers.make(options);
    const events: string[] = [];
    for (const name of CALL_EVENTS) fo.on(name, () => events.push(name));
    return { fo, events };
  }

  // Each way into the router: no other option (first attempt awaited by the router), a caller
  // signal, a target list, a detailed result, a deadline (the full call machinery), an attempt timeout.
  const entries: Array<[string, RunOptions, boolean]> = [
    ['no other option', {}, false],
    ['idempotent', { idempotent: true }, false],
    ['a caller signal', { idempotent: true, signal: new AbortController().signal }, false],
    ['a target list', { idempotent: true, targets: ['aws', 'gcp', 'azure'] }, false],
    ['runDetailed', { idempotent: true }, true],
    ['a deadline', { idempotent: true, deadlineMs: 10_000 }, false],
    ['an attempt timeout', { idempotent: true, attemptTimeoutMs: 10_000 }, false],
    ['hedging asked for', { idempotent: true, hedge: { afterMs: 1 } }, false],
  ];

  for (const [label, extra, detailed] of entries) {
    for (const [what, err] of [
      ['a refused connection', sysError('ECONNREFUSED')],
      ['a 503', httpError(503)],
    ] as const) {
      it(`${label}: ${what} ends the call after one attempt, with that error unchanged`, async () => {
        const { fo, events } = make();
        const op = scripted({ aws: [err], gcp: ['gcp'] });
        const options: RunOptions = { ...extra, replayable: false };
        const call = track(detailed ? fo.runDetailed(op, options) : fo.run(op, options));
        await vi.advanceTimersByTimeAsync(1_000);
        expect(call.error).toBe(err);
        expect(targetsOf(op.calls)).toEqual(['aws']);
        expect(events).toEqual([]);
        const [aws, gcp] = fo.status().targets;
        const kind = what === 'a 503' ? 'unavailable' : 'network';
        expect(aws?.failures[kind]).toBe(1);
        expect(aws?.failures.unknown).toBe(0);
        expect(aws?.retries).toBe(0);
        expect(aws?.successes).toBe(0);
        expect(gcp?.successes).toBe(0);
      });
    }
  }

  it('an attempt timeout ends the call with the timeout error, counted as a timeout', async () => {
    const { fo, events } = make({ attemptTimeoutMs: 50 });
    const op = scripted({ aws: ['hang'], gcp: ['gcp'] });
    const call = track(fo.run(op, { idempotent: true, replayable: false }));
    await vi.advanceTimersByTimeAsync(49);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(call.error).toBeInstanceOf(DeadlineExceededError);
    expect(call.error).toMatchObject({ kind: 'timeout', target: 'aws', timeoutMs: 50 });
    // The attempt's signal was aborted with the very error the call rejected with.
    expect(op.calls[0]?.signal?.reason).toBe(call.error);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(targetsOf(op.calls)).toEqual(['aws']);
    expect(events).toEqual([]);
    expect(fo.status().targets[0]?.failures.timeout).toBe(1);
  });

  it('a deadline still rejects with a DeadlineExceededError', async () => {
    const { fo } = make();
    const op = scripted({ aws: ['hang'] });
    const call = track(fo.run(op, { replayable: false, deadlineMs: 100 }));
    await vi.advanceTimersByTimeAsync(100);
    expect(call.error).toBeInstanceOf(DeadlineExceededError);
    expect(targetsOf(op.calls)).toEqual(['aws']);
  });

  it('is never hedged, even with a router-wide hedge and an idempotent call', async () => {
    const { fo, events } = make({ hedge: { afterMs: 10, maxHedges: 2 } });
    const op = scripted({ aws: [{ delay: 500, value: 'aws' }] });
    const call = track(fo.runDetailed(op, { idempotent: true, replayable: false }));
    await vi.advanceTimersByTimeAsync(499);
    expect(targetsOf(op.calls)).toEqual(['aws']);
    await vi.advanceTimersByTimeAsync(1);
    expect(call.value).toMatchObject({ value: 'aws', target: { name: 'aws' }, attempts: 1, failures: [] });
    expect(events).toEqual([]);
    expect(fo.status().targets.map((t) => t.hedges)).toEqual([0, 0, 0]);
  });

  it('succeeds like any call, on the first target', async () => {
    const { fo } = make();
    const op = scripted({});
    expect(await fo.run(op, { replayable: false })).toBe('ok:aws');
    expect(fo.status().targets[0]?.successes).toBe(1);
  });

  it('an answer (404) is rethrown unchanged too', async () => {
    const { fo } = make();
    const notFound = httpError(404);
    const op = scripted({ aws: [notFound] });
    await expect(fo.run(op, { replayable: false })).rejects.toBe(notFound);
    expect(fo.status().targets[0]?.failures.not_found).toBe(1);
  });

  it('its failures count against the breaker; an open target is skipped for the next one that admits calls', async () => {
    const { fo, events } = make({ breaker: { volumeThreshold: 2, errorThresholdPercentage: 50 } });
    const opened: string[] = [];
    fo.on('open', (e) => opened.push(e.target));
    const refused = () => scripted({ aws: [sysError('ECONNREFUSED')], gcp: ['gcp'] });
    for (let i = 0; i < 2; i++) {
      const op = refused();
      await expect(fo.run(op, { replayable: false })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(targetsOf(op.calls)).toEqual(['aws']);
    }
    expect(opened).toEqual(['aws']);
    expect(fo.status().targets[0]).toMatchObject({ state: 'open', successes: 0 });
    expect(fo.status().targets[0]?.failures).toMatchObject({ network: 2, unknown: 0 });

    // aws is open: the one attempt goes to gcp.
    events.length = 0;
    const op = refused();
    const result = await fo.runDetailed(op, { replayable: false });
    expect(targetsOf(op.calls)).toEqual(['gcp']);
    expect(result).toMatchObject({ value: 'gcp', target: { name: 'gcp' }, attempts: 1 });
    expect(result.failures).toMatchObject([{ target: 'aws', kind: 'unavailable', attempts: 0 }]);
    expect(events).toEqual(['rejected', 'failover']);
  });

  it('when no breaker admits it, rejects with an AllTargetsFailedError without calling anything', async () => {
    const { fo } = make({
      targets: [{ name: 'aws' }, { name: 'gcp' }],
      breaker: { volumeThreshold: 1, errorThresholdPercentage: 1 },
    });
    for (const name of ['aws', 'gcp']) {
      await fo
        .run(scripted({ [name]: [httpError(503)] }), { targets: [name], replayable: false })
        .catch(() => {});
    }
    expect(fo.status().targets.map((t) => t.state)).toEqual(['open', 'open']);
    const op = scripted({});
    const err = (await fo.run(op, { replayable: false }).catch((e: unknown) => e)) as AllTargetsFailedError;
    expect(err).toBeInstanceOf(AllTargetsFailedError);
    expect(err.failures.map((f) => [f.target, f.attempts])).toEqual([
      ['aws', 0],
      ['gcp', 0],
    ]);
    expect(err.failures[0]?.cause).toBeInstanceOf(BreakerOpenError);
    expect(op.calls).toEqual([]);
  });

  it("the caller's abort during the attempt rejects with an AbortedError", async () => {
    const { fo } = make();
    const controller = new AbortController();
    const op = scripted({ aws: ['hang'] });
    const call = track(fo.run(op, { idempotent: true, replayable: false, signal: controller.signal }));
    await flush();
    controller.abort(new Error('user left'));
    await flush();
    expect(call.error).toBeInstanceOf(AbortedError);
    expect((call.error as AbortedError).cause).toMatchObject({ message: 'user left' });
    expect(targetsOf(op.calls)).toEqual(['aws']);
    expect(fo.status().targets[0]?.failures.aborted).toBe(1);
  });

  it('replayable: true (the default) still retries and fails over', async () => {
    const { fo } = make();
    const op = scripted({ aws: [sysError('ECONNREFUSED')], gcp: ['gcp'] });
    expect(await fo.run(op, { replayable: true })).toBe('gcp');
    expect(targetsOf(op.calls)).toEqual(['aws', 'gcp']);
    const last = scripted({ gcp: [sysError('ECONNREFUSED'), 'gcp'] });
    expect(await fo.run(last, { replayable: true, targets: ['gcp'] })).toBe('gcp');
    expect(targetsOf(last.calls)).toEqual(['gcp', 'gcp']);
  });
});
