import { describe, expect, it, vi } from 'vitest';
import {
  type AttemptOutcome,
  type CallObserver,
  type CallOutcome,
  type FailoverEvents,
  InvalidOptionError,
} from '../src/index.js';
import { flush, httpError, scripted, sysError, targetsOf, track, useFakeTimerRouters } from './helpers.js';

type Log = Array<{ event: string; payload: unknown }>;

function listen(fo: { on: (e: keyof FailoverEvents, l: (p: unknown) => void) => unknown }): Log {
  const log: Log = [];
  for (const event of ['open', 'halfOpen', 'close'] as const) {
    fo.on(event, (payload) => log.push({ event, payload }));
  }
  return log;
}

describe('fleet hooks', () => {
  const { make } = useFakeTimerRouters(
    { breaker: { resetTimeoutMs: 1000 }, hedge: false },
    { checkTimers: true },
  );

  it('trip() opens a breaker now (remote: true), then the usual reset timeout and half-open probe', async () => {
    const fo = make();
    const log = listen(fo);
    fo.trip('aws', { reason: 'fleet: 3 instances saw ECONNREFUSED' });
    expect(fo.isAvailable('aws')).toBe(false);
    expect(log).toEqual([
      {
        event: 'open',
        payload: {
          target: 'aws',
          kind: undefined,
          resetTimeoutMs: 1000,
          remote: true,
          reason: 'fleet: 3 instances saw ECONNREFUSED',
        },
      },
    ]);
    const op = scripted({});
    expect(await fo.run(op)).toBe('ok:gcp');
    expect(targetsOf(op.calls)).toEqual(['gcp']);
    // Already open: a no-op (no event, no new period).
    await vi.advanceTimersByTimeAsync(500);
    fo.trip('aws');
    expect(log).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(fo.status().targets[0]?.state).toBe('halfOpen');
    expect(await fo.run(op)).toBe('ok:aws');
    expect(log.map((l) => l.event)).toEqual(['open', 'halfOpen', 'close']);
    expect(log[2]?.payload).toEqual({ target: 'aws', remote: false });
  });

  it('recover() closes an open or half-open breaker now (remote: true); a no-op when closed', async () => {
    const fo = make();
    const log = listen(fo);
    fo.recover('aws');
    expect(log).toEqual([]);
    fo.trip('aws');
    fo.recover('aws');
    expect(fo.status().targets[0]?.state).toBe('closed');
    expect(log.at(-1)).toEqual({ event: 'close', payload: { target: 'aws', remote: true } });
    expect(await fo.run(scripted({}))).toBe('ok:aws');
    fo.trip('gcp');
    await vi.advanceTimersByTimeAsync(1000);
    expect(fo.status().targets[1]?.state).toBe('halfOpen');
    fo.recover('gcp');
    expect(fo.status().targets[1]?.state).toBe('closed');
    // No timer of the old opening is left behind (checked after the test too).
    await vi.advanceTimersByTimeAsync(5000);
    expect(fo.status().targets[1]?.state).toBe('closed');
  });

  it('local trips say remote: false', async () => {
    const fo = make({
      breaker: { consecutiveFailures: 2, resetTimeoutMs: 1000 },
      retry: { baseDelayMs: 0, maxDelayMs: 0 },
    });
    const log = listen(fo);
    await fo.run(scripted({ aws: [httpError(503)] }), { idempotent: true, targets: ['aws'] }).catch(() => 0);
    expect(log[0]).toEqual({
      event: 'open',
      payload: { target: 'aws', kind: 'unavailable', resetTimeoutMs: 1000, remote: false },
    });
  });

  it("eject() opens a breaker now on the router's own evidence (remote: false, kind, reason)", async () => {
    const fo = make();
    const log = listen(fo);
    fo.eject('aws', { reason: 'unresponsive' });
    expect(fo.isAvailable('aws')).toBe(false);
    expect(log).toEqual([
      {
        event: 'open',
        payload: {
          target: 'aws',
          kind: 'timeout',
          resetTimeoutMs: 1000,
          remote: false,
          reason: 'unresponsive',
        },
      },
    ]);
    expect(fo.status().targets[0]?.lastFailure?.kind).toBe('timeout');
    // Already open: a no-op.
    fo.eject('aws');
    expect(log).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await fo.run(scripted({}))).toBe('ok:aws');
    expect(log.map((l) => l.event)).toEqual(['open', 'halfOpen', 'close']);
    // The next opening carries no stale reason: an ejection without one says 'ejected'.
    fo.eject('gcp', { kind: 'network' });
    expect(log.at(-1)?.payload).toEqual({
      target: 'gcp',
      kind: 'network',
      resetTimeoutMs: 1000,
      remote: false,
      reason: 'ejected',
    });
    expect(() => fo.eject('nope')).toThrow('Invalid option "name": unknown target "nope"');
    expect(() => fo.eject('aws', { kind: 'nope' as never })).toThrow(InvalidOptionError);
  });

  it('trip() and eject() spare the last closed target of several under keepLastTarget (the default)', () => {
    const fo = make();
    fo.trip('aws');
    fo.eject('gcp', { reason: 'unresponsive' });
    // Azure is the last closed target: another instance's word, or a judgement of silence, may be
    // this machine's own trouble; the router's own failures still eject it.
    fo.trip('azure', { reason: 'fleet' });
    fo.eject('azure', { reason: 'unresponsive' });
    fo.eject('azure', { kind: 'network' });
    expect(fo.isAvailable('azure')).toBe(true);
    // An ejection for an answer (a 5xx) is no local doubt: it ejects.
    fo.eject('azure', { kind: 'unavailable' });
    expect(fo.isAvailable('azure')).toBe(false);
    const all = make({ breaker: { keepLastTarget: false } });
    for (const t of ['aws', 'gcp', 'azure']) all.trip(t);
    expect(['aws', 'gcp', 'azure'].map((t) => all.isAvailable(t))).toEqual([false, false, false]);
  });

  it('unknown target names are a typed error naming the option', () => {
    const fo = make();
    for (const call of [() => fo.trip('nope'), () => fo.recover('nope'), () => fo.isAvailable('nope')]) {
      expect(call).toThrow(InvalidOptionError);
      expect(call).toThrow('Invalid option "name": unknown target "nope"');
    }
    expect(() => fo.trip('aws', { reason: 42 as unknown as string })).toThrow(InvalidOptionError);
  });

  it('probeGate: false keeps the target skipped for one more (not doubled) period; true lets the probe through', async () => {
    let allow = false;
    const asked: string[] = [];
    const fo = make({
      breaker: {
        resetTimeoutMs: 1000,
        probeGate: (t) => {
          asked.push(t);
          return allow;
        },
      },
    });
    const log = listen(fo);
    fo.trip('aws');
    await vi.advanceTimersByTimeAsync(1000);
    expect(fo.status().targets[0]?.state).toBe('halfOpen');
    const op = scripted({});
    expect(await fo.run(op)).toBe('ok:gcp');
    expect(asked).toEqual(['aws']);
    const s = fo.status().targets[0]!;
    expect(s.state).toBe('open');
    expect(s.halfOpenAt).toBe(Date.now() + 1000);
    // The refusal is not an opening: no event.
    expect(log.map((l) => l.event)).toEqual(['open', 'halfOpen']);
    allow = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(await fo.run(op)).toBe('ok:aws');
    expect(fo.status().targets[0]?.state).toBe('closed');
    expect(targetsOf(op.calls)).toEqual(['gcp', 'aws']);
  });

  it('probeGate: false on a long period asks again a second later (GATE_RETRY_MS); the period keeps its length', async () => {
    let allow = false;
    const fo = make({ breaker: { resetTimeoutMs: 10_000, probeGate: () => allow } });
    fo.trip('aws');
    await vi.advanceTimersByTimeAsync(10_000);
    const op = scripted({ aws: [sysError('ECONNREFUSED'), 'ok:aws'] });
    expect(await fo.run(op)).toBe('ok:gcp'); // refused by the gate: aws skipped
    let s = fo.status().targets[0]!;
    expect(s.state).toBe('open');
    expect(s.halfOpenAt).toBe(Date.now() + 1000);
    expect(s.resetTimeoutMs).toBe(10_000);
    // The other instance never probed: this router's turn, a second later. Its probe fails: the
    // next period doubles the kept one (20 s), as after any failed probe.
    allow = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(await fo.run(op)).toBe('ok:gcp');
    s = fo.status().targets[0]!;
    expect(s.state).toBe('open');
    expect(s.resetTimeoutMs).toBe(20_000);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(await fo.run(op)).toBe('ok:aws');
    expect(targetsOf(op.calls)).toEqual(['gcp', 'aws', 'gcp', 'aws']);
  });

  it('a throwing probeGate allows the probe', async () => {
    const fo = make({
      breaker: {
        resetTimeoutMs: 1000,
        probeGate: () => {
          throw new Error('gate bug');
        },
      },
    });
    fo.trip('aws');
    await vi.advanceTimersByTimeAsync(1000);
    expect(await fo.run(scripted({}))).toBe('ok:aws');
  });

  it('rejects a probeGate that is not a function', () => {
    expect(() => make({ breaker: { probeGate: 1 as unknown as () => boolean } })).toThrow(
      'Invalid option "breaker.probeGate": must be a function, got 1',
    );
  });
});

