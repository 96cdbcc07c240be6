import { AllTargetsFailedError, InvalidOptionError } from '@failover/core';
import {
  createMemoryJournal,
  createMultiCloudStore,
  defaultJournalDir,
  getBytes,
  getText,
  InvalidArgumentError,
  type Journal,
  type MultiCloudStore,
  type MultiCloudStoreOptions,
  NotFoundError,
  PreconditionFailedError,
  QuorumNotReachedError,
  StorageError,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { CLOUDS, useMultiStores } from './multi-fixtures.js';
import { copiesOf, keysOf, type SwitchableStore, sha256, switchable } from './multi-helpers.js';

const multi = useMultiStores();

function setup(
  options: Partial<MultiCloudStoreOptions> = {},
  names: readonly string[] = CLOUDS,
): { store: MultiCloudStore; targets: SwitchableStore[]; journal: Journal } {
  return multi.setup(
    options,
    names.map((n) => switchable(n)),
  );
}

describe('createMultiCloudStore options', () => {
  const t = () => [switchable('a'), switchable('b'), switchable('c')];
  const journal = createMemoryJournal();

  it('refuses bad options with an InvalidOptionError naming the option', () => {
    const bad: [Partial<MultiCloudStoreOptions>, string][] = [
      [{ targets: [] }, 'targets'],
      [{ targets: [switchable('a'), switchable('a')] }, 'targets[1]'],
      [{ targets: [switchable('a'), {} as never] }, 'targets[1]'],
      [{ writes: { quorum: 0 } }, 'writes.quorum'],
      [{ writes: { quorum: 4 } }, 'writes.quorum'],
      [{ writes: { quorum: 1.5 } }, 'writes.quorum'],
      [{ writes: 'all' as never }, 'writes'],
      [{ journal: {} as never }, 'journal'],
      [{ failover: { retry: { maxAttempts: 0 } } }, 'failover.retry.maxAttempts'],
      [{ failover: { targets: [] } as never }, 'failover.targets'],
      [{ repair: { concurrency: 0 } }, 'repair.concurrency'],
      [{ repair: { intervalMs: 1 } }, 'repair.intervalMs'],
      [{ spool: { memoryBytes: -1 } }, 'spool.memoryBytes'],
      [{ reads: { bufferBytes: 1.5 } }, 'reads.bufferBytes'],
      [{ writerId: 'Has Space' }, 'writerId'],
    ];
    for (const [options, option] of bad) {
      let err: unknown;
      try {
        createMultiCloudStore({ targets: t(), journal, ...options });
      } catch (e) {
        err = e;
      }
      expect(err, option).toBeInstanceOf(InvalidOptionError);
      expect((err as InvalidOptionError).option).toBe(option);
    }
  });

  it('defaults the journal to a directory derived from the target names', () => {
    const dir = defaultJournalDir(t());
    expect(dir).toBe(defaultJournalDir(t()));
    expect(dir).toMatch(/[/\\]\.failover[/\\]journal[/\\][0-9a-f]{16}$/);
    expect(dir.startsWith(process.cwd())).toBe(true);
    expect(defaultJournalDir([switchable('other')])).not.toBe(dir);
  });

  it('accepts quorum from 1 to the number of targets', async () => {
    for (const quorum of [1, 2, 3]) {
      const s = createMultiCloudStore({ targets: t(), journal: createMemoryJournal(), writes: { quorum } });
      await s.close();
    }
  });
});

describe('metadata', () => {
  it('stamps every write with a version and a SHA-256, and hides them from the caller', async () => {
    const { store, targets } = setup({ writes: 'mirror', writerId: 'w1' });
    const info = await store.put('k', 'hello', { metadata: { owner: 'me' } });
    expect(info.version).toMatch(/^\d{15}-\d{6}-w1$/);
    expect(info.checksums.sha256).toBe(sha256('hello'));
    expect(info.metadata).toEqual({ owner: 'me' });
    const raw = await targets[2]!.inner.head('k');
    expect(raw?.metadata).toEqual({ owner: 'me', fo_version: info.version, fo_sha256: sha256('hello') });
    const head = await store.head('k');
    expect(head).toMatchObject({ version: info.version, metadata: { owner: 'me' }, target: 'aws' });
  });

  it('reserves fo_ keys and the bytes they take', async () => {
    const { store } = setup();
    await expect(store.put('k', 'x', { metadata: { fo_version: '1' } })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(store.put('k', 'x', { metadata: { FO_other: '1' } })).rejects.toThrow(/reserved/);
    await expect(store.put('k', 'x', { metadata: { big: 'x'.repeat(2000) } })).rejects.toThrow(
      /multi-cloud store/,
    );
  });

  it('versions grow with every write, even within one millisecond', async () => {
    const { store } = setup();
    const versions: string[] = [];
    for (let i = 0; i < 20; i++) versions.push((await store.put('k', `${i}`)).version!);
    expect([...versions].sort()).toEqual(versions);
    expect(new Set(versions).size).toBe(20);
  });
});

describe("writes: 'primary'", () => {
  it('writes the primary and journals the others, then repair copies it there', async () => {
    const { store, targets, journal } = setup({ writes: 'primary' });
    const journaled: unknown[] = [];
    store.on('journaled', (e) => journaled.push(e));
    const info = await store.put('k', 'v1');
    expect(info.target).toBe('aws');
    expect(targets.map((t) => t.calls.put ?? 0)).toEqual([1, 0, 0]);
    expect(journaled).toEqual([
      { key: 'k', op: 'put', version: info.version, holders: ['aws'], missing: ['gcp', 'azure'] },
    ]);
    expect(journal.backlog()).toBe(2);
    const report = await store.repair();
    expect(report).toMatchObject({
      attempted: 2,
      repaired: 2,
      conflicts: 0,
      skipped: 0,
      failed: [],
      backlog: 0,
    });
    expect(await copiesOf(targets, 'k')).toEqual([
      { text: 'v1', version: info.version },
      { text: 'v1', version: info.version },
      { text: 'v1', version: info.version },
    ]);
  });

  it('fails over to the next target while the primary is down, and reads it back from there', async () => {
    const { store, targets } = setup({ writes: 'primary' });
    targets[0]!.down = 'network';
    const failovers: string[] = [];
    store.on('failover', (e) => failovers.push(`${e.from}->${e.to}:${e.kind}`));
    const info = await store.put('k', 'during outage');
    expect(info.target).toBe('gcp');
    expect(failovers).toEqual(['aws->gcp:network']);
    expect(await getText(store, 'k')).toBe('during outage');
    // The primary is back but has not been repaired: the journal sends the read to the holder.
    targets[0]!.down = undefined;
    expect(await targets[0]!.inner.head('k')).toBeNull();
    expect(await getText(store, 'k')).toBe('during outage');
    expect(await store.exists('k')).toBe(true);
    expect(await keysOf(store)).toEqual(['k']);
    await store.repair();
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(Array(3).fill('during outage'));
  });

  it('all targets down: the write is refused, nothing is journaled', async () => {
    const { store, targets, journal } = setup({ writes: 'primary' });
    for (const t of targets) t.down = 'unavailable';
    await expect(store.put('k', 'x')).rejects.toBeInstanceOf(AllTargetsFailedError);
    await expect(store.delete('k')).rejects.toBeInstanceOf(AllTargetsFailedError);
    await expect(store.get('k')).rejects.toBeInstanceOf(AllTargetsFailedError);
    expect(journal.backlog()).toBe(0);
    for (const t of targets) t.down = undefined;
    expect(await store.exists('k')).toBe(false);
  });

  it('an answer (not an outage) from the primary is not failed over', async () => {
    const { store, targets } = setup({ writes: 'primary' });
    targets[0]!.down = 'auth';
    await expect(store.put('k', 'x')).rejects.toMatchObject({ kind: 'auth' });
    expect(targets[1]!.calls.put).toBeUndefined();
  });
});

describe("writes: 'mirror'", () => {
  it('writes every target at once and journals only those that are down', async () => {
    const { store, targets, journal } = setup({ writes: 'mirror' });
    await store.put('a', 'A');
    expect(journal.backlog()).toBe(0);
    targets[1]!.down = 'timeout';
    const info = await store.put('b', 'B');
    expect(info.target).toBe('aws');
    expect(journal.backlog()).toBe(1);
    expect((await copiesOf(targets, 'b')).map((c) => c?.text ?? null)).toEqual(['B', null, 'B']);
    targets[1]!.down = undefined;
    await store.repair();
    expect((await copiesOf(targets, 'b')).map((c) => c?.text ?? null)).toEqual(['B', 'B', 'B']);
  });

  it('a target that answers with an error (not an outage) fails the write; the copies made are journaled', async () => {
    const { store, targets, journal } = setup({ writes: 'mirror' });
    targets[2]!.down = 'invalid';
    await expect(store.put('k', 'x')).rejects.toMatchObject({ kind: 'invalid' });
    expect(journal.backlog()).toBe(1);
  });
});

describe('writes: quorum', () => {
  it('n = 2 of 3 succeeds with one target down and journals it', async () => {
    const { store, targets, journal } = setup({ writes: { quorum: 2 } });
    targets[0]!.down = 'network';
    const info = await store.put('k', 'x');
    expect(info.target).toBe('gcp');
    expect(journal.backlog()).toBe(1);
  });

  it('a copy to a failing target is attempted once, even with the router retrying (no doubled load)', async () => {
    // The router's own retries on: a single-target copy must still not be retried.
    const { store, targets, journal } = setup({
      writes: { quorum: 2 },
      failover: {
        retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
        budget: false,
        // Four failures in a row: the breaker must stay closed for each kind to be tried.
        breaker: { consecutiveFailures: 0 },
      },
    });
    for (const kind of ['network', 'unavailable', 'throttled', 'timeout'] as const) {
      targets[0]!.down = kind;
      const before = targets[0]!.calls.put ?? 0;
      await store.put(`k-${kind}`, 'x');
      expect((targets[0]!.calls.put ?? 0) - before).toBe(1);
    }
    expect(journal.backlog()).toBe(4);
  });

  it('by default a failing cloud is left after 3 failed copies in a row: within 5 calls of a put-then-get app', async () => {
    // The store's own default (failover.breaker.consecutiveFailures: 3); everything else core's.
    const { store, targets } = setup({ writes: { quorum: 2, minimum: 1 }, failover: { budget: false } });
    const opened: string[] = [];
    store.on('open', (e) => opened.push(e.target));
    targets[0]!.down = 'unavailable';
    let calls = 0;
    for (let i = 0; i < 10 && opened.length === 0; i++) {
      calls++;
      await store.put(`k${i}`, `v${i}`);
      if (opened.length > 0) break;
      calls++;
      // The get reads a cloud that holds the object: it never reaches the failing one.
      expect(await getText(store, `k${i}`)).toBe(`v${i}`);
    }
    expect(opened).toEqual(['aws']);
    expect(calls).toBe(5);
    expect(targets[0]!.calls.put).toBe(3);
    expect(targets[0]!.calls.get).toBeUndefined();
  });

  it('the copy the quorum needs keeps the router retries (the last targets up)', async () => {
    const { store, targets } = setup(
      {
        writes: { quorum: 2, minimum: 1 },
        failover: { retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 }, budget: false },
      },
      ['aws', 'gcp'],
    );
    targets[0]!.down = 'unavailable';
    // Two targets, a quorum of 2: aws's copy is needed, so it is retried.
    await store.put('k', 'x');
    expect(targets[0]!.calls.put ?? 0).toBe(3);
  });

  it('n = 2 of 3 with two targets down is an error and nothing is reported as stored', async () => {
    const { store, targets } = setup({ writes: { quorum: 2 } });
    targets[0]!.down = 'network';
    targets[1]!.down = 'unavailable';
    const err = await store.put('k', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuorumNotReachedError);
    expect(err).toMatchObject({ required: 2, succeeded: ['azure'], kind: 'unavailable' });
    expect((err as QuorumNotReachedError).failures.map((f) => f.target)).toEqual(['aws', 'gcp']);
  });

  it('n = 3 of 3 needs every target; n = 1 needs one', async () => {
    const three = setup({ writes: { quorum: 3 } });
    three.targets[2]!.down = 'throttled';
    await expect(three.store.put('k', 'x')).rejects.toBeInstanceOf(QuorumNotReachedError);
    three.targets[2]!.down = undefined;
    await expect(three.store.put('k', 'x')).resolves.toMatchObject({ target: 'aws' });

    const one = setup({ writes: { quorum: 1 } });
    one.targets[0]!.down = 'network';
    one.targets[1]!.down = 'network';
    await expect(one.store.put('k', 'x')).resolves.toMatchObject({ target: 'azure' });
    expect(one.journal.backlog()).toBe(2);
    one.targets[2]!.down = 'network';
    await expect(one.store.put('k', 'y')).rejects.toBeInstanceOf(AllTargetsFailedError);
  });

  it('acknowledges at n copies and resolves the journal when the slower targets finish', async () => {
    const { store, targets, journal } = setup({ writes: { quorum: 1 } });
    // The secondaries answer only after a while.
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    for (const t of targets.slice(1)) {
      const put = t.put.bind(t);
      (t as { put: typeof put }).put = async (...args) => {
        await gate;
        return put(...args);
      };
    }
    const info = await store.put('k', 'fast');
    expect(info.target).toBe('aws');
    expect(journal.backlog()).toBe(2);
    release();
    await expect.poll(() => journal.backlog()).toBe(0);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(['fast', 'fast', 'fast']);
  });
});

describe('reads', () => {
  it('a not_found from a secondary while the primary is down is not final: the others are asked', async () => {
    const { store, targets } = setup();
    // Only the third target holds the object (e.g. written by another instance during an outage).
    await targets[2]!.inner.put('k', 'only here');
    targets[0]!.down = 'network';
    expect(await getText(store, 'k')).toBe('only here');
    expect(await store.head('k')).toMatchObject({ target: 'azure', version: undefined });
    // With every target up, the primary's answer is final.
    targets[0]!.down = undefined;
    await expect(store.get('k')).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.head('k')).toBeNull();
  });

  it('not found everywhere that answers, the rest down: not found', async () => {
    const { store, targets } = setup();
    targets[0]!.down = 'network';
    targets[2]!.down = 'network';
    expect(await store.exists('nothing')).toBe(false);
  });

  it('a delete journaled during an outage reads as not found, in get, head and list', async () => {
    const { store, targets } = setup();
    await store.put('k', 'v');
    await store.put('other', 'o');
    await store.repair();
    targets[0]!.down = 'network';
    await store.delete('k');
    targets[0]!.down = undefined;
    // The primary still holds it until repair runs.
    expect(await targets[0]!.inner.head('k')).not.toBeNull();
    await expect(store.get('k')).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.head('k')).toBeNull();
    expect(await keysOf(store)).toEqual(['other']);
    await store.repair();
    expect(await copiesOf(targets, 'k')).toEqual([null, null, null]);
  });

  it('an acknowledged write whose only holder is down is unavailable, never "not found"', async () => {
    const { store, targets } = setup({ writes: 'primary' });
    // Primary mode: the write lives on the primary alone until repair copies it.
    await store.put('k', 'saved');
    targets[0]!.down = 'timeout';
    await expect(store.get('k')).rejects.toMatchObject({ kind: 'unavailable' });
    await expect(store.head('k')).rejects.toMatchObject({ kind: 'unavailable' });
    await expect(store.exists('k')).rejects.toMatchObject({ kind: 'unavailable' });
    targets[0]!.down = undefined;
    expect(await getText(store, 'k')).toBe('saved');
  });

  it('a stale copy on the primary (a newer write pending for it) is not served', async () => {
    const { store, targets } = setup({ writes: 'primary' });
    await store.put('k', 'old');
    await store.repair();
    targets[0]!.down = 'network';
    const newer = await store.put('k', 'new');
    targets[0]!.down = undefined;
    expect((await copiesOf(targets, 'k'))[0]?.text).toBe('old');
    const { info, body } = await store.get('k');
    expect(info).toMatchObject({ target: 'gcp', version: newer.version });
    expect((await getBytes({ ...store, get: async () => ({ info, body }) }, 'k')).toString()).toBe('new');
    // Every holder of the newest version down: an error, not the stale copy.
    targets[1]!.down = 'network';
    await expect(store.get('k')).rejects.toMatchObject({ kind: 'unavailable' });
  });

  it('the only holder of the newest version failing once for a passing reason is asked again, not the stale copy served', async () => {
    const { store, targets } = setup({ writes: 'primary' });
    await store.put('k', 'old');
    await store.repair();
    targets[0]!.down = 'network';
    const newer = await store.put('k', 'new'); // on gcp alone; aws and azure hold 'old'
    targets[0]!.down = undefined;
    for (const kind of ['timeout', 'network', 'unavailable', 'throttled'] as const) {
      const gcp = targets[1]!;
      const get = gcp.get;
      let asked = 0;
      gcp.get = (key, options) =>
        ++asked === 1 ? Promise.reject(new StorageError(kind, 'once', { target: 'gcp' })) : get(key, options);
      const { info, body } = await store.get('k');
      body.resume();
      expect(info, kind).toMatchObject({ target: 'gcp', version: newer.version });
      expect(asked, kind).toBe(2); // the failed attempt, then the answer
      gcp.get = get;
    }
    // Failing again: unavailable, never the stale copy; asked twice at most.
    targets[1]!.down = 'timeout';
    const before = targets[1]!.calls.get ?? 0;
    await expect(store.get('k')).rejects.toMatchObject({ kind: 'unavailable' });
    expect(targets[1]!.calls.get! - before).toBe(2);
    // A refused connection proves the target down: not asked again (it would only count against its breaker).
    targets[1]!.down = undefined;
    const gcp = targets[1]!;
    const get = gcp.get;
    let asked = 0;
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    gcp.get = () => {
      asked++;
      return Promise.reject(new StorageError('network', 'refused', { target: 'gcp', cause: refused }));
    };
    await expect(store.get('k')).rejects.toMatchObject({ kind: 'unavailable' });
    expect(asked).toBe(1);
    gcp.get = get;
    // A precondition-like or invalid answer is not asked again.
    targets[1]!.down = 'invalid';
    const after = targets[1]!.calls.get ?? 0;
    await expect(store.get('k')).rejects.toBeDefined();
    expect(targets[1]!.calls.get! - after).toBe(1);
  });

  it('list merges pending writes the listed target does not have yet, in key order', async () => {
    const { store, targets } = setup();
    for (const k of ['a/1', 'b', 'd']) await store.put(k, k);
    await store.repair();
    targets[0]!.down = 'network';
    await store.put('c', 'ccc');
    await store.put('a/2', 'a2');
    await store.delete('d');
    targets[0]!.down = undefined;
    const entries: unknown[] = [];
    for await (const e of store.list()) entries.push('key' in e ? [e.key, e.size] : e.prefix);
    expect(entries).toEqual([
      ['a/1', 3],
      ['a/2', 2],
      ['b', 1],
      ['c', 3],
    ]);
    const grouped: string[] = [];
    for await (const e of store.list({ delimiter: '/' })) grouped.push('key' in e ? e.key : e.prefix);
    expect(grouped).toEqual(['a/', 'b', 'c']);
  });

  it('list fails over in the middle of a listing and resumes after the last key', async () => {
    const { store, targets } = setup({ writes: 'mirror' });
    for (let i = 0; i < 10; i++) await store.put(`k${i}`, `${i}`);
    const seen: string[] = [];
    for await (const e of store.list({ pageSize: 2 })) {
      if ('key' in e) seen.push(`${e.key}@${e.target}`);
      if (seen.length === 4) targets[0]!.down = 'network';
    }
    expect(seen.map((s) => s.split('@')[0])).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`));
    expect(seen[9]).toBe('k9@gcp');
  });
});

describe('a listing that stops answering', () => {
  it('moves to the next target after the attempt time limit', async () => {
    const { store, targets } = setup({
      writes: 'mirror',
      failover: { retry: { maxAttempts: 1 }, budget: false, attemptTimeoutMs: 50 },
    });
    for (let i = 0; i < 6; i++) await store.put(`k${i}`, `${i}`);
    const seen: string[] = [];
    for await (const e of store.list()) {
      if ('key' in e) seen.push(`${e.key}@${e.target}`);
      if (seen.length === 2) targets[0]!.stalled = true;
    }
    expect(seen).toEqual(['k0@aws', 'k1@aws', 'k2@gcp', 'k3@gcp', 'k4@gcp', 'k5@gcp']);
  });
});

describe('deletes and conditional writes', () => {
  it('ifNoneMatch refuses a key that exists on any target or is pending', async () => {
    const { store, targets } = setup({ writes: 'mirror' });
    await targets[2]!.inner.put('k', 'elsewhere');
    await expect(store.put('k', 'x', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(await targets[0]!.inner.head('k')).toBeNull();
    await expect(store.put('fresh', 'x', { ifNoneMatch: '*' })).resolves.toMatchObject({ target: 'aws' });
    await expect(store.put('fresh', 'y', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );

    const primary = setup();
    primary.targets[0]!.down = 'network';
    await primary.store.put('p', 'x');
    primary.targets[0]!.down = undefined;
    await expect(primary.store.put('p', 'y', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
  });

  it('copy reads the source (verified) and writes a new version', async () => {
    const { store } = setup({ writes: 'mirror' });
    const a = await store.put('a', 'bytes', { contentType: 'text/plain', metadata: { m: '1' } });
    const b = await store.copy('a', 'b');
    expect(b.version! > a.version!).toBe(true);
    expect(await store.head('b')).toMatchObject({ contentType: 'text/plain', metadata: { m: '1' } });
    await expect(store.copy('missing', 'c')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('close', () => {
  it('rejects calls after close and closes the journal', async () => {
    const { store, journal } = setup();
    await store.close();
    await store.close();
    await expect(store.put('k', 'x')).rejects.toThrow(/closed/);
    await expect(journal.pending()).rejects.toThrow(/closed/);
    expect(store.status().closed).toBe(true);
  });
});
