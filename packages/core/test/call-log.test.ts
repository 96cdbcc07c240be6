import { describe, expect, it } from 'vitest';
import { CallLog } from '../src/call-log.js';
import { claim, NEXT } from '../src/claim.js';
import { TypedEmitter } from '../src/emitter.js';
import type { FailoverEvents } from '../src/events.js';
import type { TargetHealth } from '../src/target-health.js';

/** The part of a target's health the log and `claim` read, with a breaker that admits or not. */
function target(name: string, admits: boolean): TargetHealth<unknown> {
  const openError = Object.assign(new Error(`${name} open`), { kind: 'unavailable' });
  let rejections = 0;
  return {
    name,
    hedges: 0,
    admits: () => admits,
    get openError() {
      return openError;
    },
    skipped: () => {
      rejections++;
    },
    get rejections() {
      return rejections;
    },
  } as unknown as TargetHealth<unknown>;
}

describe('CallLog (what one call did)', () => {
  it('records attempts, failures and skips per target, and the outcome in target order', () => {
    const [a, b, c] = [target('a', false), target('b', true), target('c', true)];
    const log = new CallLog([a, b, c]);
    expect(log.failureList()).toEqual([]);
    log.skipped(0);
    log.started(1);
    log.started(1);
    const e = new Error('503');
    log.failed(1, 'unavailable', e);
    log.started(2);
    expect(log.primary).toBe(1);
    expect(log.lastStarted).toBe(c);
    expect(log.totalAttempts).toBe(3);
    expect(log.lastKind).toBe('unavailable');
    expect(log.lastError).toBe(e);
    expect(log.failureList()).toEqual([
      { target: 'a', kind: 'unavailable', cause: a.openError, attempts: 0 },
      { target: 'b', kind: 'unavailable', cause: e, attempts: 2 },
    ]);
  });

  it('keeps the failures of earlier attempts on a target; a skip after attempts keeps their record', () => {
    const a = target('a', true);
    const log = new CallLog([a]);
    const cut = new Error('ECONNRESET');
    const refused = new Error('ECONNREFUSED');
    log.started(0);
    log.failed(0, 'network', cut);
    log.started(0);
    log.failed(0, 'network', refused);
    const record = {
      target: 'a',
      kind: 'network',
      cause: refused,
      attempts: 2,
      earlier: [{ kind: 'network', cause: cut }],
    };
    expect(log.failureList()).toEqual([record]);
    // Its breaker opened meanwhile: the skip is the call's last failure, the attempts stay listed.
    log.skipped(0);
    expect(log.lastError).toBe(a.openError);
    expect(log.failureList()).toEqual([record]);
  });

  it('nextAdmitting / hasNext look only past the claimed targets', () => {
    const log = new CallLog([target('a', true), target('b', false), target('c', true)]);
    expect(log.nextAdmitting()?.name).toBe('a');
    log.next = 1;
    expect(log.nextAdmitting()?.name).toBe('c');
    log.next = 3;
    expect(log.hasNext()).toBe(false);
  });
});

describe('claim (which target a lane goes to next)', () => {
  it('skips targets whose breaker is open (recorded; the last one skipped is where the failover comes from)', () => {
    const events = new TypedEmitter<FailoverEvents>();
    const failovers: unknown[] = [];
    events.on('failover', (e) => failovers.push(e));
    const [a, b, c] = [target('a', false), target('b', false), target('c', true)];
    const log = new CallLog([a, b, c]);
    expect(claim(log, events, undefined, undefined, undefined)).toBe(2);
    expect(log.next).toBe(3);
    expect(log.failovers).toBe(1);
    expect(failovers).toEqual([{ from: 'b', to: 'c', kind: 'unavailable', error: b.openError }]);
    expect(log.failureList().map((f) => f.target)).toEqual(['a', 'b']);
    expect(claim(log, events, undefined, undefined, undefined)).toBe(NEXT);
  });

  it('a hedge lane announces a hedge (with its wait), not a failover', () => {
    const events = new TypedEmitter<FailoverEvents>();
    const seen: unknown[] = [];
    events.on('hedge', (e) => seen.push(e));
    events.on('failover', (e) => seen.push(e));
    const [a, b] = [target('a', true), target('b', true)];
    const log = new CallLog([a, b]);
    log.next = 1;
    expect(claim(log, events, undefined, a, { delay: () => 40 })).toBe(1);
    expect(seen).toEqual([{ from: 'a', to: 'b', afterMs: 40 }]);
    expect(log.failovers).toBe(0);
    expect(b.hedges).toBe(1);
  });
});