interface Seen {
  starts: Array<{ idempotent: boolean; targets: readonly string[] }>;
  attempts: Array<{ target: string; attemptNo: number; hedge: boolean; outcome?: AttemptOutcome }>;
  ends: CallOutcome[];
  order: string[];
}

function recorder(seen: Seen, withRun = false): CallObserver {
  return {
    onCallStart(info) {
      seen.starts.push(info);
      seen.order.push('call:start');
      return {
        onAttemptStart(target, attemptNo, hedge) {
          const entry: Seen['attempts'][number] = { target, attemptNo, hedge };
          seen.attempts.push(entry);
          seen.order.push(`attempt:${target}`);
          return {
            ...(withRun
              ? {
                  run: <R>(fn: () => R): R => {
                    seen.order.push(`run:${target}`);
                    return fn();
                  },
                }
              : {}),
            end(outcome) {
              entry.outcome = outcome;
              seen.order.push(`end:${target}`);
            },
          };
        },
        end(outcome) {
          seen.ends.push(outcome);
          seen.order.push('call:end');
        },
      };
    },
  };
}

const fresh = (): Seen => ({ starts: [], attempts: [], ends: [], order: [] });

describe('observer', () => {
  const { make } = useFakeTimerRouters({ hedge: false }, { checkTimers: true });

  it('an attempt whose connection was reset before any answer ends unanswered (not never sent)', async () => {
    const seen = fresh();
    const fo = make({ observer: recorder(seen, true) });
    const op = scripted({ aws: [sysError('ECONNRESET')], gcp: ['from-gcp'] });
    expect(await fo.run(op, { idempotent: true })).toBe('from-gcp');
    expect(seen.attempts[0]).toEqual({
      target: 'aws',
      attemptNo: 1,
      hedge: false,
      outcome: { ok: false, kind: 'network', unanswered: true },
    });
  });

  it('sees one call, each attempt (with its number and outcome), and how the call ended', async () => {
    const seen = fresh();
    const fo = make({ observer: recorder(seen, true) });
    const op = scripted({ aws: [sysError('ECONNREFUSED')], gcp: ['from-gcp'] });
    expect(await fo.run(op, { idempotent: true })).toBe('from-gcp');
    expect(seen.starts).toEqual([{ idempotent: true, targets: ['aws', 'gcp', 'azure'] }]);
    expect(seen.attempts).toEqual([
      { target: 'aws', attemptNo: 1, hedge: false, outcome: { ok: false, kind: 'network', neverSent: true } },
      { target: 'gcp', attemptNo: 1, hedge: false, outcome: { ok: true } },
    ]);
    expect(seen.ends).toEqual([{ ok: true, target: 'gcp', attempts: 2, failoverCount: 1 }]);
    // The operation runs inside the attempt's run(); every attempt ends before the call.
    expect(seen.order).toEqual([
      'call:start',
      'attempt:aws',
      'run:aws',
      'end:aws',
      'attempt:gcp',
      'run:gcp',
      'end:gcp',
      'call:end',
    ]);
  });

  it('a call without options is observed too, and a failed call reports its kind', async () => {
    const seen = fresh();
    const fo = make({ observer: recorder(seen) });
    const notFound = httpError(404);
    await expect(fo.run(scripted({ aws: [notFound] }))).rejects.toBe(notFound);
    expect(seen.starts).toEqual([{ idempotent: false, targets: ['aws', 'gcp', 'azure'] }]);
    expect(seen.ends).toEqual([
      { ok: false, kind: 'not_found', target: 'aws', attempts: 1, failoverCount: 0 },
    ]);
  });

  it('marks hedged attempts, and ends the losing one as aborted before the call ends', async () => {
    const seen = fresh();
    const fo = make({ observer: recorder(seen), hedge: { afterMs: 100 } });
    const op = scripted({ aws: ['hang'], gcp: [{ delay: 10, value: 'g' }] });
    const call = track(fo.run(op, { idempotent: true, targets: ['aws', 'gcp'] }));
    await vi.advanceTimersByTimeAsync(110);
    expect(call.value).toBe('g');
    expect(seen.attempts).toEqual([
      { target: 'aws', attemptNo: 1, hedge: false, outcome: { ok: false, kind: 'aborted' } },
      { target: 'gcp', attemptNo: 1, hedge: true, outcome: { ok: true } },
    ]);
    expect(seen.order.at(-1)).toBe('call:end');
    expect(seen.ends).toEqual([{ ok: true, target: 'gcp', attempts: 2, failoverCount: 0 }]);
  });

  it('a deadline ends the call as a timeout, its attempt too', async () => {
    const seen = fresh();
    const fo = make({ observer: recorder(seen) });
    const call = track(fo.run(scripted({ aws: ['hang'] }), { deadlineMs: 50 }));
    await vi.advanceTimersByTimeAsync(50);
    expect(call.error).toMatchObject({ name: 'DeadlineExceededError' });
    expect(seen.attempts[0]?.outcome).toEqual({ ok: false, kind: 'timeout' });
    expect(seen.ends).toEqual([{ ok: false, kind: 'timeout', target: 'aws', attempts: 1, failoverCount: 0 }]);
  });

  it('an observer may skip calls (undefined) and a throwing hook never breaks a call', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const skip = make({ observer: { onCallStart: () => undefined } });
      expect(await skip.run(scripted({}))).toBe('ok:aws');
      const broken = make({
        observer: {
          onCallStart: () => ({
            onAttemptStart: () => {
              throw new Error('observer bug');
            },
            end: () => {
              throw new Error('observer bug');
            },
          }),
        },
      });
      expect(await broken.run(scripted({}))).toBe('ok:aws');
      expect(await broken.run(scripted({}))).toBe('ok:aws');
      await flush();
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });

  it('a call without options an observer skips takes the fast path and still fails over, retries and opens breakers', async () => {
    const asked: Array<{ idempotent: boolean; targets: readonly string[] }> = [];
    const failovers: string[] = [];
    const fo = make({
      observer: { onCallStart: (info) => void asked.push(info) },
      breaker: { volumeThreshold: 2, errorThresholdPercentage: 50 },
    });
    fo.on('failover', ({ from, to }) => void failovers.push(`${from}->${to}`));
    expect(await fo.run(scripted({}))).toBe('ok:aws');
    const refused = sysError('ECONNREFUSED');
    expect(await fo.run(scripted({ aws: [refused] }))).toBe('ok:gcp');
    expect(await fo.run(scripted({ aws: [refused] }))).toBe('ok:gcp');
    expect(fo.status().targets[0]?.state).toBe('open');
    expect(await fo.run(scripted({}))).toBe('ok:gcp'); // aws skipped: its breaker is open
    const notFound = httpError(404);
    await expect(fo.run(scripted({ gcp: [notFound] }))).rejects.toBe(notFound);
    expect(asked).toHaveLength(5);
    expect(asked[0]).toEqual({ idempotent: false, targets: ['aws', 'gcp', 'azure'] });
    expect(failovers.slice(0, 2)).toEqual(['aws->gcp', 'aws->gcp']);
  });

  it('rejects an observer without onCallStart', () => {
    expect(() => make({ observer: {} as CallObserver })).toThrow(
      'Invalid option "observer": must be an object with an onCallStart function, got an object',
    );
  });
});
