import { describe, expect, it } from 'vitest';
import { AllTargetsFailedError } from '../src/index.js';
import { httpError, scripted, sysError, targetsOf, useFakeTimerRouters } from './helpers.js';

/**
 * The maximum ejection share (`breaker.keepLastTarget`, Envoy's max_ejection_percent): fast
 * ejection does not open the breaker of the last of several targets still closed on failures that
 * got no answer, which may be this process's own. The error-rate trigger is kept out of the way
 * (a high volumeThreshold) so that only fast ejection is seen.
 */
describe('breaker.keepLastTarget', () => {
  const { make } = useFakeTimerRouters({}, { checkTimers: true });
  const breaker = { resetTimeoutMs: 60_000, volumeThreshold: 1000 };

  async function failures(run: () => Promise<unknown>, n: number): Promise<void> {
    for (let i = 0; i < n; i++) await expect(run()).rejects.toBeInstanceOf(AllTargetsFailedError);
  }

  it('spares the last closed target on timeouts and network failures: every call still reaches it, and it serves once the path is back', async () => {
    const fo = make({ breaker, retry: { maxAttempts: 1 } });
    fo.trip('aws');
    fo.trip('gcp');
    const op = scripted({
      azure: [
        sysError('ECONNREFUSED'),
        sysError('ENOTFOUND'),
        sysError('ETIMEDOUT'),
        sysError('ECONNRESET'),
        sysError('ECONNREFUSED'),
        sysError('ECONNREFUSED'),
        'ok:azure',
      ],
    });
    await failures(() => fo.run(op, { idempotent: true }), 6);
    expect(fo.status().targets[2]?.state).toBe('closed');
    expect(await fo.run(op, { idempotent: true })).toBe('ok:azure');
    expect(targetsOf(op.calls)).toEqual(Array(7).fill('azure'));
  });

  it('answers (5xx) still eject it: a working server said it is failing', async () => {
    const fo = make({ breaker, retry: { maxAttempts: 1 } });
    fo.trip('aws');
    fo.trip('gcp');
    const op = scripted({ azure: [httpError(503)] });
    await failures(() => fo.run(op, { idempotent: true }), 5);
    expect(fo.status().targets[2]?.state).toBe('open');
    await failures(() => fo.run(op, { idempotent: true }), 1);
    expect(op.calls).toHaveLength(5);
  });

  it('the streak keeps counting: once another target is closed again, the next failure ejects it', async () => {
    const fo = make({ breaker, retry: { maxAttempts: 1 } });
    fo.trip('aws');
    fo.trip('gcp');
    const op = scripted({ azure: [sysError('ECONNREFUSED')] });
    await failures(() => fo.run(op, { idempotent: true, targets: ['azure'] }), 3);
    expect(fo.status().targets[2]?.state).toBe('closed');
    fo.recover('gcp');
    await failures(() => fo.run(op, { idempotent: true, targets: ['azure'] }), 1);
    expect(fo.status().targets[2]?.state).toBe('open');
  });

  it('keepLastTarget: false ejects the last target too (two refused connections)', async () => {
    const fo = make({ breaker: { ...breaker, keepLastTarget: false }, retry: { maxAttempts: 1 } });
    fo.trip('aws');
    fo.trip('gcp');
    const op = scripted({ azure: [sysError('ECONNREFUSED')] });
    await failures(() => fo.run(op, { idempotent: true }), 3);
    expect(fo.status().targets[2]?.state).toBe('open');
    expect(op.calls).toHaveLength(2);
  });

  it('with targets still closed elsewhere, fast ejection is unchanged (two refused connections)', async () => {
    const fo = make({ breaker });
    const op = scripted({ aws: [sysError('ECONNREFUSED')] });
    for (let i = 0; i < 3; i++) expect(await fo.run(op)).toBe('ok:gcp');
    expect(fo.status().targets[0]?.state).toBe('open');
    expect(targetsOf(op.calls).filter((t) => t === 'aws')).toHaveLength(2);
  });

  it('a single target is ejected as before (Envoy ejects at least one host)', async () => {
    const fo = make({ targets: [{ name: 'only' }], breaker, retry: { maxAttempts: 1 } });
    const op = scripted({ only: [sysError('ECONNREFUSED')] });
    await failures(() => fo.run(op), 3);
    expect(fo.status().targets[0]?.state).toBe('open');
    expect(op.calls).toHaveLength(2);
  });

  it('rejects a keepLastTarget that is not a boolean, naming the option', () => {
    expect(() => make({ breaker: { keepLastTarget: 'yes' as unknown as boolean } })).toThrow(
      /breaker\.keepLastTarget/,
    );
  });
});
