import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { simulateEventLoopLag } from '../../core/src/stall.js';
import { NotFoundError } from '../src/errors.js';
import { UnresponsiveWatch } from '../src/multi/unresponsive.js';
import {
  isLate,
  isOverdue,
  type SilenceFacts,
  strike,
  type UnresponsiveLimits,
} from '../src/multi/unresponsive-rule.js';

/** Ejection alone (the hold is tested on its own below). */
const LIMITS: UnresponsiveLimits = { afterMs: 500, factor: 4, strikes: 3, hold: undefined };
/** The defaults: ejection and the hold. */
const HOLD: UnresponsiveLimits = { ...LIMITS, hold: { afterMs: 20, requests: 2 } };

describe('isOverdue', () => {
  /** A request silent for 600 ms, nothing stalled, a peer answered a newer one in 20 ms. */
  const facts = (f: Partial<SilenceFacts>): SilenceFacts => ({
    silentMs: 600,
    stalledMs: 0,
    peerLatencyMs: 20,
    answeredSince: false,
    ...f,
  });
  const table: [string, Partial<SilenceFacts>, boolean][] = [
    ['silent past afterMs while a peer answered a newer request (a blackhole)', {}, true],
    ['exactly afterMs', { silentMs: 500 }, true],
    ['below afterMs (a cloud answering in 300 ms is never overdue)', { silentMs: 300 }, false],
    ['just below afterMs', { silentMs: 499 }, false],
    ['the target answered another request since: slower, not silent', { answeredSince: true }, false],
    ['no peer answered a newer request: nothing to compare with', { peerLatencyMs: undefined }, false],
    ['slow peers (200 ms): overdue only after 4 x 200 ms', { silentMs: 799, peerLatencyMs: 200 }, false],
    ['slow peers (200 ms), 800 ms silent', { silentMs: 800, peerLatencyMs: 200 }, true],
    ['this process stalled 400 of the 600 ms: 200 ms of listening', { stalledMs: 400 }, false],
    ['a 100 ms stall in 700 ms: 600 ms of listening', { silentMs: 700, stalledMs: 100 }, true],
    ['a long stall then a long silence', { silentMs: 3000, stalledMs: 2000 }, true],
    ['a body still making progress restarts the silence (silentMs counts from it)', { silentMs: 10 }, false],
  ];
  it.each(table)('%s', (_name, f, expected) => {
    expect(isOverdue(facts(f), LIMITS)).toBe(expected);
  });
});

describe('isLate', () => {
  /** A request silent for 30 ms, nothing stalled, a peer answered a newer one in 3 ms; own answers typically 5 ms. */
  const facts = (f: Partial<SilenceFacts>): SilenceFacts => ({
    silentMs: 30,
    stalledMs: 0,
    peerLatencyMs: 3,
    answeredSince: false,
    ownTypicalMs: 5,
    ...f,
  });
  const table: [string, Partial<SilenceFacts>, boolean][] = [
    ['silent past holdMs, 2 x the peer and 1.5 x its own typical answer (a blackhole)', {}, true],
    ['exactly holdMs', { silentMs: 20 }, true],
    ['below holdMs', { silentMs: 19 }, false],
    ['the target answered another request since', { answeredSince: true }, false],
    ['no peer answered a newer request', { peerLatencyMs: undefined }, false],
    [
      'a slow peer (15 ms): late only after 30 ms (twice, not factor 4)',
      { peerLatencyMs: 15, silentMs: 29 },
      false,
    ],
    ['a slow peer (15 ms), 30 ms silent', { peerLatencyMs: 15, silentMs: 30 }, true],
    [
      'peers answer in 40 ms (8 in flight): late only after 80 ms',
      { peerLatencyMs: 40, silentMs: 79 },
      false,
    ],
    ['peers answer in 40 ms (8 in flight), 80 ms silent', { peerLatencyMs: 40, silentMs: 80 }, true],
    [
      'its own answers typically take 300 ms: late only after 450 ms',
      { ownTypicalMs: 300, silentMs: 449 },
      false,
    ],
    ['its own answers typically take 300 ms, 450 ms silent', { ownTypicalMs: 300, silentMs: 450 }, true],
    [
      's3rver: its answers typically take 22 ms, peers 4 ms; 32 ms silent',
      { ownTypicalMs: 22, peerLatencyMs: 4, silentMs: 32 },
      false,
    ],
    [
      's3rver: its answers typically take 22 ms, peers 4 ms; 33 ms silent',
      { ownTypicalMs: 22, peerLatencyMs: 4, silentMs: 33 },
      true,
    ],
    ['no answer of its own yet: holdMs and the peer decide', { ownTypicalMs: undefined }, true],
    ['this process stalled 15 of the 30 ms', { stalledMs: 15 }, false],
  ];
  it.each(table)('%s', (_name, f, expected) => {
    expect(isLate(facts(f), HOLD)).toBe(expected);
  });
  it('takes `factor` when it is below twice the peer', () => {
    const low: UnresponsiveLimits = { ...HOLD, factor: 1.5 };
    expect(isLate(facts({ peerLatencyMs: 20, silentMs: 29 }), low)).toBe(false);
    expect(isLate(facts({ peerLatencyMs: 20, silentMs: 30 }), low)).toBe(true);
  });
  it('never late with the hold off', () => {
    expect(isLate(facts({ silentMs: 10_000 }), LIMITS)).toBe(false);
  });
});

