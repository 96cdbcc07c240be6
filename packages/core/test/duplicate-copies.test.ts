import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * Two copies of @failover/core (and of @failover/storage) in one process, as npm makes them when
 * one package needs a newer patch than another and nests a second copy, or when the ESM and the
 * CommonJS builds are both loaded. `vi.resetModules()` makes the next import load every module of
 * the package again, so `a` and `b` below share no class and no module state.
 */
type Core = typeof import('../src/index.js');
type Storage = typeof import('../../storage/src/index.js');

async function loadCopy(): Promise<{ core: Core; storage: Storage }> {
  vi.resetModules();
  const core = await import('../src/index.js');
  const storage = await import('../../storage/src/index.js');
  return { core, storage };
}

describe('two copies of @failover/core in one process', () => {
  const unregister: Array<() => void> = [];
  afterEach(() => {
    for (const off of unregister.splice(0)) off();
  });

  it('are really two copies (different classes)', async () => {
    const a = await loadCopy();
    const b = await loadCopy();
    expect(a.core.InvalidOptionError).not.toBe(b.core.InvalidOptionError);
    expect(a.storage.NotFoundError).not.toBe(b.storage.NotFoundError);
    // Without the brand this is what instanceof would say across copies.
    const fromB = new b.core.InvalidOptionError('retry.maxAttempts', 'must be an integer');
    expect(Object.getPrototypeOf(fromB)).not.toBe(a.core.InvalidOptionError.prototype);
  });

  it('instanceof recognises errors from the other copy, class by class', async () => {
    const a = await loadCopy();
    const b = await loadCopy();
    const invalid = new b.core.InvalidOptionError('retry.maxAttempts', 'must be an integer');
    expect(invalid instanceof a.core.InvalidOptionError).toBe(true);
    expect(invalid instanceof a.core.FailoverError).toBe(true);
    expect(invalid instanceof Error).toBe(true);
    expect(invalid instanceof a.core.AllTargetsFailedError).toBe(false);
    expect(invalid instanceof a.core.BreakerOpenError).toBe(false);

    const all = new b.core.AllTargetsFailedError([
      { target: 't', kind: 'network', cause: invalid, attempts: 1 },
    ]);
    expect(all instanceof a.core.AllTargetsFailedError).toBe(true);
    expect(all instanceof a.core.InvalidOptionError).toBe(false);
    expect(a.core.isAllTargetsFailedError(all)).toBe(true);

    // Subclasses in other packages get it too: storage's errors extend core's FailoverError.
    const missing = new b.storage.NotFoundError('k');
    expect(missing instanceof a.storage.NotFoundError).toBe(true);
    expect(missing instanceof a.storage.StorageError).toBe(true);
    expect(missing instanceof a.core.FailoverError).toBe(true);
    expect(missing instanceof a.storage.PreconditionFailedError).toBe(false);
    expect(missing instanceof a.core.InvalidOptionError).toBe(false);
  });

  it('the is*Error helpers say the same as instanceof, for either copy', async () => {
    const a = await loadCopy();
    const b = await loadCopy();
    for (const [thrower, checker] of [
      [a, b],
      [b, a],
      [a, a],
    ] as const) {
      const err = new thrower.core.InvalidOptionError('x', 'bad');
      expect(checker.core.isFailoverError(err)).toBe(true);
      expect(checker.core.isInvalidOptionError(err)).toBe(true);
      expect(checker.core.isAllTargetsFailedError(err)).toBe(false);
      expect(checker.core.isFailoverError(new thrower.storage.NotFoundError('k'))).toBe(true);
      expect(checker.core.isInvalidOptionError(new thrower.storage.NotFoundError('k'))).toBe(false);
    }
  });

  it('lookalikes that are not the library’s errors stay out', async () => {
    const a = await loadCopy();
    class InvalidOptionError extends Error {
      readonly kind = 'invalid';
    }
    const lookalikes: unknown[] = [
      new InvalidOptionError('same name, not ours'),
      Object.assign(new Error('x'), { name: 'InvalidOptionError', kind: 'invalid' }),
      { name: 'FailoverError', kind: 'invalid', message: 'plain object' },
      Object.create(null),
      null,
      undefined,
      'InvalidOptionError',
      42,
    ];
    for (const value of lookalikes) {
      expect(value instanceof a.core.FailoverError).toBe(false);
      expect(value instanceof a.core.InvalidOptionError).toBe(false);
      expect(a.core.isFailoverError(value)).toBe(false);
      expect(a.core.isInvalidOptionError(value)).toBe(false);
    }
    // The brand is not enumerable: it does not show in keys, JSON or a default inspect.
    const err = new a.core.InvalidOptionError('x', 'bad');
    expect(Object.keys(err)).not.toContain(Symbol.for('@failover/error'));
    expect(Object.getOwnPropertySymbols(err)).toEqual([]);
  });

  it('a classifier registered through one copy is consulted by the other', async () => {
    const a = await loadCopy();
    const b = await loadCopy();
    const marker = { provider: 'acme', busy: true };
    expect(a.core.classifyFailure(marker)).toBe('unknown');
    unregister.push(b.core.registerClassifier((err) => (err === marker ? 'throttled' : undefined)));
    expect(a.core.classifyFailure(marker)).toBe('throttled');
    expect(b.core.classifyFailure(marker)).toBe('throttled');
    unregister.splice(0).forEach((off) => {
      off();
    });
    expect(a.core.classifyFailure(marker)).toBe('unknown');
  });

  it("classifyFailure takes the other copy's error kind as it is", async () => {
    const a = await loadCopy();
    const b = await loadCopy();
    const invalid = new b.core.InvalidOptionError('x', 'bad');
    // A status of 503 in the cause would say 'unavailable'; the library's own kind wins.
    const wrapped = new b.core.FailoverError('precondition', 'p', { cause: { status: 503 } });
    expect(a.core.classifyFailure(invalid)).toBe('invalid');
    expect(a.core.classifyFailure(wrapped)).toBe('precondition');
  });
});
