import { InvalidOptionError, resolveOptions } from '@failover/core';
import { createMemoryJournal, type MultiCloudStoreOptions } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { MULTI_DEFAULTS, resolveMultiOptions } from '../src/multi/options.js';
import { switchable } from './multi-helpers.js';

const targets = () => [switchable('a'), switchable('b'), switchable('c')];
const journal = createMemoryJournal();

function thrown(options: unknown): InvalidOptionError {
  try {
    resolveMultiOptions(options as MultiCloudStoreOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return err as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('multi-cloud store options: one reader, full paths, the same wording', () => {
  it.each([
    [{ targets: 'a' }, 'targets', 'must be a non-empty array of BlobStores, in order of preference, got "a"'],
    [{ targets: undefined }, 'targets', 'is required (a non-empty array of BlobStores'],
    [{ targets: [switchable('a'), 5] }, 'targets[1]', 'must be a BlobStore, got 5'],
    [{ targets: [switchable('a'), switchable('a')] }, 'targets[1]', 'has the name "a" of another target'],
    [{ writes: 'all' }, 'writes', `must be 'primary', 'mirror' or { quorum, minimum? }, got "all"`],
    [
      { writes: { quorum: 4 } },
      'writes.quorum',
      'must be an integer from 1 to 3 (the number of targets), got 4',
    ],
    [{ writes: {} }, 'writes.quorum', 'is required (an integer from 1 to 3 (the number of targets))'],
    [{ writes: { quorum: 2, minimum: 3 } }, 'writes.minimum', 'from 1 to 2 (writes.quorum), got 3'],
    [{ writes: { quorum: 2, min: 1 } }, 'writes.min', 'is not a known option (known: quorum, minimum)'],
    [
      { journal: {} },
      'journal',
      'must be a Journal (createFileJournal({ dir }) or createMemoryJournal()), got an object',
    ],
    [{ failover: 5 }, 'failover', 'must be an object, got 5'],
    [{ failover: { targets: [] } }, 'failover.targets', 'is set by the store from `targets`; leave it out'],
    [
      { failover: { retry: { maxAttempts: 0 } } },
      'failover.retry.maxAttempts',
      'must be an integer from 1 to 10, got 0',
    ],
    [
      { failover: { breaker: { resetTimeoutMs: 0 } } },
      'failover.breaker.resetTimeoutMs',
      'must be an integer from 1 to 86400000, got 0',
    ],
    [
      { failover: { breaker: { consecutiveConnectFailures: -1 } } },
      'failover.breaker.consecutiveConnectFailures',
      'from 0 to 1000',
    ],
    [
      { failover: { retry: { baseDelayMs: 500, maxDelayMs: 100 } } },
      'failover.retry.maxDelayMs',
      'from 500 (failover.retry.baseDelayMs) to 300000, got 100',
    ],
    [{ failover: { retries: 3 } }, 'failover.retries', 'is not a known option'],
    [{ failover: { budget: true } }, 'failover.budget', 'must be an object or false, got true'],
    [
      { repair: { intervalMs: 1 } },
      'repair.intervalMs',
      'must be false or an integer from 10 to 86400000, got 1',
    ],
    [{ repair: { delayMs: -1 } }, 'repair.delayMs', 'must be false or an integer from 0 to 86400000, got -1'],
    [{ repair: { concurrency: 0 } }, 'repair.concurrency', 'must be an integer from 1 to 256, got 0'],
    [{ repair: { settleMs: 3_600_001 } }, 'repair.settleMs', 'from 0 to 3600000'],
    [{ repair: { onRecovery: 'yes' } }, 'repair.onRecovery', 'must be a boolean, got "yes"'],
    [{ repair: { interval: 5 } }, 'repair.interval', 'is not a known option (known: intervalMs, delayMs,'],
    [{ spool: { memoryBytes: -1 } }, 'spool.memoryBytes', 'from 0 to 1073741824 (1 GiB), got -1'],
    [{ spool: { dir: '' } }, 'spool.dir', 'must be a non-empty directory path, got ""'],
    [{ reads: { bufferBytes: 1.5 } }, 'reads.bufferBytes', 'from 0 to 268435456 (256 MiB), got 1.5'],
    [{ amnesia: true }, 'amnesia', 'must be an object or false, got true'],
    [{ amnesia: { recheckMs: -1 } }, 'amnesia.recheckMs', 'from 0 to 3600000, got -1'],
    [{ amnesia: { journal: 'yes' } }, 'amnesia.journal', 'must be a boolean, got "yes"'],
    [{ amnesia: { journalLeaseMs: 5 } }, 'amnesia.journalLeaseMs', 'from 10 to 3600000, got 5'],
    [{ unresponsive: true }, 'unresponsive', 'must be an object or false, got true'],
    [{ unresponsive: { afterMs: 5 } }, 'unresponsive.afterMs', 'from 10 to 3600000, got 5'],
    [{ unresponsive: { factor: 0.5 } }, 'unresponsive.factor', 'from 1 to 1000, got 0.5'],
    [{ unresponsive: { strikes: 0 } }, 'unresponsive.strikes', 'must be an integer from 1 to 1000, got 0'],
    [{ unresponsive: { holdMs: 0 } }, 'unresponsive.holdMs', 'false or an integer from 1 to 3600000'],
    [{ unresponsive: { holdMs: true } }, 'unresponsive.holdMs', 'false or an integer'],
    [{ unresponsive: { holdRequests: 0 } }, 'unresponsive.holdRequests', 'from 1 to 1000, got 0'],
    [{ unresponsive: { after: 5 } }, 'unresponsive.after', 'is not a known option (known: afterMs, factor,'],
    [
      { writerId: 'Has Space' },
      'writerId',
      'must be 1 to 64 characters of a-z, 0-9, "_" or "-", got "Has Space"',
    ],
    [{ name: '' }, 'name', 'must be a non-empty string, got ""'],
    [{ reapir: {} }, 'reapir', 'is not a known option (known: targets, writes, journal, failover, repair,'],
  ])('%o -> %s', (extra, option, message) => {
    const err = thrown({ targets: targets(), journal, ...extra });
    expect(err.option).toBe(option);
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain(`Invalid option "${option}": `);
    expect(err.message).toContain(message);
  });

  it('refuses options that are not an object', () => {
    expect(thrown('x').message).toBe('Invalid option "options": must be an object, got "x"');
  });

  it('leaves a failing cloud after 3 failed copies in a row by default (core: 5), and keeps what is given', () => {
    const t = targets();
    const breaker = (failover?: MultiCloudStoreOptions['failover']) =>
      resolveMultiOptions({ targets: t, journal, ...(failover ? { failover } : {}) }).failover.breaker;
    expect(MULTI_DEFAULTS.consecutiveFailures).toBe(3);
    expect(breaker()).toEqual({ consecutiveFailures: 3 });
    expect(breaker({ breaker: { resetTimeoutMs: 500 } })).toEqual({
      resetTimeoutMs: 500,
      consecutiveFailures: 3,
    });
    expect(breaker({ breaker: { consecutiveFailures: 7 } })).toEqual({ consecutiveFailures: 7 });
    expect(breaker({ breaker: { consecutiveFailures: 0 } })).toEqual({ consecutiveFailures: 0 });
    expect(breaker({ breaker: { consecutiveFailures: undefined } })).toEqual({ consecutiveFailures: 3 });
    // The router the store builds: 3 in a row, 2 when they prove the cloud unreachable, 2 of one
    // operation while others succeed (a cloud sick for reads only).
    const resolved = resolveOptions({ ...resolveMultiOptions({ targets: t, journal }).failover, targets: t });
    expect(resolved.breaker).toMatchObject({
      consecutiveFailures: 3,
      consecutiveConnectFailures: 2,
      consecutiveOperationFailures: 2,
    });
  });

  it('keeps every default and accepted value', () => {
    const t = targets();
    const r = resolveMultiOptions({ targets: t, journal });
    expect(r.writes).toEqual({ quorum: 2, minimum: 1 });
    expect([r.quorum, r.minimum]).toEqual([2, 1]);
    expect(r.repairIntervalMs).toBe(MULTI_DEFAULTS.repairIntervalMs);
    expect(r.repairDelayMs).toBe(MULTI_DEFAULTS.repairDelayMs);
    expect(r.repairConcurrency).toBe(MULTI_DEFAULTS.repairConcurrency);
    expect(r.settleMs).toBe(MULTI_DEFAULTS.settleMs);
    expect(r.repairOnRecovery).toBe(true);
    expect(r.amnesiaRecheckMs).toBe(MULTI_DEFAULTS.amnesiaRecheckMs);
    expect(r.amnesiaJournal).toBe(true);
    expect(r.amnesiaJournalLeaseMs).toBe(MULTI_DEFAULTS.amnesiaJournalLeaseMs);
    expect(
      resolveMultiOptions({ targets: t, journal, amnesia: { journalLeaseMs: 500 } }).amnesiaJournalLeaseMs,
    ).toBe(500);
    expect(resolveMultiOptions({ targets: t, journal, amnesia: false }).amnesiaJournalLeaseMs).toBe(
      MULTI_DEFAULTS.amnesiaJournalLeaseMs,
    );
    expect(resolveMultiOptions({ targets: t, journal, amnesia: { journal: false } }).amnesiaJournal).toBe(
      false,
    );
    const hold = { afterMs: 20, requests: 1 };
    expect(r.unresponsive).toEqual({ afterMs: 500, factor: 4, strikes: 3, hold });
    expect(resolveMultiOptions({ targets: t, journal, unresponsive: { factor: 2.5 } }).unresponsive).toEqual({
      afterMs: 500,
      factor: 2.5,
      strikes: 3,
      hold,
    });
    expect(
      resolveMultiOptions({ targets: t, journal, unresponsive: { holdMs: false } }).unresponsive?.hold,
    ).toBeUndefined();
    expect(
      resolveMultiOptions({ targets: t, journal, unresponsive: { holdMs: 50, holdRequests: 3 } }).unresponsive
        ?.hold,
    ).toEqual({ afterMs: 50, requests: 3 });
    expect(r.spoolMemoryBytes).toBe(MULTI_DEFAULTS.spoolMemoryBytes);
    expect(r.readBufferBytes).toBe(MULTI_DEFAULTS.readBufferBytes);
    expect(r.name).toBe('multi(a,b,c)');
    expect(r.writerId).toMatch(/^[a-z0-9_-]{1,64}$/);
    expect(resolveMultiOptions({ targets: [t[0]!], journal }).writes).toEqual({ quorum: 1 });
    const off = resolveMultiOptions({
      targets: t,
      journal,
      writes: { quorum: 3, minimum: 2 },
      repair: { intervalMs: false, delayMs: false, settleMs: 0, onRecovery: false },
      amnesia: false,
      failover: { budget: false, hedge: { afterMs: 5 } },
    });
    expect([off.quorum, off.minimum, off.repairIntervalMs, off.repairDelayMs]).toEqual([
      3,
      2,
      undefined,
      undefined,
    ]);
    expect(off.amnesiaRecheckMs).toBeUndefined();
    expect(off.amnesiaJournal).toBe(false);
    expect(resolveMultiOptions({ targets: t, journal, unresponsive: false }).unresponsive).toBeUndefined();
    expect(
      resolveMultiOptions({ targets: t, journal, writes: { quorum: 2, minimum: 2 } }).minimum,
    ).toBeUndefined();
    expect(resolveMultiOptions({ targets: t, journal, writes: 'primary' }).quorum).toBe(1);
    expect(resolveMultiOptions({ targets: t, journal, writes: 'mirror' }).quorum).toBeUndefined();
    expect(
      resolveMultiOptions({ targets: t, journal, repair: { intervalMs: 10, delayMs: 0 } }).repairIntervalMs,
    ).toBe(10);
  });
});
