import { describe, expect, it } from 'vitest';
import { AllTargetsFailedError, InvalidOptionError } from '../src/index.js';
import { httpError, scripted, sysError, useFakeTimerRouters } from './helpers.js';

describe('RunOptions.maxAttempts', () => {
  const { make } = useFakeTimerRouters({ retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 } });

  it('overrides retry.maxAttempts for one call: 1 means no retry on the same target', async () => {
    const fo = make();
    const op = scripted({ aws: [httpError(503)] });
    const err = await fo.run(op, { idempotent: true, targets: ['aws'], maxAttempts: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(AllTargetsFailedError);
    expect((err as AllTargetsFailedError).failures).toMatchObject([{ target: 'aws', attempts: 1 }]);
    expect(op.calls).toHaveLength(1);
    // Without it, the router's three attempts.
    const again = scripted({ aws: [httpError(503)] });
    await fo.run(again, { idempotent: true, targets: ['aws'] }).catch(() => undefined);
    expect(again.calls).toHaveLength(3);
  });

  it('still fails over: it counts attempts per target', async () => {
    const fo = make();
    const op = scripted({ aws: [sysError('ECONNREFUSED')], gcp: [httpError(503)], azure: ['ok'] });
    expect(await fo.run(op, { idempotent: true, maxAttempts: 1 })).toBe('ok');
    expect(op.calls.map((c) => c.target)).toEqual(['aws', 'gcp', 'azure']);
  });

  it('refuses a value outside 1..10 with an InvalidOptionError naming it', async () => {
    const fo = make();
    for (const bad of [0, 11, 1.5, '2']) {
      const err = await fo.run(scripted({}), { maxAttempts: bad as number }).catch((e) => e);
      expect(err).toBeInstanceOf(InvalidOptionError);
      expect((err as InvalidOptionError).option).toBe('maxAttempts');
    }
  });
});
