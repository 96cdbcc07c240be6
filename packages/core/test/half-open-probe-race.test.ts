import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFailover, type Failover } from '../src/index.js';
import { httpError, scripted, track } from './helpers.js';

/**
 * A half-open target's one probe, made by a hedged read, loses its race to a faster target: it
 * used to be cancelled ("proves nothing"), the breaker opened again for the same period, and a
 * recovering target slower than the hedge delay lost every race: reads alone never let it back in
 * (seen in the storage repair bench: five probes in a row cancelled). With `dispose`, the probe is
 * left to finish: its answer closes the breaker, its value goes to `dispose`.
 */
describe("a half-open target's probe that loses a hedge race", () => {
  let fo: Failover;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    fo.close();
    vi.useRealTimers();
  });

  /** A router whose first target, aws, is half-open now (opened by 4 failures, reset passed). */
  async function halfOpenAws(): Promise<Failover> {
    fo = createFailover({
      targets: [{ name: 'aws' }, { name: 'gcp' }],
      breaker: { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 1000 },
      retry: { maxAttempts: 1 },
      hedge: { afterMs: 20 },
    });
    for (let i = 0; i < 4; i++) {
      await fo
        .run(() => Promise.reject(httpError(503)), { idempotent: true, targets: ['aws'] })
        .catch(() => undefined);
    }
    await vi.advanceTimersByTimeAsync(1000);
    expect(fo.stateOf('aws')).toBe('halfOpen');
    return fo;
  }

  it('with dispose: finishes, closes the breaker, and its value is disposed of', async () => {
    const router = await halfOpenAws();
    const disposed: unknown[] = [];
    // aws answers in 100 ms (a new connection after an outage), gcp in 5 ms after the hedge.
    const op = scripted({ aws: [{ delay: 100, value: 'aws' }], gcp: [{ delay: 5, value: 'gcp' }] });
    const call = track(router.run(op, { idempotent: true, dispose: (v) => disposed.push(v) }));
    await vi.advanceTimersByTimeAsync(25);
    expect(call.value).toBe('gcp');
    expect(op.calls[0]?.signal?.aborted).toBe(false); // the probe goes on
    expect(router.stateOf('aws')).toBe('halfOpen');
    await vi.advanceTimersByTimeAsync(100);
    expect(router.stateOf('aws')).toBe('closed');
    expect(disposed).toEqual(['aws']);
  });

  it('with dispose: a probe that then fails opens the breaker again (doubled), as any failed probe', async () => {
    const router = await halfOpenAws();
    const op = scripted({ aws: [httpError(503)], gcp: [{ delay: 5, value: 'gcp' }] });
    // aws fails only after the race is lost: its operation rejects 100 ms in.
    const slowFail = Object.assign(
      (t: { name: string }, c: { signal?: AbortSignal | undefined; attempt: number }) =>
        t.name === 'aws'
          ? new Promise((_, reject) => setTimeout(() => reject(httpError(503)), 100))
          : op(t as never, c as never),
      { calls: op.calls },
    );
    const call = track(router.run(slowFail, { idempotent: true, dispose: () => {} }));
    await vi.advanceTimersByTimeAsync(25);
    expect(call.value).toBe('gcp');
    await vi.advanceTimersByTimeAsync(100);
    expect(router.stateOf('aws')).toBe('open');
    expect(router.status().targets[0]?.resetTimeoutMs).toBe(2000);
  });

  it('without dispose: cancelled as before (it proves nothing; open again for the same period)', async () => {
    const router = await halfOpenAws();
    const op = scripted({ aws: [{ delay: 100, value: 'aws' }], gcp: [{ delay: 5, value: 'gcp' }] });
    const call = track(router.run(op, { idempotent: true }));
    await vi.advanceTimersByTimeAsync(25);
    expect(call.value).toBe('gcp');
    expect(op.calls[0]?.signal?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(router.stateOf('aws')).toBe('open');
    expect(router.status().targets[0]?.resetTimeoutMs).toBe(1000);
  });

  it('a dispose that is not a function is refused, naming the option', async () => {
    const router = await halfOpenAws();
    await expect(
      router.run(() => Promise.resolve(1), { dispose: 'x' as unknown as () => void }),
    ).rejects.toThrow(/dispose/);
  });
});
