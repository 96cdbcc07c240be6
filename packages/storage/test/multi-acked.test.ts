import { describe, expect, it } from 'vitest';
import { AckedWrites, olderThanAcked } from '../src/multi/acked.js';

const v = (ms: number, counter = 0, writer = 'w1'): string =>
  `${String(ms).padStart(15, '0')}-${String(counter).padStart(6, '0')}-${writer}`;

describe('AckedWrites', () => {
  it('keeps the newest acknowledged write of each key', () => {
    const acked = new AckedWrites();
    acked.note('k', { op: 'put', version: v(2) });
    acked.note('k', { op: 'put', version: v(1) }); // older: changes nothing
    expect(acked.get('k')).toEqual({ op: 'put', version: v(2) });
    acked.note('k', { op: 'delete', version: v(3) });
    expect(acked.get('k')).toEqual({ op: 'delete', version: v(3) });
    expect(acked.get('other')).toBeUndefined();
  });

  it('tells when the write it returns was acknowledged', () => {
    let now = 1_000;
    const acked = new AckedWrites(10, 500, () => now);
    acked.note('k', { op: 'put', version: v(1) });
    now = 1_200;
    acked.note('k', { op: 'put', version: v(0) }); // older: neither the write nor its time move
    expect(acked.acknowledgedAt('k')).toBe(1_000);
    acked.note('k', { op: 'delete', version: v(2) });
    expect(acked.acknowledgedAt('k')).toBe(1_200);
    now = 1_701;
    expect(acked.acknowledgedAt('k')).toBeUndefined(); // past the retention
    expect(acked.acknowledgedAt('other')).toBeUndefined();
  });

  it('forgets a write after the retention', () => {
    let now = 1_000;
    const acked = new AckedWrites(10, 500, () => now);
    acked.note('k', { op: 'put', version: v(1) });
    now += 500;
    expect(acked.get('k')).toBeDefined();
    now += 1;
    expect(acked.get('k')).toBeUndefined();
    expect(acked.size).toBe(0);
  });

  it('keeps at most `max` keys, forgetting the least recently written', () => {
    const acked = new AckedWrites(2, 60_000, () => 0);
    acked.note('a', { op: 'put', version: v(1) });
    acked.note('b', { op: 'put', version: v(2) });
    acked.note('a', { op: 'put', version: v(3) }); // a written again: b is now the oldest
    acked.note('c', { op: 'put', version: v(4) });
    expect(acked.size).toBe(2);
    expect(acked.get('b')).toBeUndefined();
    expect(acked.get('a')?.version).toBe(v(3));
    expect(acked.get('c')?.version).toBe(v(4));
  });
});

describe('olderThanAcked', () => {
  const acked = { op: 'put' as const, version: v(5, 1) };
  it.each([
    ['an older version', v(5, 0), acked, true],
    ['an older version by another writer', v(4, 9, 'w2'), acked, true],
    ['the same version', v(5, 1), acked, false],
    ['a newer version (another instance wrote since)', v(6), acked, false],
    ['an object no multi-cloud store wrote (no version): not judged', undefined, acked, false],
    ['nothing acknowledged here', v(1), undefined, false],
  ] as const)('%s', (_name, found, write, expected) => {
    expect(olderThanAcked(found, write)).toBe(expected);
  });
});
