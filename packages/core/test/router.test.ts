import { describe, expect, it, vi } from 'vitest';
import {
  AllTargetsFailedError,
  BreakerOpenError,
  createFailover,
  DeadlineExceededError,
  type Failover,
  type FailoverEvents,
  type FailoverTarget,
  registerClassifier,
} from '../src/index.js';
import {
  flush,
  httpError,
  scripted,
  sysError,
  THREE,
  targetsOf,
  track,
  useFakeTimerRouters,
} from './helpers.js';

type Log = Array<{ event: keyof FailoverEvents; payload: unknown }>;

function listen(fo: Failover, log: Log = []): Log {
  const names: (keyof FailoverEvents)[] = [
    'failover',
    'open',
    'halfOpen',
    'close',
    'retry',
    'hedge',
    'rejected',
    'budgetExhausted',
  ];
  for (const event of names) fo.on(event, (payload: unknown) => log.push({ event, payload }));
  return log;
}

describe('failover router', () => {
  const { make, routers } = useFakeTimerRouters({ retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 } });

  it('serves from the first target when it is healthy, passing the target object through', async () => {
    const targets = [
      { name: 'aws', url: 'http://a' },
      { name: 'gcp', url: 'http://g' },
    ];
    const fo = createFailover({ targets, attemptTimeoutMs: false });
    routers.push(fo);
    const seen: string[] = [];
    const value = await fo.run(async (t, ctx) => {
      seen.push(`${t.url}#${ctx.attempt}`);
      // No time limit, deadline, hedge or caller signal: nothing could cancel it.
      expect(ctx.signal).toBeUndefined();
      return t.url.length;
    });
    expect(value).toBe(8);
    expect(seen).toEqual(['http://a#1']);
    expect(fo.targets).toEqual(targets);
  });

  it.each([
    ['503', httpError(503), 'unavailable'],
    ['429', httpError(429), 'throttled'],
    ['504', httpError(504), 'timeout'],
    ['ECONNRESET', sysError('ECONNRESET'), 'network'],
    ['ETIMEDOUT', sysError('ETIMEDOUT'), 'timeout'],
  ])(
    'an availability failure (%s) fails over at once, without a second attempt on the sick target',
    async (_n, err, kind) => {
      const fo = make();
      const log = listen(fo);
      const op = scripted({ aws: [err], gcp: ['from-gcp'] });
      expect(await fo.run(op, { idempotent: true })).toBe('from-gcp');
      expect(targetsOf(op.calls)).toEqual(['aws', 'gcp']);
      expect(log).toEqual([{ event: 'failover', payload: { from: 'aws', to: 'gcp', kind, error: err } }]);
    },
  );

  it.each([
    ['503', httpError(503), 'unavailable'],
    ['ECONNRESET', sysError('ECONNRESET'), 'network'],
  ])('the last target that can take the call is retried (%s)', async (_n, err, kind) => {
    const fo = make();
    const log = listen(fo);
    const op = scripted({ aws: [err, 'from-aws'] });
    expect(await fo.run(op, { idempotent: true, targets: ['aws'] })).toBe('from-aws');
    expect(op.calls.map((c) => c.attempt)).toEqual([1, 2]);
    expect(log).toEqual([
      { event: 'retry', payload: { target: 'aws', attempt: 2, delayMs: 0, kind, error: err } },
    ]);
  });

  it('moving to the next target needs no backoff (no time passes)', async () => {
    const fo = make({ retry: { maxAttempts: 1, baseDelayMs: 1000, maxDelayMs: 1000 } });
    const op = scripted({ aws: [httpError(503)], gcp: [httpError(503)], azure: ['ok'] });
    const call = track(fo.run(op, { idempotent: true }));
    await flush(50);
    expect(call.value).toBe('ok');
  });

  it.each([
    ['404', httpError(404)],
    ['403', httpError(403)],
    ['400', httpError(400)],
    ['412', httpError(412)],
    ['an unknown error', new Error('bug in the callback')],
  ])('an answer (%s) is thrown unchanged at once and never fails over', async (_n, err) => {
    const fo = make();
    const log = listen(fo);
    const op = scripted({ aws: [err] });
    const thrown = await fo.run(op, { idempotent: true }).catch((e: unknown) => e);
    expect(thrown).toBe(err);
    expect(targetsOf(op.calls)).toEqual(['aws']);
    expect(log).toEqual([]);
  });

  it('the same answer from a later target is thrown unchanged too', async () => {
    const fo = make();
    const notFound = httpError(404);
    const op = scripted({ aws: [sysError('ECONNREFUSED')], gcp: [notFound] });
    await expect(fo.run(op, { idempotent: true })).rejects.toBe(notFound);
    expect(targetsOf(op.calls)).toEqual(['aws', 'gcp']);
  });

  it('the classify option is consulted before registered classifiers and the built-in rules', async () => {
    class QuotaError extends Error {}
    const off = registerClassifier((e) => (e instanceof QuotaError ? 'auth' : undefined));
    try {
      const quota = new QuotaError('quota');
      const plain = make();
      await expect(plain.run(scripted({ aws: [quota] }), { idempotent: true })).rejects.toBe(quota);
      const custom = make({ classify: (e) => (e instanceof QuotaError ? 'throttled' : undefined) });
      const op = scripted({ aws: [quota], gcp: ['ok'] });
      expect(await custom.run(op, { idempotent: true })).toBe('ok');
      // A 404 still classifies through the built-in rules.
      const nf = httpError(404);
      await expect(custom.run(scripted({ aws: [nf] }))).rejects.toBe(nf);
    } finally {
      off();
    }
  });

  it('AllTargetsFailedError lists every target in order with kind, cause, attempts and earlier attempts', async () => {
    const fo = make();
    const e1 = sysError('ENOTFOUND');
    const e2 = httpError(503);
    const e3 = sysError('ETIMEDOUT');
    const op = scripted({ aws: [e1], gcp: [e2], azure: [e3] });
    const err = (await fo.run(op, { idempotent: true }).catch((e: unknown) => e)) as AllTargetsFailedError;
    expect(err).toBeInstanceOf(AllTargetsFailedError);
    expect(err.kind).toBe('timeout');
    expect(err.cause).toBe(e3);
    expect(err.failures).toEqual([
      { target: 'aws', kind: 'network', cause: e1, attempts: 1 },
      { target: 'gcp', kind: 'unavailable', cause: e2, attempts: 1 },
      // Its first attempt is listed too: only the last one was answered this way.
      { target: 'azure', kind: 'timeout', cause: e3, attempts: 2, earlier: [{ kind: 'timeout', cause: e3 }] },
    ]);
    expect(err.message).toContain('aws: network');
  });

  it('open targets appear in AllTargetsFailedError as unavailable with a BreakerOpenError cause', async () => {
    const fo = make({ breaker: { volumeThreshold: 1 }, retry: { maxAttempts: 1 } });
    await fo
      .run(scripted({ aws: [httpError(503)] }), { targets: ['aws'], idempotent: true })
      .catch(() => undefined);
    expect(fo.isAvailable('aws')).toBe(false);
    const e2 = httpError(502);
    const op = scripted({ gcp: [e2], azure: [e2] });
    const err = (await fo.run(op, { idempotent: true }).catch((e: unknown) => e)) as AllTargetsFailedError;
    expect(err.failures.map((f) => [f.target, f.kind, f.attempts])).toEqual([
      ['aws', 'unavailable', 0],
      ['gcp', 'unavailable', 1],
      ['azure', 'unavailable', 1],
    ]);
    expect(err.failures[0]?.cause).toBeInstanceOf(BreakerOpenError);
    expect(targetsOf(op.calls)).toEqual(['gcp', 'azure']);
  });

  it('skipping an open first target emits rejected then failover', async () => {
    const fo = make({ breaker: { volumeThreshold: 1 } });
    await fo
      .run(scripted({ aws: [httpError(503)] }), { targets: ['aws'], idempotent: true })
      .catch(() => undefined);
    const log = listen(fo);
    expect(await fo.run(scripted({}))).toBe('ok:gcp');
    expect(log.map((l) => l.event)).toEqual(['rejected', 'failover']);
    expect(log[1]?.payload).toMatchObject({ from: 'aws', to: 'gcp', kind: 'unavailable' });
  });

  describe('non-idempotent calls (the default)', () => {
    it('are never replayed after a failure that may have reached the server', async () => {
      const fo = make();
      const log = listen(fo);
      for (const err of [httpError(503), sysError('ECONNRESET'), httpError(429)]) {
        const op = scripted({ aws: [err] });
        await expect(fo.run(op)).rejects.toBe(err);
        expect(targetsOf(op.calls)).toEqual(['aws']);
      }
      expect(log).toEqual([]);
    });

    it('fail over when the request provably never left (refused, DNS, connect timeout)', async () => {
      const fo = make({ breaker: { volumeThreshold: 100, consecutiveFailures: 0 } });
      for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']) {
        const op = scripted({ aws: [sysError(code)], gcp: ['ok'] });
        expect(await fo.run(op)).toBe('ok');
        expect(targetsOf(op.calls)).toEqual(['aws', 'gcp']);
      }
      // ... and retry the last target that can take the call.
      const op = scripted({ azure: [sysError('ECONNREFUSED'), 'ok'] });
      expect(await fo.run(op, { targets: ['azure'] })).toBe('ok');
      expect(targetsOf(op.calls)).toEqual(['azure', 'azure']);
    });

    it('an attempt timeout is not replayed either', async () => {
      const fo = make({ attemptTimeoutMs: 100 });
      const op = scripted({ aws: ['hang'] });
      const call = track(fo.run(op));
      await vi.advanceTimersByTimeAsync(100);
      expect(call.error).toBeInstanceOf(DeadlineExceededError);
      expect(targetsOf(op.calls)).toEqual(['aws']);
    });

    it('once a non-idempotent call failed over after a refusal, a 503 elsewhere stops it', async () => {
      const fo = make({ retry: { maxAttempts: 1 } });
      const unavailable = httpError(503);
      const op = scripted({ aws: [sysError('ECONNREFUSED')], gcp: [unavailable] });
      await expect(fo.run(op)).rejects.toBe(unavailable);
      expect(targetsOf(op.calls)).toEqual(['aws', 'gcp']);
    });
  });

  describe('retries', () => {
    it('maxAttempts bounds the attempts on the last target; the others get one each while another can take the call', async () => {
      const fo = make({ retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 } });
      const op = scripted({ aws: [httpError(503)], gcp: [httpError(503)], azure: [httpError(503)] });
      await expect(fo.run(op, { idempotent: true })).rejects.toBeInstanceOf(AllTargetsFailedError);
      expect(targetsOf(op.calls)).toEqual(['aws', 'gcp', 'azure', 'azure', 'azure']);
      expect(fo.status().targets.map((t) => t.retries)).toEqual([0, 0, 2]);
    });

    it('waits the jittered backoff between attempts on the same target', async () => {
      const fo = make({ retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, jitter: 'none' } });
      const op = scripted({ aws: [httpError(503), httpError(503), 'third time'] });
      const call = track(fo.run(op, { idempotent: true, targets: ['aws'] }));
      await flush();
      expect(op.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(99);
      expect(op.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(op.calls).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(199);
      expect(op.calls).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(call.value).toBe('third time');
    });

    it('honours a Retry-After hint longer than the backoff', async () => {
      const fo = make({ retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 5000, jitter: 'none' } });
      const log = listen(fo);
      const op = scripted({ aws: [httpError(429, { 'retry-after': '2' }), 'ok'] });
      const call = track(fo.run(op, { idempotent: true, targets: ['aws'] }));
      await vi.advanceTimersByTimeAsync(1999);
      expect(op.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(call.value).toBe('ok');
      expect(log[0]).toMatchObject({ event: 'retry', payload: { delayMs: 2000, kind: 'throttled' } });
    });

    it('a Retry-After hint moves the call to another healthy target at once instead of sleeping', async () => {
      const fo = make({ retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 5000 } });
      for (const status of [429, 503]) {
        const op = scripted({ aws: [httpError(status, { 'retry-after': '1' })], gcp: ['ok'] });
        const call = track(fo.run(op, { idempotent: true }));
        await flush(50);
        expect(call.value).toBe('ok');
        expect(targetsOf(op.calls)).toEqual(['aws', 'gcp']);
      }
    });

    it('moves on at once when the hint is longer than maxDelayMs', async () => {
      const fo = make({ retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 1000 } });
      const op = scripted({ aws: [httpError(503, { 'retry-after': '30' })], gcp: ['ok'] });
      const call = track(fo.run(op, { idempotent: true }));
      await flush(50);
      expect(call.value).toBe('ok');
      expect(targetsOf(op.calls)).toEqual(['aws', 'gcp']);
    });

    it('never waits past the deadline: a retry that would end after it moves on instead', async () => {
      const fo = make({ retry: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 500, jitter: 'none' } });
      const op = scripted({ aws: [httpError(503)], gcp: ['ok'] });
      const call = track(fo.run(op, { idempotent: true, deadlineMs: 300 }));
      await flush(50);
      expect(call.value).toBe('ok');
      expect(targetsOf(op.calls)).toEqual(['aws', 'gcp']);
    });

    it('does not retry a target whose breaker opened meanwhile', async () => {
      const fo = make({
        breaker: { volumeThreshold: 1 },
        retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
      });
      const op = scripted({ aws: [httpError(503)], gcp: ['ok'] });
      expect(await fo.run(op, { idempotent: true })).toBe('ok');
      expect(targetsOf(op.calls)).toEqual(['aws', 'gcp']);
    });
  });

  describe('per-call target lists and detailed results', () => {
    it('runs on a subset, in the given order', async () => {
      const fo = make();
      const op = scripted({ azure: [httpError(503)] });
      expect(await fo.run(op, { targets: ['azure', 'aws'], idempotent: true })).toBe('ok:aws');
      expect(targetsOf(op.calls)).toEqual(['azure', 'aws']);
    });

    it('runDetailed says which target served the call, after how many attempts and failures', async () => {
      const fo = make();
      const e = httpError(503);
      const op = scripted({ aws: [e] });
      const r = await fo.runDetailed(op, { idempotent: true });
      expect(r).toEqual({
        value: 'ok:gcp',
        target: THREE[1],
        attempts: 2,
        failures: [{ target: 'aws', kind: 'unavailable', cause: e, attempts: 1 }],
      });
      const first = await fo.runDetailed(scripted({}));
      expect(first).toEqual({ value: 'ok:aws', target: THREE[0], attempts: 1, failures: [] });
    });
  });

  describe('events', () => {
    it('on() returns an unsubscribe function; off() removes a listener', async () => {
      const fo = make();
      const a = vi.fn();
      const b = vi.fn();
      const unsubscribe = fo.on('failover', a);
      fo.on('failover', b);
      const op = () => scripted({ aws: [sysError('ECONNREFUSED')] });
      await fo.run(op());
      unsubscribe();
      fo.off('failover', b);
      await fo.run(op());
      expect(a).toHaveBeenCalledTimes(1);
      expect(b).toHaveBeenCalledTimes(1);
    });

    it('once() listens to one event only', async () => {
      const fo = make();
      const a = vi.fn();
      fo.once('failover', a);
      await fo.run(scripted({ aws: [sysError('ECONNREFUSED')] }));
      await fo.run(scripted({ aws: [sysError('ECONNREFUSED')] }));
      expect(a).toHaveBeenCalledTimes(1);
    });

    it('a throwing listener does not break the call and is reported once as a warning', async () => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        const fo = make();
        const after = vi.fn();
        fo.on('failover', () => {
          throw new Error('listener bug');
        });
        fo.on('failover', after);
        const op = () => scripted({ aws: [sysError('ECONNREFUSED')] });
        expect(await fo.run(op())).toBe('ok:gcp');
        expect(await fo.run(op())).toBe('ok:gcp');
        expect(after).toHaveBeenCalledTimes(2);
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0]?.[0])).toContain("'failover' listener threw");
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('status()', () => {
    it('reports state, counts by kind, latency percentiles, last failure and budget', async () => {
      const fo = make({ retry: { maxAttempts: 1 }, breaker: { volumeThreshold: 100 } });
      const t0 = Date.now();
      for (let i = 0; i < 99; i++) {
        const call = track(fo.run(scripted({ aws: [{ delay: 10, value: i }] })));
        await vi.advanceTimersByTimeAsync(10);
        expect(call.value).toBe(i);
      }
      const slow = track(fo.run(scripted({ aws: [{ delay: 500, value: 'slow' }] })));
      await vi.advanceTimersByTimeAsync(500);
      expect(slow.value).toBe('slow');
      await fo.run(scripted({ aws: [httpError(404)] })).catch(() => undefined);
      await fo.run(scripted({ aws: [httpError(503)] }), { idempotent: true });
      const failedAt = Date.now();
      const s = fo.status();
      const aws = s.targets[0]!;
      expect(aws).toMatchObject({
        name: 'aws',
        state: 'closed',
        successes: 100,
        timeouts: 0,
        rejections: 0,
        retries: 0,
        hedges: 0,
        lastFailure: { kind: 'unavailable', at: failedAt },
        resetTimeoutMs: 10_000,
        halfOpenAt: undefined,
      });
      expect(aws.failures).toMatchObject({ unavailable: 1, not_found: 1, network: 0 });
      expect(aws.latencyMs).toEqual({ p50: 10, p99: 10, samples: 102 });
      expect(s.targets[1]).toMatchObject({ name: 'gcp', successes: 1, lastFailure: undefined });
      expect(s.budget).toEqual({ tokens: 500, capacity: 500 });
      expect(failedAt - t0).toBeGreaterThanOrEqual(1490);
      expect(createFailover({ targets: THREE, budget: false }).status().budget).toBeUndefined();
    });
  });

  it('typed generic targets: the operation receives the caller’s own target type', async () => {
    interface Region extends FailoverTarget {
      readonly endpoint: string;
    }
    const fo = createFailover<Region>({ targets: [{ name: 'eu', endpoint: 'https://eu.example' }] });
    routers.push(fo);
    const r = await fo.runDetailed(async (t) => t.endpoint.toUpperCase());
    expect(r.target.endpoint).toBe('https://eu.example');
    expect(r.value).toBe('HTTPS://EU.EXAMPLE');
  });
});
