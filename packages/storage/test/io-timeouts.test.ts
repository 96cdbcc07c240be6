import { failedBeforeSending, InvalidOptionError } from '@failover/core';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_IO_TIMEOUTS,
  InvalidArgumentError,
  operationIoTimeouts,
  resolveIoTimeouts,
  TransferError,
} from '../src/index.js';
import { decide, newClock, type RequestSample, shiftClock } from '../src/io/request-clock.js';

const T = { connectTimeoutMs: 100, responseTimeoutMs: 200, idleTimeoutMs: 300, commitTimeoutMs: 1000 };

function sample(now: number, over: Partial<RequestSample> = {}): RequestSample {
  return {
    now,
    hasSocket: true,
    connecting: false,
    pendingBytes: 0,
    sentBytes: 0,
    finished: true,
    hasResponse: false,
    receivedBytes: 0,
    readerBusy: false,
    ...over,
  };
}

/** Feeds samples in order and returns the first failed phase (or undefined). */
function run(samples: RequestSample[]): string | undefined {
  let clock = newClock(0);
  for (const s of samples) {
    const next = decide(clock, s, T);
    clock = next.clock;
    if (next.failed) return next.failed;
  }
  return undefined;
}

describe('the request watchdog decision (pure, no clock)', () => {
  it('a request queued for a socket is never timed; a connect that takes too long is', () => {
    expect(run([sample(0, { hasSocket: false }), sample(10_000, { hasSocket: false })])).toBeUndefined();
    expect(run([sample(0, { connecting: true }), sample(99, { connecting: true })])).toBeUndefined();
    expect(run([sample(0, { connecting: true }), sample(100, { connecting: true })])).toBe('connect');
  });

  it('bytes waiting that the connection does not take are an upload stall; bytes moving are not', () => {
    const waiting = { finished: false, pendingBytes: 1000 };
    expect(run([sample(0, { ...waiting, sentBytes: 0 }), sample(300, { ...waiting, sentBytes: 0 })])).toBe(
      'upload',
    );
    expect(
      run([0, 200, 400, 600, 800].map((t) => sample(t, { ...waiting, sentBytes: t * 10 }))),
    ).toBeUndefined();
  });

  it('a caller slow to produce its body (nothing waiting) is not a stall', () => {
    const slowCaller = { finished: false, pendingBytes: 0, sentBytes: 5 };
    expect(run([0, 1000, 5000].map((t) => sample(t, slowCaller)))).toBeUndefined();
  });

  it('the response timer starts once the whole request was handed over', () => {
    expect(
      run([
        sample(0, { finished: false, pendingBytes: 10 }),
        sample(250, { finished: false, pendingBytes: 10, sentBytes: 1 }),
        sample(260),
        sample(459),
      ]),
    ).toBeUndefined();
    expect(run([sample(0), sample(200)])).toBe('response');
  });

  it('a body that stops arriving while the reader waits is a download stall; a busy reader is not', () => {
    const body = { hasResponse: true };
    expect(
      run([sample(0, { ...body, receivedBytes: 10 }), sample(300, { ...body, receivedBytes: 10 })]),
    ).toBe('download');
    expect(
      run([0, 300, 600, 900].map((t) => sample(t, { ...body, receivedBytes: 10, readerBusy: true }))),
    ).toBeUndefined();
    expect(run([0, 250, 500, 750].map((t) => sample(t, { ...body, receivedBytes: t })))).toBeUndefined();
  });

  it('time this process spent blocked is not counted (the clock is shifted past it)', () => {
    let clock = decide(newClock(0), sample(0), T).clock;
    // The event loop was blocked for 5 s: shifted by it, the request is as fresh as before.
    clock = shiftClock(clock, 5000);
    expect(decide(clock, sample(5100), T).failed).toBeUndefined();
    expect(decide(clock, sample(5200), T).failed).toBe('response');
  });

  it('0 turns a bound off', () => {
    const off = { connectTimeoutMs: 0, responseTimeoutMs: 0, idleTimeoutMs: 0, commitTimeoutMs: 0 };
    let clock = newClock(0);
    for (const s of [sample(0, { connecting: true }), sample(1e9, { connecting: true })]) {
      const next = decide(clock, s, off);
      clock = next.clock;
      expect(next.failed).toBeUndefined();
    }
  });
});

describe('IoTimeouts options', () => {
  it('defaults, and exact paths for bad values', () => {
    expect(resolveIoTimeouts(undefined)).toEqual(DEFAULT_IO_TIMEOUTS);
    expect(resolveIoTimeouts({ idleTimeoutMs: 0 })).toEqual({ ...DEFAULT_IO_TIMEOUTS, idleTimeoutMs: 0 });
    for (const [value, path] of [
      [{ idleTimeoutMs: -1 }, 'timeouts.idleTimeoutMs'],
      [{ connectTimeoutMs: 1.5 }, 'timeouts.connectTimeoutMs'],
      [{ responseTimeoutMs: '5' }, 'timeouts.responseTimeoutMs'],
      [{ commitTimeoutMs: 2 ** 31 }, 'timeouts.commitTimeoutMs'],
      [{ idleTimeout: 5 }, 'timeouts.idleTimeout'],
      [null, 'timeouts'],
      [[], 'timeouts'],
    ] as const) {
      const err = (() => {
        try {
          resolveIoTimeouts(value);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(InvalidOptionError);
      expect((err as InvalidOptionError).option).toBe(path);
    }
  });

  it('a call overrides field by field; a bad call value is an InvalidArgumentError', () => {
    const store = resolveIoTimeouts({ idleTimeoutMs: 5000 });
    expect(operationIoTimeouts(store, { responseTimeoutMs: 10 })).toEqual({
      ...store,
      responseTimeoutMs: 10,
    });
    expect(operationIoTimeouts(store, undefined)).toBe(store);
    expect(() => operationIoTimeouts(store, { idleTimeoutMs: -5 }, 'k')).toThrow(InvalidArgumentError);
    expect(() => operationIoTimeouts(store, { idleTimeoutMs: -5 }, 'k')).toThrow(/timeouts\.idleTimeoutMs/);
  });

  it('TransferError: timeout for connect and response, network for stalls and cuts', () => {
    const ctx = { target: 'aws', operation: 'get', key: 'a' };
    const connect = new TransferError('connect', 1000, ctx);
    expect(connect).toMatchObject({ kind: 'timeout', code: 'ETIMEDOUT', neverSent: true });
    // A connect timeout proves the request never left; a response timeout does not.
    expect(failedBeforeSending(connect)).toBe(true);
    expect(failedBeforeSending(new TransferError('response', 2000, ctx))).toBe(false);
    expect(new TransferError('response', 2000, ctx).kind).toBe('timeout');
    for (const phase of ['upload', 'download', 'cut'] as const) {
      expect(new TransferError(phase, 2000, ctx)).toMatchObject({ kind: 'network', target: 'aws', key: 'a' });
    }
    expect(new TransferError('response', 30_000, ctx, 'commitTimeoutMs').message).toContain(
      'timeouts.commitTimeoutMs',
    );
  });
});
