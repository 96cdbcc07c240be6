import { describe, expect, it } from 'vitest';
import { gateAction, RedisNotReadyError } from '../src/ioredis-gate.js';

describe('the ioredis ready gate', () => {
  it.each([
    ['ready', 'send'],
    // A connection attempt under way (first connect or a reconnect): wait, at most the call's timeout.
    ['connecting', 'wait'],
    ['connect', 'wait'],
    // Known lost or closed: fail at once, so a fallback takes over at once; never queue in ioredis.
    ['reconnecting', 'refuse'],
    ['close', 'refuse'],
    ['end', 'refuse'],
    ['wait', 'refuse'],
    ['monitoring', 'refuse'],
    ['something-new', 'refuse'],
  ])('status %s: %s', (status, action) => {
    expect(gateAction(status)).toBe(action);
  });

  it.each([
    ['reconnecting', 'the ioredis client is not ready (its connection was lost; it is reconnecting)'],
    ['end', 'the ioredis client is not ready (it was closed)'],
    ['wait', 'the ioredis client is not ready (never connected: a lazyConnect client needs connect() first)'],
    ['connect', 'the ioredis client is not ready (it did not finish connecting)'],
    // A status it does not know is not echoed.
    ['redis://:pw@host', 'the ioredis client is not ready (status unknown)'],
  ])('says why for status %s', (status, message) => {
    const error = new RedisNotReadyError(status);
    expect(error.message).toBe(message);
    expect(error.name).toBe('RedisNotReadyError');
  });
});
