import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_STAGED, TimeoutEntry, TimeoutQueue, Timeouts } from '../src/timeout-queue.js';

/** Made before any test switches fake timers on: the queue must still use the fake ones. */
const early = new Timeouts();

/** Lets `process.nextTick` callbacks (the idle check) and promise callbacks run. */
const tick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('TimeoutQueue', () => {
  let fired: string[];
  const record = (name: string): void => {
    fired.push(`${name}@${Date.now()}`);
  };

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    fired = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires entries in the order they were added, each exactly at its own time', async () => {
    const q = new TimeoutQueue(100);
    q.add(record, 'a');
    await vi.advanceTimersByTimeAsync(30);
    q.add(record, 'b');
    await vi.advanceTimersByTimeAsync(30);
    q.add(record, 'c');
    await vi.advanceTimersByTimeAsync(39); // t = 99
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1); // t = 100: exactly a's deadline
    expect(fired).toEqual(['a@100']);
    await vi.advanceTimersByTimeAsync(29);
    expect(fired).toEqual(['a@100']);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual(['a@100', 'b@130']);
    await vi.advanceTimersByTimeAsync(30);
    expect(fired).toEqual(['a@100', 'b@130', 'c@160']);
    expect(q.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes the argument and the duration to the callback', async () => {
    const q = new TimeoutQueue(25);
    const seen: unknown[] = [];
    const arg = { id: 1 };
    q.add((a: { id: number }, ms) => seen.push(a, ms), arg);
    await vi.advanceTimersByTimeAsync(25);
    expect(seen).toEqual([arg, 25]);
  });

  it('entries with the same expiry all expire on the same timer run', async () => {
    const q = new TimeoutQueue(50);
    for (const name of ['a', 'b', 'c']) q.add(record, name);
    await vi.advanceTimersByTimeAsync(50);
    expect(fired).toEqual(['a@50', 'b@50', 'c@50']);
  });

  it('uses one timer however many entries wait', async () => {
    const q = new TimeoutQueue(1000);
    for (let i = 0; i < 100; i++) {
      q.add(record, `e${i}`);
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(q.size).toBe(100);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fired).toHaveLength(100);
    expect(fired[0]).toBe('e0@1000');
    expect(fired[99]).toBe('e99@1099');
  });

  it('skips cancelled entries, at the head or anywhere else, and re-arms for the next live one', async () => {
    const q = new TimeoutQueue(100);
    const a = q.add(record, 'a');
    await vi.advanceTimersByTimeAsync(10);
    const b = q.add(record, 'b');
    await vi.advanceTimersByTimeAsync(10);
    q.add(record, 'c');
    await vi.advanceTimersByTimeAsync(10);
    const d = q.add(record, 'd');
    a.cancel(); // the head: its timer is left armed, not cleared
    b.cancel(); // the middle
    expect(a.pending).toBe(false);
    expect(d.pending).toBe(true);
    expect(q.size).toBe(2);
    await vi.advanceTimersByTimeAsync(70); // t = 100: a's timer fires, finds c not yet due
    expect(fired).toEqual([]);
    expect(vi.getTimerCount()).toBe(1); // re-armed for c
    await vi.advanceTimersByTimeAsync(20); // t = 120
    expect(fired).toEqual(['c@120']);
    d.cancel(); // the last one: the queue empties
    await tick();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fired).toEqual(['c@120']);
  });

  it('cancel() is idempotent and a no-op after expiry', async () => {
    const q = new TimeoutQueue(10);
    const a = q.add(record, 'a');
    const b = q.add(record, 'b');
    a.cancel();
    a.cancel();
    expect(q.size).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(fired).toEqual(['b@10']);
    expect(b.pending).toBe(false);
    b.cancel();
    expect(q.size).toBe(0);
  });

  it('leaves no timer once the last entry is cancelled (after the current tick)', async () => {
    const q = new TimeoutQueue(10_000);
    const entries = [q.add(record, 'a'), q.add(record, 'b')];
    expect(vi.getTimerCount()).toBe(1);
    for (const e of entries) e.cancel();
    expect(q.size).toBe(0);
    await tick();
    expect(q.armed).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('back-to-back entries within one tick reuse the timer instead of setting one each', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const clearTimeoutSpy = vi.spyOn(globalThis, 'clearTimeout');
    const q = new TimeoutQueue(10_000);
    for (let i = 0; i < 1000; i++) q.add(record, 'x').cancel();
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    expect(clearTimeoutSpy).not.toHaveBeenCalled();
    await tick();
    expect(clearTimeoutSpy).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    // A new burst arms a new timer, which works as usual.
    q.add(record, 'y');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fired).toEqual(['y@10000']);
    setTimeoutSpy.mockRestore();
    clearTimeoutSpy.mockRestore();
  });

  it('an entry added while the emptied queue waits for its idle check expires on time', async () => {
    const q = new TimeoutQueue(100);
    q.add(record, 'a').cancel();
    await vi.advanceTimersByTimeAsync(0);
    q.add(record, 'b'); // the timer was cleared: a new one is armed
    await vi.advanceTimersByTimeAsync(50);
    q.add(record, 'c').cancel();
    q.add(record, 'd');
    await vi.advanceTimersByTimeAsync(50);
    expect(fired).toEqual(['b@100']);
    await vi.advanceTimersByTimeAsync(50);
    expect(fired).toEqual(['b@100', 'd@150']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still expires the entry it was armed for when the wall clock went backwards', async () => {
    const q = new TimeoutQueue(100);
    q.add(record, 'a');
    vi.setSystemTime(-5000); // Date.now() jumps back; the timer still runs 100 ms after arming
    await vi.advanceTimersByTimeAsync(100);
    expect(fired).toEqual(['a@-4900']);
  });

  it('a throwing callback does not strand the entries after it', async () => {
    const q = new TimeoutQueue(10);
    q.add(() => {
      throw new Error('boom');
    }, undefined);
    q.add(record, 'b'); // due at the same time as the throwing one
    await vi.advanceTimersByTimeAsync(5);
    q.add(record, 'c');
    // The fake clock rethrows the callback's error once the time has been advanced.
    const err = await vi.advanceTimersByTimeAsync(10).catch((e: unknown) => e);
    expect((err as Error).message).toBe('boom');
    await vi.advanceTimersByTimeAsync(10);
    // The queue re-armed before the error left it: 'b' runs a moment later, 'c' on time.
    expect(fired).toEqual(['b@11', 'c@15']);
    expect(q.size).toBe(0);
  });

  it('close(): an empty queue stops its timer at once; a busy one stops as soon as it empties', async () => {
    const idle = new TimeoutQueue(100);
    idle.add(record, 'a').cancel();
    expect(vi.getTimerCount()).toBe(1);
    idle.close();
    expect(vi.getTimerCount()).toBe(0);

    const busy = new TimeoutQueue(100);
    const b = busy.add(record, 'b');
    busy.add(record, 'c');
    busy.close();
    expect(vi.getTimerCount()).toBe(1);
    b.cancel();
    await vi.advanceTimersByTimeAsync(100); // entries still expire after close
    expect(fired).toEqual(['c@100']);
    expect(vi.getTimerCount()).toBe(0);
    busy.add(record, 'd').cancel(); // emptied while closed: no idle timer lingers
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('TimeoutQueue.stage (stamped at the end of the tick)', () => {
  let fired: string[];
  const entry = (name: string): TimeoutEntry =>
    new TimeoutEntry((n: string) => fired.push(`${n}@${Date.now()}`), name);

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    fired = [];
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('a node cancelled within its tick costs no clock read and arms no timer', async () => {
    const q = new TimeoutQueue(100);
    const now = vi.spyOn(Date, 'now');
    for (let i = 0; i < 10; i++) {
      const e = entry(`e${i}`);
      q.stage(e);
      expect(e.pending).toBe(true);
      e.cancel();
      expect(e.pending).toBe(false);
    }
    expect(now).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
    expect(q.staged).toBe(10);
    await tick();
    expect(q.staged).toBe(0);
    expect(q.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fired).toEqual([]);
  });

  it('a node that outlives its tick expires its duration after the tick ended (on time under fake timers)', async () => {
    const q = new TimeoutQueue(100);
    await vi.advanceTimersByTimeAsync(10);
    q.stage(entry('a'));
    expect(q.size).toBe(0);
    await tick();
    expect(q.size).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(99); // t = 109
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual(['a@110']);
    await tick();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with real time, a staged node is stamped at the end of its tick: never earlier than it was staged', async () => {
    vi.useRealTimers();
    const q = new TimeoutQueue(1000);
    const e = entry('a');
    const before = Date.now();
    q.stage(e);
    const busyUntil = Date.now() + 5;
    while (Date.now() < busyUntil) {
      // the rest of the tick: the stamp comes after it
    }
    await tick();
    expect(e.expiresAt).toBeGreaterThanOrEqual(busyUntil + 1000);
    expect(e.expiresAt).toBeGreaterThanOrEqual(before + 1000);
    e.cancel();
    await tick();
    expect(q.armed).toBe(false);
  });

  it('keeps the order: staged nodes are linked after the nodes added before their stamp', async () => {
    const q = new TimeoutQueue(50);
    q.stage(entry('staged'));
    q.add((n: string) => fired.push(`${n}@${Date.now()}`), 'added');
    await tick();
    expect(q.size).toBe(2);
    await vi.advanceTimersByTimeAsync(50);
    expect(fired).toEqual(['added@50', 'staged@50']);
  });

  it(`stamps at once when ${MAX_STAGED} nodes are staged in one tick`, async () => {
    const q = new TimeoutQueue(100);
    const entries = Array.from({ length: MAX_STAGED - 1 }, (_, i) => entry(`e${i}`));
    for (const e of entries) q.stage(e);
    for (const e of entries.slice(1)) e.cancel();
    expect(q.size).toBe(0);
    q.stage(entry('last'));
    // Stamped now: the live ones are linked, the cancelled ones dropped.
    expect(q.staged).toBe(0);
    expect(q.size).toBe(2);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(fired).toEqual(['e0@100', 'last@100']);
  });

  it('the idle check keeps the queue (and its owner) while nodes are staged; close() stamps them', async () => {
    const idle: number[] = [];
    const q = new TimeoutQueue(100, (queue) => idle.push(queue.ms));
    q.add(() => undefined, undefined).cancel(); // emptied: an idle check is due at the end of the tick
    const e = entry('a');
    q.stage(e);
    await tick();
    expect(idle).toEqual([]);
    expect(q.size).toBe(1);
    q.close();
    expect(vi.getTimerCount()).toBe(1); // its time limit stays
    await vi.advanceTimersByTimeAsync(100);
    expect(fired).toEqual(['a@100']);
    expect(idle).toEqual([100]);
    expect(vi.getTimerCount()).toBe(0);

    const closing = new TimeoutQueue(100, (queue) => idle.push(queue.ms));
    const live = entry('live');
    closing.stage(live);
    closing.stage(entry('cancelled'));
    closing.close();
    expect(closing.staged).toBe(0);
    expect(closing.size).toBe(2);
    expect(live.expiresAt).toBe(200);
    live.cancel();
    await vi.advanceTimersByTimeAsync(100);
    expect(fired).toEqual(['a@100', 'cancelled@200']);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('Timeouts (one queue per duration)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses the fake timers even though it was made before they were installed', async () => {
    const fired: number[] = [];
    early.add(50, () => fired.push(Date.now()), undefined);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(50);
    expect(fired).toEqual([50]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('many durations: every entry expires at its own time, with one timer per duration', async () => {
    const t = new Timeouts();
    const fired: string[] = [];
    const expected: { name: string; at: number }[] = [];
    const durations = [5, 7, 100, 13, 250, 5, 7, 1, 2_147_483_647, 64];
    let now = 0;
    for (let i = 0; i < 40; i++) {
      const ms = durations[i % durations.length]!;
      const name = `e${i}`;
      t.add(ms, (n: string) => fired.push(`${n}@${Date.now()}`), name);
      if (ms < 1_000_000) expected.push({ name, at: now + ms });
      // Never more timers than durations, however many entries wait.
      expect(vi.getTimerCount()).toBeLessThanOrEqual(t.queues);
      expect(t.queues).toBeLessThanOrEqual(new Set(durations).size);
      await vi.advanceTimersByTimeAsync(3);
      now += 3;
    }
    await vi.advanceTimersByTimeAsync(1000);
    const want = expected
      .sort((a, b) => a.at - b.at || Number(a.name.slice(1)) - Number(b.name.slice(1)))
      .map((e) => `${e.name}@${e.at}`);
    expect([...fired].sort()).toEqual([...want].sort());
    // Expiry times are non-decreasing in the order they fired.
    const times = fired.map((f) => Number(f.split('@')[1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Only the very long one still waits; idle queues were dropped.
    expect(t.queues).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    t.close();
    expect(vi.getTimerCount()).toBe(1); // it still holds an entry: its timer stays
  });

  it('drops idle queues and their timers; close() stops idle timers at once', async () => {
    const t = new Timeouts();
    const entries: TimeoutEntry[] = [];
    for (let ms = 1; ms <= 20; ms++) entries.push(t.add(ms * 1000, () => undefined, undefined));
    expect(t.queues).toBe(20);
    expect(vi.getTimerCount()).toBe(20);
    for (const e of entries) e.cancel();
    await tick();
    expect(t.queues).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    t.add(500, () => undefined, undefined).cancel();
    expect(vi.getTimerCount()).toBe(1);
    t.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(t.queues).toBe(0);
  });
});
