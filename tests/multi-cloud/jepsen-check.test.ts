import { describe, expect, it } from 'vitest';
import { check, History, type Op } from './jepsen-check.js';

/** Adds calls on key `k` to `h`, one after the other: each 10 ms long (wall clock), 20 ms apart. */
function sequential(h: History): (o: Partial<Op> & Pick<Op, 'kind' | 'seq'>) => Op {
  return (o) => {
    const ms = h.ops.length * 20;
    return h.add({
      id: h.ops.length + 1,
      key: 'k',
      invokedAt: h.tick(),
      completedAt: h.tick(),
      invokedMs: ms,
      completedMs: ms + 10,
      status: 'ok',
      ...o,
    });
  };
}

/** A history of one key: put #1 (on every cloud), put #2 (degraded, its only copy then wiped), then reads. */
function history(read: { found: false } | { found: true; sha256: string }, completedMs: number) {
  const h = new History();
  const op = sequential(h);
  const p1 = op({ kind: 'put', seq: 1, sha256: 'a1', version: 'v1' });
  const p2 = op({ kind: 'put', seq: 2, sha256: 'a2', version: 'v2' });
  op({ kind: 'get', seq: 0, read, completedMs });
  return { h, p1, p2 };
}

describe('the Jepsen checker: justified losses', () => {
  const destroyedAt50 = (p2: Op) => (w: Op) => (w === p2 ? 50 : undefined);

  it('"not found" after every copy of the newest acknowledged put was destroyed is a justified loss', () => {
    const { h, p2 } = history({ found: false }, 100);
    const r = check(h, ['k'], [], h.tick(), destroyedAt50(p2));
    expect(r.total.stale).toBe(0);
    expect(r.justifiedLosses).toBe(1);
  });

  it('"not found" before the copies were destroyed is stale', () => {
    const { h, p2 } = history({ found: false }, 40);
    const r = check(h, ['k'], [], h.tick(), destroyedAt50(p2));
    expect(r.total.stale).toBe(1);
    expect(r.justifiedLosses).toBe(0);
  });

  it('an older version served after the loss is still stale (a lost version settles as a delete)', () => {
    const { h, p2 } = history({ found: true, sha256: 'a1' }, 100);
    const r = check(h, ['k'], [], h.tick(), destroyedAt50(p2));
    expect(r.total.stale).toBe(1);
    expect(r.justifiedLosses).toBe(0);
  });

  it('without ground truth of a loss, "not found" is stale', () => {
    const { h } = history({ found: false }, 100);
    const r = check(h, ['k'], [], h.tick());
    expect(r.total.stale).toBe(1);
  });
});

describe('the Jepsen checker: the read that set a floor', () => {
  it('names the earlier read whose answer makes a later read stale, for the excuse to judge', () => {
    const h = new History();
    let ms = 0;
    const op = (o: Partial<Op> & Pick<Op, 'kind' | 'seq'>, invokedAt: number, completedAt: number): Op => {
      ms += 20;
      return h.add({
        id: h.ops.length + 1,
        key: 'k',
        invokedAt,
        completedAt,
        invokedMs: ms,
        completedMs: ms + 10,
        status: 'ok',
        ...o,
      });
    };
    op({ kind: 'put', seq: 1, sha256: 'a1', version: 'v1', instance: 1 }, 1, 2);
    // Put #2 of instance 1 in flight from tick 3 to tick 20; instance 0 reads it at ticks 4..5.
    const p2 = op({ kind: 'put', seq: 2, sha256: 'a2', version: 'v2', instance: 1 }, 3, 20);
    const other = op({ kind: 'get', seq: 0, read: { found: true, sha256: 'a2' }, instance: 0 }, 4, 5);
    // Instance 1's own read, later (ticks 6..7), still returns #1: stale by the floor instance 0 set.
    const own = op({ kind: 'get', seq: 0, read: { found: true, sha256: 'a1' }, instance: 1 }, 6, 7);
    const asked: [Op, Op, Op | undefined][] = [];
    const r = check(h, ['k'], [], 30, undefined, (read, missed, floorRead) => {
      asked.push([read, missed, floorRead]);
      return true;
    });
    expect(asked).toEqual([[own, p2, other]]);
    expect(r.total.stale).toBe(0);
    expect(r.excusedStale).toBe(1);
    // Not excused: a stale read.
    expect(check(h, ['k'], [], 30).total.stale).toBe(1);
  });
});

describe('the Jepsen checker: a "not found" explained by a write never acknowledged', () => {
  /**
   * Instance 1 deleted the key (#1); instance 0 put it (#2, acknowledged); instance 1's delete #3
   * failed (it reached no cloud); instance 1 then read "not found" (Redis away: it did not know
   * #2 yet); instance 0 read #2. Seen in a loaded fleet soak.
   */
  function fleetHistory(first: 'delete' | 'put') {
    const h = new History();
    const op = sequential(h);
    if (first === 'delete') op({ kind: 'delete', seq: 1, instance: 1 });
    else op({ kind: 'put', seq: 1, sha256: 'a1', version: 'v1', instance: 1 });
    const p2 = op({ kind: 'put', seq: 2, sha256: 'a2', version: 'v2', instance: 0 });
    op({ kind: 'delete', seq: 3, instance: 1, status: 'fail' });
    const missing = op({ kind: 'get', seq: 0, read: { found: false }, instance: 1 });
    op({ kind: 'get', seq: 0, read: { found: true, sha256: 'a2' }, instance: 0 });
    return { h, p2, missing };
  }

  it('is the allowed stale reading when the read may miss the put, and sets no floor', () => {
    const { h, p2, missing } = fleetHistory('delete');
    const asked: [Op, Op][] = [];
    // Only instance 1's reads may miss instance 0's writes (Redis was away for it).
    const r = check(h, ['k'], [], 100, undefined, (read, missed) => {
      asked.push([read, missed]);
      return read.instance === 1;
    });
    expect(asked).toEqual([[missing, p2]]);
    expect(r.total.stale).toBe(0);
    expect(r.excusedStale).toBe(1);
  });

  it('proves the failed write took effect when the read may not miss the put', () => {
    const { h } = fleetHistory('delete');
    expect(check(h, ['k'], [], 100).total.stale).toBe(1);
  });

  it('proves the failed write took effect when the key held a put before', () => {
    const { h } = fleetHistory('put');
    expect(check(h, ['k'], [], 100, undefined, (read) => read.instance === 1).total.stale).toBe(1);
  });
});
