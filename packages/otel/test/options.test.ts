import { createFailover, InvalidOptionError } from '@failover/core';
import { describe, expect, it } from 'vitest';
import { createCallObserver, instrument } from '../src/index.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return (err as Error).message;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('otel options, read like every option of the project', () => {
  it('createCallObserver', () => {
    expect(message(() => createCallObserver({ name: '' }))).toBe(
      'Invalid option "name": must be a non-empty string, got ""',
    );
    expect(message(() => createCallObserver({ meterProvider: {} as never }))).toBe(
      'Invalid option "meterProvider": must be a MeterProvider (with getMeter), got an object',
    );
    expect(message(() => createCallObserver({ journal: {} } as never))).toContain(
      'Invalid option "journal": is not a known option (known: meterProvider, tracerProvider, name)',
    );
  });

  it('instrument', () => {
    const router = createFailover({ targets: [{ name: 'a' }] });
    try {
      expect(message(() => instrument(router, { journal: {} as never }))).toBe(
        'Invalid option "journal": must be a Journal (with pending()), got an object',
      );
      expect(message(() => instrument(router, { nmae: 'x' } as never))).toContain(
        '"nmae": is not a known option',
      );
      instrument(router, { name: 'r' })();
    } finally {
      router.close();
    }
  });
});