describe('strike', () => {
  it.each([
    [0, 3, { strikes: 1, eject: false }],
    [1, 3, { strikes: 2, eject: false }],
    [2, 3, { strikes: 0, eject: true }],
    [0, 1, { strikes: 0, eject: true }],
  ])('from %i with %i strikes to eject', (from, strikes, expected) => {
    expect(strike(from, { ...LIMITS, strikes })).toEqual(expected);
  });
  it.each([
    [0, 3, { strikes: 0, eject: true }],
    [1, 3, { strikes: 0, eject: true }],
    [0, 1, { strikes: 0, eject: true }],
    [3, 5, { strikes: 0, eject: true }],
  ])(
    'starved of evidence (on hold, its last outstanding request struck): from %i with %i strikes, it opens',
    (from, strikes, expected) => {
      expect(strike(from, { ...LIMITS, strikes }, true)).toEqual(expected);
    },
  );
});

describe('UnresponsiveWatch', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  interface Pending {
    resolve: () => void;
    reject: (err: unknown) => void;
  }
  /** A request to `target` that settles when told to. */
  function request(watch: UnresponsiveWatch, target: string): Pending {
    const p: Partial<Pending> = {};
    void watch
      .track(
        target,
        () =>
          new Promise<void>((resolve, reject) => {
            p.resolve = resolve;
            p.reject = reject;
          }),
      )
      .catch(() => undefined);
    return p as Pending;
  }
  const notFound = new NotFoundError('k');
  const timedOut = Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' });

  /** One fan-out write: a request to each target; the peers answer after `peerMs`. */
  async function fanOut(watch: UnresponsiveWatch, sick: Pending[] | undefined, peerMs: number) {
    const a = request(watch, 'a');
    const b = request(watch, 'b');
    const c = request(watch, 'c');
    sick?.push(a);
    await vi.advanceTimersByTimeAsync(peerMs);
    b.resolve();
    c.resolve();
    await vi.advanceTimersByTimeAsync(0);
    return a;
  }

  /** The peers alone answer a request each, after 1 ms. */
  async function peersAnswer(watch: UnresponsiveWatch) {
    const b = request(watch, 'b');
    const c = request(watch, 'c');
    await vi.advanceTimersByTimeAsync(1);
    b.resolve();
    c.resolve();
    await vi.advanceTimersByTimeAsync(0);
  }

  it('ejects a silent target after 3 overdue requests, sequential writes every 20 ms', async () => {
    const ejected: string[] = [];
    const watch = new UnresponsiveWatch(LIMITS, (t) => ejected.push(t));
    const sick: Pending[] = [];
    let writes = 0;
    while (ejected.length === 0 && writes < 100) {
      await fanOut(watch, sick, 20);
      writes++;
    }
    expect(ejected).toEqual(['a']);
    // The first request is overdue at 500 ms (25 writes), the next two 20 ms later each.
    expect(writes).toBe(27);
    // The late answers (or failures) of the silent requests are handled as before: no error here.
    for (const r of sick) r.reject(timedOut);
    watch.close();
    await vi.advanceTimersByTimeAsync(0);
  });

  it('ejects at once when 3 requests are overdue together (8 writes in flight)', async () => {
    const ejected: string[] = [];
    const watch = new UnresponsiveWatch(LIMITS, (t) => ejected.push(t));
    const sick = Array.from({ length: 8 }, () => request(watch, 'a'));
    await vi.advanceTimersByTimeAsync(500);
    const b = request(watch, 'b');
    await vi.advanceTimersByTimeAsync(0);
    expect(ejected).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    b.resolve();
    await vi.advanceTimersByTimeAsync(0);
    // b was sent after the 8 and answered: all 8 are overdue, 3 strikes in one look.
    expect(ejected).toEqual(['a']);
    for (const r of sick) r.reject(timedOut);
    watch.close();
    await vi.advanceTimersByTimeAsync(0);
  });

  it('never ejects a target answering every request in 300 ms', async () => {
    const ejected: string[] = [];
    const watch = new UnresponsiveWatch(LIMITS, (t) => ejected.push(t));
    const slow: { at: number; p: Pending }[] = [];
    for (let i = 0; i < 200; i++) {
      const a = await fanOut(watch, undefined, 20);
      slow.push({ at: Date.now() + 280, p: a });
      while (slow.length > 0 && slow[0]!.at <= Date.now()) slow.shift()!.p.resolve();
    }
    for (const s of slow) s.p.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(ejected).toEqual([]);
    watch.close();
  });

  it('an answer (even "not found") ends the streak; a failure without an answer does not', async () => {
    const ejected: string[] = [];
    const watch = new UnresponsiveWatch(LIMITS, (t) => ejected.push(t));
    const first = [request(watch, 'a'), request(watch, 'a')];
    await vi.advanceTimersByTimeAsync(600);
    await fanOut(watch, undefined, 1); // both overdue: 2 strikes
    expect(ejected).toEqual([]);
    const late = request(watch, 'a');
    first[0]!.reject(timedOut); // no answer: the streak goes on
    await vi.advanceTimersByTimeAsync(0);
    first[1]!.reject(notFound); // an answer: the streak ends, and `late` was sent before it
    await vi.advanceTimersByTimeAsync(600);
    await fanOut(watch, undefined, 1);
    expect(ejected).toEqual([]);
    late.resolve();
    watch.close();
    await vi.advanceTimersByTimeAsync(0);
  });

  it('no strike without a peer answer to a newer request, nor while this process stalls', async () => {
    const ejected: string[] = [];
    const watch = new UnresponsiveWatch({ ...LIMITS, strikes: 1 }, (t) => ejected.push(t));
    // A peer request sent before the silent one proves nothing about it.
    const b = request(watch, 'b');
    const a = request(watch, 'a');
    await vi.advanceTimersByTimeAsync(1000);
    b.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(ejected).toEqual([]);
    a.resolve();
    await vi.advanceTimersByTimeAsync(0);
    // The process stalls 900 ms (a timer tick that late) right after the silent request was sent.
    const a2 = request(watch, 'a');
    const c = request(watch, 'c');
    vi.setSystemTime(Date.now() + 900);
    await vi.advanceTimersByTimeAsync(50);
    c.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(ejected).toEqual([]);
    // Once it has listened 500 ms with peers answering newer requests: overdue.
    await vi.advanceTimersByTimeAsync(450);
    await fanOut(watch, undefined, 1);
    expect(ejected).toEqual(['a']);
    a2.reject(timedOut);
    watch.close();
    await vi.advanceTimersByTimeAsync(0);
  });

  it("sees this process's stalls through core's stall monitor (its simulated lag)", async () => {
    const ejected: string[] = [];
    const watch = new UnresponsiveWatch({ ...LIMITS, strikes: 1 }, (t) => ejected.push(t));
    const a = request(watch, 'a');
    try {
      // Every tick of the monitor 150 ms late: the process listened far less than 500 ms.
      simulateEventLoopLag(150);
      for (let i = 0; i < 20; i++) await fanOut(watch, undefined, 100);
      expect(ejected).toEqual([]);
    } finally {
      simulateEventLoopLag(0);
    }
    // Listening again: a request sent now is overdue after 500 ms of peers answering newer ones.
    await vi.advanceTimersByTimeAsync(50);
    const a2 = request(watch, 'a');
    for (let i = 0; i < 6 && ejected.length === 0; i++) await fanOut(watch, undefined, 100);
    expect(ejected).toEqual(['a']);
    a.reject(timedOut);
    a2.reject(timedOut);
    watch.close();
    await vi.advanceTimersByTimeAsync(0);
  });

  it('a streamed body that keeps flowing is not silent', async () => {
    const ejected: string[] = [];
    const watch = new UnresponsiveWatch({ ...LIMITS, strikes: 1 }, (t) => ejected.push(t));
    let progress: (() => void) | undefined;
    let done: (() => void) | undefined;
    void watch.track('a', () => {
      progress = watch.activity();
      return new Promise<void>((resolve) => {
        done = resolve;
      });
    });
    expect(watch.activity()).toBeUndefined();
    for (let i = 0; i < 50; i++) {
      await vi.advanceTimersByTimeAsync(100);
      progress!();
      await peersAnswer(watch);
    }
    expect(ejected).toEqual([]);
    // It stops taking bytes: 500 ms later it is overdue.
    for (let i = 0; i < 6; i++) {
      await vi.advanceTimersByTimeAsync(100);
      await peersAnswer(watch);
    }
    expect(ejected).toEqual(['a']);
    done!();
    watch.close();
    await vi.advanceTimersByTimeAsync(0);
  });

  /** A watch with the default hold (no ejection), and the hold changes it reported. */
  function holdWatch(): { watch: UnresponsiveWatch; holds: [string, boolean][] } {
    const holds: [string, boolean][] = [];
    const watch = new UnresponsiveWatch(
      HOLD,
      () => undefined,
      (t, held) => holds.push([t, held]),
    );
    return { watch, holds };
  }

  /** Sequential writes every 10 ms (peers answering in 4 ms) until `a` is held: its requests, and the writes made. */
  async function writeUntilHeld(watch: UnresponsiveWatch): Promise<{ sick: Pending[]; writes: number }> {
    const sick: Pending[] = [];
    let writes = 0;
    while (!watch.held('a') && writes < 100) {
      await fanOut(watch, sick, 4);
      await vi.advanceTimersByTimeAsync(6);
      writes++;
    }
    return { sick, writes };
  }

  it('holds a silent target after 2 late requests (sequential writes every 10 ms), until it answers', async () => {
    const { watch, holds } = holdWatch();
    // Before the fault: the target answers in 4 ms, as its peers do.
    for (let i = 0; i < 20; i++) (await fanOut(watch, undefined, 4)).resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(holds).toEqual([]);
    const { sick, writes } = await writeUntilHeld(watch);
    // Its first request is late at 20 ms (seen as the third write asks, before its copy), its
    // second 10 ms later (as the fourth asks: no fourth copy is sent).
    expect(writes).toBe(3);
    expect(holds).toEqual([['a', true]]);
    expect([watch.held('b'), watch.held('c')]).toEqual([false, false]);
    // Any answer lifts it (the target is there), and its older requests are not late again.
    sick[0]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(holds).toEqual([
      ['a', true],
      ['a', false],
    ]);
    for (let i = 0; i < 5; i++) await fanOut(watch, undefined, 4).then((a) => a.resolve());
    expect(watch.held('a')).toBe(false);
    for (const r of sick.slice(1)) r.resolve();
    watch.close();
    await vi.advanceTimersByTimeAsync(0);
  });

  /** A watch that ejects and holds (after one late request), warmed up with 20 fast answers. */
  async function ejectingWatch(): Promise<{ watch: UnresponsiveWatch; ejected: string[] }> {
    const ejected: string[] = [];
    const watch = new UnresponsiveWatch({ ...LIMITS, hold: { afterMs: 20, requests: 1 } }, (t) =>
      ejected.push(t),
    );
    for (let i = 0; i < 20; i++) (await fanOut(watch, undefined, 4)).resolve();
    return { watch, ejected };
  }

  /**
   * Sequential writes every 25 ms until `a` is ejected (3 s at most); like a parallel write, none
   * sends a copy to a held target. Its copies go to `sick`; returns the time it took.
   */
  async function writeUntilEjected(watch: UnresponsiveWatch, ejected: string[], sick: Pending[]) {
    let ms = 0;
    while (ejected.length === 0 && ms < 3000) {
      if (!watch.held('a')) sick.push(request(watch, 'a'));
      await peersAnswer(watch);
      await vi.advanceTimersByTimeAsync(24);
      ms += 25;
    }
    return ms;
  }

  it('a held target gets no new copy, so its breaker opens once its one outstanding copy is overdue (not three)', async () => {
    const { watch, ejected } = await ejectingWatch();
    const sick: Pending[] = [];
    const ms = await writeUntilEjected(watch, ejected, sick);
    expect(ejected).toEqual(['a']);
    // Held once its first copy was late (20 ms silent, seen as the second write asks).
    expect(sick.length).toBe(1);
    // That copy is overdue 500 ms after it was sent: it strikes, nothing else can, and it is left
    // then, not seconds later when its own time limit ends it.
    expect(ms).toBeLessThan(600);
    for (const r of sick) r.reject(timedOut);
    watch.close();
    await vi.advanceTimersByTimeAsync(0);
  });

  it('a request sent before its target last answered cannot strike, so it does not keep a held target from being left', async () => {
    const { watch, ejected } = await ejectingWatch();
    // The fault starts between two requests: the first goes unanswered, the second (sent before
    // the fault reached it) is answered after the first was sent.
    const sick = [request(watch, 'a')];
    const answered = request(watch, 'a');
    await vi.advanceTimersByTimeAsync(2);
    answered.resolve();
    await vi.advanceTimersByTimeAsync(0);
    const ms = await writeUntilEjected(watch, ejected, sick);
    // Left once the one copy that can strike (sent after that answer) is overdue, not at the
    // copies' own time limits.
    expect(ejected).toEqual(['a']);
    expect(sick.length).toBe(2);
    expect(ms).toBeLessThan(600);
    for (const r of sick) r.reject(timedOut);
    watch.close();
    await vi.advanceTimersByTimeAsync(0);
  });

  it('its own occasional slow answers do not raise its bar: the median of its last 16 answers counts', async () => {
    const { watch, holds } = holdWatch();
    // Before the fault: 14 answers in 4 ms and 2 slow ones in 200 ms (a GC, a busy host).
    for (let i = 0; i < 16; i++) {
      const a = request(watch, 'a');
      await vi.advanceTimersByTimeAsync(i === 5 || i === 11 ? 200 : 4);
      a.resolve();
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(holds).toEqual([]);
    const { sick, writes } = await writeUntilHeld(watch);
    // As with no slow answer at all: late at 20 ms (1.5 x 4 ms is below holdMs), held as the 4th
    // write asks; the second-slowest answer (200 ms) would have set the bar at 400 ms (40 writes).
    expect(writes).toBe(3);
    for (const r of sick) r.resolve();
    watch.close();
    await vi.advanceTimersByTimeAsync(0);
  });

  it('a held target whose silent requests fail unanswered stays held 2 s after the last, then comes off hold', async () => {
    const { watch, holds } = holdWatch();
    const sick = [request(watch, 'a'), request(watch, 'a')];
    await vi.advanceTimersByTimeAsync(30);
    await peersAnswer(watch);
    expect(watch.held('a')).toBe(true);
    sick[0]!.reject(timedOut);
    await vi.advanceTimersByTimeAsync(1000);
    sick[1]!.reject(timedOut);
    await vi.advanceTimersByTimeAsync(1900);
    expect(watch.held('a')).toBe(true); // 1.9 s after the last one ended
    await vi.advanceTimersByTimeAsync(200);
    expect(watch.held('a')).toBe(false);
    // No answer since: the next late request alone holds it again.
    const again = request(watch, 'a');
    await vi.advanceTimersByTimeAsync(30);
    await peersAnswer(watch);
    expect(watch.held('a')).toBe(false); // one late request outstanding: below holdRequests
    again.reject(timedOut);
    await vi.advanceTimersByTimeAsync(0);
    expect(watch.held('a')).toBe(true);
    watch.close();
    expect(holds).toEqual([
      ['a', true],
      ['a', false],
      ['a', true],
    ]);
  });

  it('late requests cancelled when a peer won the race (a hedge) hold the target after two in a row; an answer lifts it', async () => {
    const { watch, holds } = holdWatch();
    const cancelled = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    for (let i = 0; i < 2; i++) {
      const primary = request(watch, 'a');
      await vi.advanceTimersByTimeAsync(300); // the hedge delay
      const hedge = request(watch, 'b');
      await vi.advanceTimersByTimeAsync(5);
      hedge.resolve();
      primary.reject(cancelled); // the router cancels the loser at once
      await vi.advanceTimersByTimeAsync(0);
      expect(watch.held('a')).toBe(i === 1);
    }
    const answer = request(watch, 'a');
    await vi.advanceTimersByTimeAsync(3);
    answer.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(watch.held('a')).toBe(false);
    watch.close();
    expect(holds).toEqual([
      ['a', true],
      ['a', false],
    ]);
  });

  it('a race lost before the late bar (a hedge sooner than the target is late) holds nothing', async () => {
    const { watch } = holdWatch();
    const cancelled = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    for (let i = 0; i < 10; i++) {
      const primary = request(watch, 'a');
      await vi.advanceTimersByTimeAsync(5);
      const hedge = request(watch, 'b');
      await vi.advanceTimersByTimeAsync(3);
      hedge.resolve();
      primary.reject(cancelled);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(watch.held('a')).toBe(false);
    watch.close();
  });

  it('a target answering every request in 300 ms is held only before its first answers', async () => {
    const { watch, holds } = holdWatch();
    const slow: { at: number; p: Pending }[] = [];
    let heldWrites = 0;
    for (let i = 0; i < 200; i++) {
      if (watch.held('a')) heldWrites++;
      const a = await fanOut(watch, undefined, 5);
      await vi.advanceTimersByTimeAsync(5);
      slow.push({ at: Date.now() + 290, p: a });
      while (slow.length > 0 && slow[0]!.at <= Date.now()) slow.shift()!.p.resolve();
    }
    for (const s of slow) s.p.resolve();
    await vi.advanceTimersByTimeAsync(0);
    // Held until its first answer (300 ms: 30 writes), then its own latency sets the bar (600 ms).
    expect(holds).toEqual([
      ['a', true],
      ['a', false],
    ]);
    expect(heldWrites).toBeLessThan(30);
    watch.close();
  });

  it('off (no limits): records nothing', async () => {
    const watch = new UnresponsiveWatch(undefined, () => {
      throw new Error('never');
    });
    const a = request(watch, 'a');
    await vi.advanceTimersByTimeAsync(5000);
    await fanOut(watch, undefined, 1);
    expect(vi.getTimerCount()).toBe(0);
    a.resolve();
    watch.close();
  });
});
