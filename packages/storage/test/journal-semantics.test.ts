import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFileJournal,
  createMemoryJournal,
  InvalidArgumentError,
  type Journal,
  type JournalEntry,
  JournalError,
} from '@failover/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** An entry with defaults: a put of `key` at `version`, on `a`, missing `b`. */
function entry(over: Partial<JournalEntry> & { id: string }): JournalEntry {
  return {
    op: 'put',
    key: 'k',
    version: 'v1',
    holders: ['a'],
    missing: ['b'],
    at: 1_700_000_000_000,
    ...over,
  };
}

/** id -> missing targets of every pending entry, in order. */
async function missingOf(journal: Journal): Promise<Array<[string, readonly string[]]>> {
  return (await journal.pending()).map((e) => [e.id, e.missing]);
}

interface Kind {
  readonly name: string;
  readonly make: (dir: string) => Journal;
  /** A fresh journal over the same storage (the file journal reopens its file). */
  readonly reopen?: (dir: string) => Journal;
}

const kinds: Kind[] = [
  { name: 'memory journal', make: () => createMemoryJournal() },
  {
    name: 'file journal',
    make: (dir) => createFileJournal({ dir }),
    reopen: (dir) => createFileJournal({ dir }),
  },
];

describe.each(kinds)('$name: shared semantics', (kind) => {
  let parent: string;
  let dir: string;
  let journal: Journal;
  const opened: Journal[] = [];

  const make = (): Journal => {
    const j = kind.make(dir);
    opened.push(j);
    return j;
  };

  /** The journal after a restart (the same journal where there is no storage to restart from). */
  const restarted = async (): Promise<Journal> => {
    if (kind.reopen === undefined) return journal;
    await journal.close();
    journal = kind.reopen(dir);
    opened.push(journal);
    return journal;
  };

  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'failover-journal-'));
    dir = join(parent, 'journal');
    journal = make();
  });

  afterEach(async () => {
    for (const j of opened.splice(0)) await j.close();
    await rm(parent, { recursive: true, force: true });
  });

  it('starts empty', async () => {
    await journal.open?.();
    expect(await journal.pending()).toEqual([]);
    expect(journal.backlog()).toBe(0);
  });

  it('keeps an entry pending while it has missing targets, with its fields', async () => {
    const e = entry({
      id: 'e1',
      sha256: 'AB'.repeat(32),
      size: 12,
      holders: ['a'],
      missing: ['b', 'c', 'b'],
    });
    await journal.append(e);
    const pending = await journal.pending();
    expect(pending).toEqual([{ ...e, sha256: 'ab'.repeat(32), missing: ['b', 'c'] }]);
    expect(journal.backlog()).toBe(2);
    await (await restarted()).open?.();
    expect(journal.backlog()).toBe(2);
    expect(await journal.pending()).toEqual(pending);
    expect(journal.backlog()).toBe(2);
  });

  it('does not keep an entry with nothing missing', async () => {
    await journal.append(entry({ id: 'e1', holders: ['a', 'b'], missing: [] }));
    expect(await journal.pending()).toEqual([]);
    expect(journal.backlog()).toBe(0);
  });

  it('resolve moves a target from missing to holders and drops the entry when none is left', async () => {
    await journal.append(entry({ id: 'e1', missing: ['b', 'c'] }));
    await journal.append(entry({ id: 'e2', key: 'other', missing: ['b'] }));
    await journal.resolve('e1', 'b');
    const [first] = await journal.pending();
    expect(first).toMatchObject({ id: 'e1', holders: ['a', 'b'], missing: ['c'] });
    expect(journal.backlog()).toBe(2);
    await journal.resolve('e1', 'c');
    expect(await missingOf(journal)).toEqual([['e2', ['b']]]);
    expect(journal.backlog()).toBe(1);
    await restarted();
    expect(await missingOf(journal)).toEqual([['e2', ['b']]]);
  });

  it('ignores a resolve of an unknown id or of a target that is not missing', async () => {
    await journal.append(entry({ id: 'e1', missing: ['b'] }));
    await journal.resolve('nope', 'b');
    await journal.resolve('e1', 'a');
    await journal.resolve('e1', 'zzz');
    expect(await missingOf(journal)).toEqual([['e1', ['b']]]);
    expect(journal.backlog()).toBe(1);
  });

  it('lists pending entries oldest first', async () => {
    for (const id of ['x', 'y', 'z']) await journal.append(entry({ id, key: `key-${id}` }));
    expect((await journal.pending()).map((e) => e.id)).toEqual(['x', 'y', 'z']);
  });

  it('a newer version supersedes older entries of the same key for the targets it names', async () => {
    await journal.append(entry({ id: 'v1', version: 'v1', holders: ['a'], missing: ['b', 'c', 'd'] }));
    await journal.append(entry({ id: 'v2', version: 'v2', holders: ['b'], missing: ['c'] }));
    expect(await missingOf(journal)).toEqual([
      ['v1', ['d']],
      ['v2', ['c']],
    ]);
    expect(journal.backlog()).toBe(2);
    await restarted();
    expect(await missingOf(journal)).toEqual([
      ['v1', ['d']],
      ['v2', ['c']],
    ]);
    expect(journal.backlog()).toBe(2);
  });

  it('a newer tombstone replaces an older put on the targets it names', async () => {
    await journal.append(entry({ id: 'put', version: '0001', holders: ['a'], missing: ['b'] }));
    await journal.append(entry({ id: 'del', op: 'delete', version: '0002', holders: ['a'], missing: ['b'] }));
    const pending = await journal.pending();
    expect(pending.map((e) => [e.id, e.op, e.missing])).toEqual([['del', 'delete', ['b']]]);
    expect(journal.backlog()).toBe(1);
  });

  it('does not touch entries of other keys or of the same version', async () => {
    await journal.append(entry({ id: 'k1', key: 'k1', version: 'v1', missing: ['b'] }));
    await journal.append(entry({ id: 'k2', key: 'k2', version: 'v9', missing: ['b'] }));
    await journal.append(entry({ id: 'k1bis', key: 'k1', version: 'v1', holders: ['c'], missing: ['b'] }));
    expect(await missingOf(journal)).toEqual([
      ['k1', ['b']],
      ['k2', ['b']],
      ['k1bis', ['b']],
    ]);
  });

  it('an older entry appended after a newer one only adds targets the newer one does not mention', async () => {
    await journal.append(entry({ id: 'new', version: 'v2', holders: ['a'], missing: ['b'] }));
    await journal.append(entry({ id: 'old', version: 'v1', holders: ['c'], missing: ['a', 'b', 'd'] }));
    expect(await missingOf(journal)).toEqual([
      ['new', ['b']],
      ['old', ['d']],
    ]);
    expect(journal.backlog()).toBe(2);
    await restarted();
    expect(await missingOf(journal)).toEqual([
      ['new', ['b']],
      ['old', ['d']],
    ]);
  });

  it('an older entry that the newer one fully covers is not kept', async () => {
    await journal.append(entry({ id: 'new', version: 'v2', holders: ['a'], missing: ['b'] }));
    await journal.append(entry({ id: 'old', version: 'v1', holders: ['a'], missing: ['b'] }));
    expect(await missingOf(journal)).toEqual([['new', ['b']]]);
    expect(journal.backlog()).toBe(1);
  });

  it('a target repaired with the newer version is not regressed by a late older entry', async () => {
    await journal.append(entry({ id: 'new', version: 'v2', holders: ['a'], missing: ['b', 'c'] }));
    await journal.resolve('new', 'b');
    await journal.append(entry({ id: 'old', version: 'v1', holders: ['a'], missing: ['b'] }));
    expect(await missingOf(journal)).toEqual([['new', ['c']]]);
  });

  it('appending a pending id again replaces that entry', async () => {
    await journal.append(entry({ id: 'e1', missing: ['b', 'c'] }));
    await journal.append(entry({ id: 'other', key: 'other' }));
    await journal.append(entry({ id: 'e1', missing: ['c'] }));
    expect(await missingOf(journal)).toEqual([
      ['other', ['b']],
      ['e1', ['c']],
    ]);
    expect(journal.backlog()).toBe(2);
  });

  it('keeps the backlog equal to the count of (entry, missing target) pairs', async () => {
    let expected = 0;
    for (let i = 0; i < 50; i++) {
      const missing = ['b', 'c', 'd'].slice(0, (i % 3) + 1);
      await journal.append(
        entry({ id: `e${i}`, key: `k${i % 7}`, version: String(i).padStart(4, '0'), missing }),
      );
      if (i % 4 === 0) await journal.resolve(`e${i}`, 'b');
      expected = (await journal.pending()).reduce((n, e) => n + e.missing.length, 0);
      expect(journal.backlog()).toBe(expected);
    }
    expect(expected).toBeGreaterThan(0);
  });

  it('applies concurrent calls in call order', async () => {
    await Promise.all([
      journal.append(entry({ id: 'e1', missing: ['b', 'c'] })),
      journal.resolve('e1', 'b'),
      journal.append(entry({ id: 'e2', version: 'v2', holders: ['b'], missing: ['c'] })),
    ]);
    expect(await missingOf(journal)).toEqual([['e2', ['c']]]);
  });

  it('rejects malformed entries and resolve arguments with an InvalidArgumentError naming the field', async () => {
    const bad: Array<[unknown, string]> = [
      [null, 'entry'],
      [{ ...entry({ id: '' }) }, 'entry.id'],
      [{ ...entry({ id: 'x' }), op: 'copy' }, 'entry.op'],
      [{ ...entry({ id: 'x' }), key: 3 }, 'entry.key'],
      [{ ...entry({ id: 'x' }), version: '' }, 'entry.version'],
      [{ ...entry({ id: 'x' }), sha256: 'abc' }, 'entry.sha256'],
      [{ ...entry({ id: 'x' }), size: -1 }, 'entry.size'],
      [{ ...entry({ id: 'x' }), holders: 'a' }, 'entry.holders'],
      [{ ...entry({ id: 'x' }), missing: ['b', ''] }, 'entry.missing[1]'],
      [{ ...entry({ id: 'x' }), holders: ['a'], missing: ['a'] }, 'entry.missing'],
      [{ ...entry({ id: 'x' }), at: Number.NaN }, 'entry.at'],
    ];
    for (const [value, field] of bad) {
      const err = await journal.append(value as JournalEntry).catch((e: unknown) => e);
      expect(err, field).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).argument).toBe(field);
      expect((err as InvalidArgumentError).kind).toBe('invalid');
    }
    expect(await journal.resolve('', 'b').catch((e: unknown) => e)).toBeInstanceOf(InvalidArgumentError);
    expect(await journal.resolve('x', 5 as unknown as string).catch((e: unknown) => e)).toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(await journal.pending()).toEqual([]);
  });

  it('compact keeps the pending entries', async () => {
    await journal.append(entry({ id: 'e1', missing: ['b', 'c'] }));
    await journal.append(entry({ id: 'e2', key: 'other' }));
    await journal.resolve('e2', 'b');
    await journal.compact();
    expect(await missingOf(journal)).toEqual([['e1', ['b', 'c']]]);
    await restarted();
    expect(await missingOf(journal)).toEqual([['e1', ['b', 'c']]]);
  });

  it('rejects calls after close with a JournalError, and close twice is fine', async () => {
    await journal.append(entry({ id: 'e1' }));
    await journal.close();
    await journal.close();
    for (const call of [
      () => journal.append(entry({ id: 'e2' })),
      () => journal.resolve('e1', 'b'),
      () => journal.pending(),
      () => journal.compact(),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JournalError);
      expect((err as JournalError).kind).toBe('unavailable');
    }
  });

  it('returns copies: changing a returned entry does not change the journal', async () => {
    await journal.append(entry({ id: 'e1', missing: ['b'] }));
    const [e] = await journal.pending();
    expect(Object.isFrozen(e)).toBe(true);
    expect(Object.isFrozen(e!.missing)).toBe(true);
    await journal.resolve('e1', 'b');
    expect(e!.missing).toEqual(['b']);
  });
});
