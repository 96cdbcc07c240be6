import { describe, expect, it, vi } from 'vitest';
import { flush, httpError, scripted, sysError, useFakeTimerRouters } from './helpers.js';

/**
 * Selective failures (issue 10, "cut mid-body"): a target that fails every call of one operation
 * while it serves the others is left by the per-operation streak, and failures that come after
 * the attempt returned (a download body cut mid-stream) reach it through `report`.
 */
describe('per-operation ejection', () => {
  const { make } = useFakeTimerRouters(
    { breaker: { volumeThreshold: 1000, consecutiveFailures: 3 }, retry: { maxAttempts: 1 } },
    { checkTimers: true },
  );
  const cut = () => Object.assign(new Error('body cut'), { code: 'ECONNRESET' });

  it('gets that fail while puts pass: left at the 2nd failed get', async () => {
    const fo = make();
    const opened: (string | undefined)[] = [];
    fo.on('open', (e) => opened.push(e.kind));
    const put = scripted({});
    const get = scripted({ aws: [cut()] });
    const onAws: string[] = [];
    for (let i = 0; i < 5; i++) {
      expect(await fo.run(put, { idempotent: true, operation: 'put' })).toBe(i < 2 ? 'ok:aws' : 'ok:gcp');
      expect(await fo.run(get, { idempotent: true, operation: 'get' })).toBe('ok:gcp');
      if (fo.status().targets[0]?.state === 'open' && onAws.length === 0) onAws.push(`after pair ${i + 1}`);
    }
    expect(onAws).toEqual(['after pair 2']);
    expect(opened).toEqual(['network']);
    expect(get.calls.filter((c) => c.target === 'aws')).toHaveLength(2);
  });

  it('the same calls with no operation named: never left (the failures are never 3 in a row)', async () => {
    const fo = make();
    const put = scripted({});
    const get = scripted({ aws: [cut()] });
    for (let i = 0; i < 10; i++) {
      await fo.run(put, { idempotent: true });
      await fo.run(get, { idempotent: true });
    }
    expect(fo.status().targets[0]?.state).toBe('closed');
    expect(get.calls.filter((c) => c.target === 'aws')).toHaveLength(10);
  });

  it('one operation failing alone, with nothing between, waits for consecutiveFailures', async () => {
    const fo = make();
    const get = scripted({ aws: [httpError(503)] });
    await fo.run(get, { idempotent: true, operation: 'get' });
    await fo.run(get, { idempotent: true, operation: 'get' });
    expect(fo.status().targets[0]?.state).toBe('closed');
    await fo.run(get, { idempotent: true, operation: 'get' });
    expect(fo.status().targets[0]?.state).toBe('open');
  });

  it("a success or an answer of the operation ends its streak; another operation's does not", async () => {
    const fo = make();
    const put = scripted({});
    const get = scripted({ aws: [cut(), 'ok:aws', cut(), httpError(404), cut()] });
    for (let i = 0; i < 5; i++) {
      await fo.run(put, { idempotent: true, operation: 'put' });
      await fo.run(get, { idempotent: true, operation: 'get' }).catch(() => undefined);
    }
    expect(fo.status().targets[0]?.state).toBe('closed');
  });

  it('a cancelled get neither extends nor ends the streak', async () => {
    const fo = make();
    const put = scripted({});
    const get = scripted({ aws: [cut(), 'hang', cut()] });
    await fo.run(put, { idempotent: true, operation: 'put' });
    await fo.run(get, { idempotent: true, operation: 'get' });
    const controller = new AbortController();
    const hanging = fo.run(get, {
      idempotent: true,
      operation: 'get',
      signal: controller.signal,
      targets: ['aws'],
    });
    await flush();
    controller.abort(new Error('user cancelled'));
    await expect(hanging).rejects.toMatchObject({ name: 'AbortedError' });
    await fo.run(put, { idempotent: true, operation: 'put' });
    expect(fo.status().targets[0]?.state).toBe('closed');
    await fo.run(get, { idempotent: true, operation: 'get' });
    expect(fo.status().targets[0]?.state).toBe('open');
  });

  it('after a probe of another operation closed it, the next failed get opens it again', async () => {
    const fo = make();
    const put = scripted({});
    const get = scripted({ aws: [cut()] });
    for (let i = 0; i < 2; i++) {
      await fo.run(put, { idempotent: true, operation: 'put' });
      await fo.run(get, { idempotent: true, operation: 'get' });
    }
    expect(fo.status().targets[0]?.state).toBe('open');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fo.status().targets[0]?.state).toBe('halfOpen');
    expect(await fo.run(put, { idempotent: true, operation: 'put' })).toBe('ok:aws'); // the probe
    expect(fo.status().targets[0]?.state).toBe('closed');
    await fo.run(get, { idempotent: true, operation: 'get' });
    expect(fo.status().targets[0]?.state).toBe('open');
    expect(get.calls.filter((c) => c.target === 'aws')).toHaveLength(3);
  });

  it('a failed attempt of a named operation keeps its own error (the caller, the failures, events)', async () => {
    const fo = make();
    const boom = cut();
    const failovers: unknown[] = [];
    fo.on('failover', (e) => failovers.push(e.error));
    const get = scripted({ aws: [boom], gcp: [boom], azure: [boom] });
    // Not idempotent (the fast path), then through a Call (a signal), then failed over everywhere.
    await expect(fo.run(get, { operation: 'get' })).rejects.toBe(boom);
    const signal = new AbortController().signal;
    await expect(fo.run(get, { operation: 'get', signal })).rejects.toBe(boom);
    const all = await fo.run(get, { operation: 'get', idempotent: true }).catch((e: unknown) => e);
    expect((all as { failures: { cause: unknown }[] }).failures.map((f) => f.cause)).toEqual([
      boom,
      boom,
      boom,
    ]);
    expect(failovers.length).toBeGreaterThan(0);
    for (const e of failovers) expect(e).toBe(boom);
  });

  it('report: failures after the attempt returned count, and open it in the same way', async () => {
    const fo = make();
    const opened: (string | undefined)[] = [];
    fo.on('open', (e) => opened.push(e.kind));
    const put = scripted({});
    // The get's attempt returns (its headers); its body fails later and is reported.
    const open = scripted({});
    for (let i = 0; i < 2; i++) {
      await fo.run(put, { idempotent: true, operation: 'put' });
      expect(await fo.run(open, { idempotent: true, operation: 'get' })).toBe('ok:aws');
      fo.report('aws', { operation: 'download', error: cut() });
    }
    expect(opened).toEqual(['network']);
    const aws = fo.status().targets[0]!;
    expect(aws.failures.network).toBe(2);
    expect(aws.lastFailure?.kind).toBe('network');
  });

  it('report: a completed download ends the streak; cancelled or answered bodies change nothing', async () => {
    const fo = make();
    const put = scripted({});
    const steps: unknown[] = [
      cut(),
      undefined,
      cut(),
      Object.assign(new Error('reader stopped'), { name: 'AbortError' }),
      Object.assign(new Error('bad bytes'), { kind: 'invalid' }),
      cut(),
    ];
    const states: string[] = [];
    for (const error of steps) {
      await fo.run(put, { idempotent: true, operation: 'put' });
      fo.report('aws', { operation: 'download', error });
      states.push(fo.status().targets[0]!.state);
    }
    // The 2nd cut after the completed download, the 3rd cut ignoring the cancel and the answer.
    expect(states).toEqual(['closed', 'closed', 'closed', 'closed', 'closed', 'open']);
    expect(fo.status().targets[0]!.failures.aborted).toBe(1);
  });

  it('report: no operation counts in the plain streaks; refused connections in the unreachable one', async () => {
    const fo = make();
    fo.report('aws', { error: sysError('ECONNREFUSED') });
    expect(fo.status().targets[0]?.state).toBe('closed');
    fo.report('aws', { error: sysError('ECONNREFUSED') });
    expect(fo.status().targets[0]?.state).toBe('open');
  });

  it('report: an unknown target or a bad operation is refused; a closed router ignores it', () => {
    const fo = make();
    expect(() => fo.report('nowhere', {})).toThrow(/unknown target/);
    expect(() => fo.report('aws', { operation: '' })).toThrow(/"operation"/);
    fo.close();
    fo.report('aws', { error: cut() });
  });
});
