import { describe, expect, it } from 'vitest';
import { Settlement } from '../src/settlement.js';

describe('Settlement (what the breaker awaits for a controlled attempt)', () => {
  it('behaves like a promise to await and to Promise.resolve', async () => {
    const ok = new Settlement();
    const awaited = (async () => await ok)();
    ok.settle(true, 42);
    expect(await awaited).toBe(42);
    expect(await Promise.resolve(ok)).toBe(42);
    const bad = new Settlement();
    const err = new Error('boom');
    const rejected = Promise.resolve(bad);
    bad.settle(false, err);
    await expect(rejected).rejects.toBe(err);
    await expect(Promise.resolve(bad)).rejects.toBe(err);
  });

  it('settles once: later outcomes are ignored', async () => {
    const s = new Settlement();
    const seen: string[] = [];
    s.then(
      (v) => seen.push(`ok:${String(v)}`),
      (e) => seen.push(`err:${(e as Error).message}`),
    );
    s.settle(false, new Error('first'));
    s.settle(true, 'late');
    s.settle(false, new Error('later'));
    expect(seen).toEqual(['err:first']);
  });

  it('runs a .then(a).catch(b) chain as chained promises would', () => {
    const seen: string[] = [];
    const fulfilled = new Settlement();
    fulfilled.then((v) => seen.push(`a:${String(v)}`)).then(undefined, () => seen.push('b'));
    fulfilled.settle(true, 1);
    // A handler that throws hands its error to the rejection handlers after it.
    const throwing = new Settlement();
    throwing
      .then(() => {
        throw new Error('in a');
      })
      .then(undefined, (e) => seen.push(`b:${(e as Error).message}`));
    throwing.settle(true, 2);
    // A rejection skips fulfilment handlers, and once handled the chain goes on fulfilled.
    const rejected = new Settlement();
    rejected
      .then(() => seen.push('skipped'))
      .then(undefined, (e) => {
        seen.push(`c:${(e as Error).message}`);
        return 'recovered';
      })
      .then((v) => seen.push(`d:${String(v)}`));
    rejected.settle(false, new Error('down'));
    expect(seen).toEqual(['a:1', 'b:in a', 'c:down', 'd:recovered']);
  });

  it('a handler added after it settled runs in a microtask, like a promise', async () => {
    const s = new Settlement();
    s.settle(true, 'v');
    const seen: unknown[] = [];
    const after = s.then((v) => seen.push(v));
    expect(seen).toEqual([]);
    await after;
    expect(seen).toEqual(['v']);
  });
});
