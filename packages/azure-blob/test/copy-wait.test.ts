import { StorageError } from '@failover/storage';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CopyStatusView, waitForCopy } from '../src/copy.js';

// azurite completes every copy at once, so the polling of a `pending` copy (which real Azure can
// answer, e.g. for large or cross-account copies) is checked here with scripted status reads.
const failure = (kind: 'unavailable' | 'unknown', message: string) => new StorageError(kind, message);

function script(...statuses: CopyStatusView[]) {
  const reads = vi.fn(async () => statuses.shift() ?? { copyId: 'id', copyStatus: 'pending' });
  return reads;
}

describe('waitForCopy', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('polls once per interval until the copy succeeds', async () => {
    const reads = script({ copyId: 'id', copyStatus: 'pending' }, { copyId: 'id', copyStatus: 'success' });
    let done = false;
    const wait = waitForCopy(reads, 'id', undefined, failure, 1000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(reads).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    await wait;
    expect(done).toBe(true);
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it.each([
    [
      { copyId: 'id', copyStatus: 'failed', copyStatusDescription: '500 InternalError' },
      'unavailable',
      '500 InternalError',
    ],
    [{ copyId: 'id', copyStatus: 'aborted' }, 'unknown', 'aborted on the service'],
    [{ copyId: 'other', copyStatus: 'success' }, 'unknown', 'another copy'],
  ] as const)('ends badly on %o', async (status, kind, text) => {
    const wait = waitForCopy(script(status), 'id', undefined, failure, 1000);
    const settled = wait.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    const err = await settled;
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ kind });
    expect((err as Error).message).toContain(text);
  });

  it('stops waiting when the signal aborts, without another read', async () => {
    const reads = script();
    const controller = new AbortController();
    const settled = waitForCopy(reads, 'id', controller.signal, failure, 1000).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1500);
    expect(reads).toHaveBeenCalledTimes(1);
    controller.abort('stop');
    const err = await settled;
    expect(err).toMatchObject({ name: 'AbortError', cause: 'stop' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(reads).toHaveBeenCalledTimes(1);
  });
});
