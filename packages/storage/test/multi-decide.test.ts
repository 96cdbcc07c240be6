import type { JournalEntry } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { decideMarker } from '../src/multi/epoch.js';
import { newestOf } from '../src/multi/pending.js';
import { PROBE_RETRIES, probeRetry } from '../src/multi/probe-retry.js';
import { type KeyCopy, planKey, recheckCopy, recheckDelete } from '../src/multi/reconcile-plan.js';
import { decideRepair } from '../src/multi/repair.js';
import { copyCondition, deleteCondition } from '../src/multi/transfer.js';

const v = (n: number, writer = 'me') => `${String(n).padStart(15, '0')}-000000-${writer}`;
const T = ['aws', 'gcp', 'azure'];

function entry(op: 'put' | 'delete', n: number, extra: Partial<JournalEntry> = {}): JournalEntry {
  return { id: `${v(n)}:k`, op, key: 'k', version: v(n), holders: [], missing: T, at: 1, ...extra };
}
function copy(target: string, n: number | undefined, sha = `sha${n}`, writer = 'me'): KeyCopy {
  return { target, version: n === undefined ? undefined : v(n, writer), sha256: sha };
}

describe('planKey (reconcile, one key)', () => {
  const cases: {
    name: string;
    copies: KeyCopy[];
    entries: JournalEntry[];
    all?: boolean;
    action: Record<string, unknown>;
    conflicts?: number;
  }[] = [
    { name: 'in sync', copies: T.map((t) => copy(t, 1)), entries: [], action: { type: 'none' } },
    { name: 'nothing anywhere', copies: [], entries: [], action: { type: 'none' } },
    {
      name: 'newest copy wins, copied where missing or older',
      copies: [copy('aws', 1), copy('gcp', 2)],
      entries: [],
      action: { type: 'copy', version: v(2), from: 'gcp', targets: ['aws', 'azure'] },
    },
    {
      name: 'a journaled delete newer than every copy is applied',
      copies: [copy('aws', 1)],
      entries: [entry('delete', 2)],
      action: { type: 'delete', version: v(2), targets: ['aws'], lost: false },
    },
    {
      name: 'a delete intent newer than every copy is completed',
      copies: [copy('aws', 1), copy('gcp', 1)],
      entries: [entry('delete', 2, { intent: true })],
      action: { type: 'delete', version: v(2), targets: ['aws', 'gcp'], lost: false },
    },
    {
      name: "a delete intent is completed also behind a newer put's intent that no copy shows",
      copies: [copy('aws', 1), copy('gcp', 1), copy('azure', 1)],
      entries: [entry('delete', 2, { intent: true }), entry('put', 3, { intent: true })],
      action: { type: 'delete', version: v(2), targets: ['aws', 'gcp', 'azure'], lost: false },
    },
    {
      name: "a newer put's intent that landed somewhere wins over the delete intent before it",
      copies: [copy('aws', 3), copy('gcp', 1)],
      entries: [entry('delete', 2, { intent: true }), entry('put', 3, { intent: true })],
      action: { type: 'copy', version: v(3), from: 'aws' },
    },
    {
      name: 'an acknowledged put on no target, every target compared: lost, settled as a delete (never the older copy)',
      copies: [copy('aws', 1)],
      entries: [entry('put', 2)],
      action: { type: 'delete', version: v(2), targets: ['aws'], lost: true },
    },
    {
      name: 'the same, with a target not compared: left for later',
      copies: [copy('aws', 1)],
      entries: [entry('put', 2)],
      all: false,
      action: { type: 'skip' },
    },
    {
      name: "another writer's older-stamped copy landed last where the put was: it wins (a conflict, not a loss)",
      copies: [copy('aws', 1, 'theirs', 'other'), copy('gcp', 1, 'theirs', 'other')],
      entries: [entry('put', 2, { holders: ['aws', 'gcp'], missing: ['azure'] })],
      action: { type: 'copy', version: v(1, 'other'), from: 'aws', targets: ['azure'] },
    },
    {
      name: "another writer's older copy only where the put never landed (the version it replaced): lost",
      copies: [copy('aws', 1, 'theirs', 'other'), copy('gcp', 1, 'theirs', 'other')],
      entries: [entry('put', 2, { holders: ['azure'], missing: ['aws', 'gcp'] })],
      action: { type: 'delete', version: v(2), targets: ['aws', 'gcp'], lost: true },
    },
    {
      // Repair decides the same (replacedByAnotherWriter over every older copy): a holder of the
      // put holds another writer's copy, so that writer's write landed there after the put.
      name: "another writer's copy where the put was, though a newer copy of this writer is elsewhere: a conflict, not a loss",
      copies: [copy('aws', 1, 'theirs', 'other'), copy('gcp', 2, 'mine-older')],
      entries: [entry('put', 3, { holders: ['aws'], missing: ['gcp', 'azure'] })],
      action: { type: 'copy', version: v(2), from: 'gcp', targets: ['aws', 'azure'] },
    },
    {
      name: 'an unacknowledged put newer than every copy is not a floor',
      copies: T.map((t) => copy(t, 1)),
      entries: [entry('put', 2, { intent: true })],
      action: { type: 'none' },
    },
    {
      name: 'same version, other bytes: a conflict; the first copy wins',
      copies: [copy('aws', 3, 'a'), copy('gcp', 3, 'b'), copy('azure', 3, 'a')],
      entries: [],
      action: { type: 'copy', version: v(3), from: 'aws', targets: ['gcp'] },
      conflicts: 1,
    },
    {
      name: 'a copy newer than a journaled delete: the newer write wins, reported',
      copies: T.map((t) => copy(t, 5)),
      entries: [entry('delete', 2)],
      action: { type: 'none' },
      conflicts: 1,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planKey(c.copies, T, c.entries, c.all ?? true);
      expect(plan.action).toMatchObject(c.action);
      expect(plan.conflicts.length).toBe(c.conflicts ?? 0);
    });
  }
});

describe('decideRepair (one journal entry, one target)', () => {
  const put = entry('put', 2, { sha256: 'x' });
  const cases: [
    string,
    JournalEntry,
    { version: string | undefined; sha256: string | undefined; size?: number } | null,
    string,
  ][] = [
    ['target holds nothing: copy', put, null, 'copy'],
    ['target holds an older version: copy', put, { version: v(1), sha256: 'o' }, 'copy'],
    ['target holds it already: nothing', put, { version: v(2), sha256: 'x' }, 'none'],
    ['target holds the version with other bytes: copy', put, { version: v(2), sha256: 'y' }, 'copy'],
    [
      'target holds the right metadata over a short body (a cut upload): copy',
      { ...put, size: 100 },
      { version: v(2), sha256: 'x', size: 0 },
      'copy',
    ],
    ['target holds a newer version: conflict', put, { version: v(3), sha256: 'n' }, 'conflict'],
    [
      'delete, target holds an older copy: delete',
      entry('delete', 2),
      { version: v(1), sha256: 'o' },
      'delete',
    ],
    ['delete, target holds nothing: nothing', entry('delete', 2), null, 'none'],
    [
      'delete, target holds a newer copy: conflict',
      entry('delete', 2),
      { version: v(3), sha256: 'n' },
      'conflict',
    ],
    [
      'a corrupt copy reported by a read is always rewritten',
      { ...put, id: `integrity:aws:${v(2)}:k` },
      { version: v(2), sha256: 'x' },
      'copy',
    ],
  ];
  for (const [name, e, current, expected] of cases) {
    it(name, () => expect(decideRepair(e, current).type).toBe(expected));
  }
});

describe('copyCondition (what a repair or reconcile copy is conditional on)', () => {
  const cases: [string, Parameters<typeof copyCondition>[0], ReturnType<typeof copyCondition>][] = [
    ['the target held nothing: only if still nothing is there', null, { ifNoneMatch: '*' }],
    ['the target held a copy: only if that very copy is still there', { etag: 'e1' }, { ifMatch: 'e1' }],
    ['a copy without an entity tag (a store that reports none): unconditional', {}, {}],
    ['the target was not looked at: unconditional', undefined, {}],
  ];
  for (const [name, current, expected] of cases) {
    it(name, () => expect(copyCondition(current)).toEqual(expected));
  }
});

describe('deleteCondition (what a repair or reconcile delete is conditional on)', () => {
  const cases: [string, Parameters<typeof deleteCondition>[0], ReturnType<typeof deleteCondition>][] = [
    ['the target held a copy: only that very copy is deleted', { etag: 'e1' }, { ifMatch: 'e1' }],
    ['a copy without an entity tag (a store that reports none): unconditional', {}, {}],
    ['the target was not looked at: unconditional', undefined, {}],
    ['nothing seen there: nothing to require', null, {}],
  ];
  for (const [name, current, expected] of cases) {
    it(name, () => expect(deleteCondition(current)).toEqual(expected));
  }
});

describe('recheckDelete (reconcile, after a delete was refused because the target changed)', () => {
  const cases: [string, { version: string | undefined } | null, string][] = [
    ['a newer version landed there: it stays', { version: v(3) }, 'newer'],
    ["another writer's newer version landed there: it stays", { version: v(3, 'other') }, 'newer'],
    ['an older version landed there again (a late request): delete again', { version: v(1) }, 'delete'],
    ['the object is gone (deleted by someone else): done', null, 'gone'],
    ['an object no multi-cloud store wrote: delete again', { version: undefined }, 'delete'],
  ];
  for (const [name, now, expected] of cases) {
    it(name, () => expect(recheckDelete(v(2), now)).toBe(expected));
  }
});

describe('decideRepair after a refused delete (repair looks again and decides with the same rules)', () => {
  const tombstone = entry('delete', 2);
  const cases: [string, { version: string | undefined; sha256: string | undefined } | null, string][] = [
    [
      "another writer's newer version landed: it stays (conflict)",
      { version: v(3, 'other'), sha256: 'n' },
      'conflict',
    ],
    [
      'a late request of an older version landed again: delete it (under its own etag)',
      { version: v(1), sha256: 'o' },
      'delete',
    ],
    ['someone else deleted it: nothing to do', null, 'none'],
  ];
  for (const [name, now, expected] of cases) {
    it(name, () => expect(decideRepair(tombstone, now).type).toBe(expected));
  }
});

describe('recheckCopy (reconcile, after a copy was refused because the target changed)', () => {
  const wanted = { version: v(2), sha256: 'x' };
  const cases: [string, { version: string | undefined; sha256: string | undefined } | null, string][] = [
    ['a newer version landed there: it stays', { version: v(3), sha256: 'n' }, 'newer'],
    [
      "another writer's newer version landed there: it stays",
      { version: v(3, 'other'), sha256: 'n' },
      'newer',
    ],
    [
      'the wanted version is there now (copied by someone else): done',
      { version: v(2), sha256: 'x' },
      'held',
    ],
    ['an older version landed there (a late request): copy again', { version: v(1), sha256: 'o' }, 'copy'],
    ['the object is gone: copy again', null, 'copy'],
    ['the same version with other bytes: copy again', { version: v(2), sha256: 'y' }, 'copy'],
    ['an object no multi-cloud store wrote: copy again', { version: undefined, sha256: undefined }, 'copy'],
  ];
  for (const [name, now, expected] of cases) {
    it(name, () => expect(recheckCopy(wanted, now)).toBe(expected));
  }
});

describe('decideMarker: what a marker without the expected epoch means', () => {
  const absent = { type: 'absent' } as const;
  const other = (partial: boolean) => ({ type: 'epoch', epoch: '0123456789abcdef', partial }) as const;
  it.each([
    // held, pending, partial (expected), seen -> decision
    [true, false, false, absent, 'amnesia'], // seen holding it, now gone: lost
    [false, true, false, absent, 'establish'], // created without it: write it now
    [false, true, true, absent, 'establish'],
    [false, false, false, absent, 'amnesia'], // never seen, others hold it: not trusted blindly
    [false, false, true, absent, 'amnesia'],
    [true, false, false, other(false), 'amnesia'], // held ours, now another: restored from elsewhere
    [true, false, true, other(false), 'amnesia'],
    [false, false, false, other(true), 'amnesia'], // ours is complete: a provisional other is wrong
    [false, false, true, other(false), 'adopt'], // ours is provisional, a complete one wins
    [false, true, true, other(true), 'adopt'], // left out of our provisional one: its epoch came first
    [false, false, true, other(true), 'amnesia'],
  ] as const)('held %s, pending %s, partial %s, seen %o: %s', (held, pending, partial, seen, decision) => {
    expect(decideMarker({ held, pending, partial }, seen)).toBe(decision);
  });

  it.each([
    // Both provisional, the target left out of ours: the smaller epoch wins, on every instance.
    ['ffffffffffffffff', 'adopt'], // theirs sorts first: adopt it
    ['0000000000000000', 'amnesia'], // ours sorts first: theirs gives way (they adopt ours)
    ['0123456789abcdef', 'amnesia'], // (the same epoch never gets here)
  ] as const)('two provisional epochs, ours %s: %s', (expected, decision) => {
    expect(decideMarker({ held: false, pending: true, partial: true, expected }, other(true))).toBe(decision);
  });
});

describe('probeRetry: another repair pass soon after one blocked by a busy half-open probe', () => {
  const blocked = { attempted: 3, skipped: 3, probeBusy: 2, aborted: false };
  const cases: [string, Parameters<typeof probeRetry>[0], number, ReturnType<typeof probeRetry>][] = [
    [
      'every pair skipped, some for a busy probe: again after 100 ms',
      blocked,
      0,
      { delayMs: 100, retries: 1 },
    ],
    ['the next time: after twice as long', blocked, 1, { delayMs: 200, retries: 2 }],
    ['the fifth time: 1600 ms', blocked, 4, { delayMs: 1600, retries: 5 }],
    [
      'after the fifth: no more while passes stay blocked',
      blocked,
      PROBE_RETRIES,
      { delayMs: undefined, retries: 5 },
    ],
    [
      'some pair ran: nothing, and the count starts over',
      { ...blocked, skipped: 2 },
      3,
      { delayMs: undefined, retries: 0 },
    ],
    [
      'every pair skipped, none for a probe (breakers open): nothing',
      { ...blocked, probeBusy: 0 },
      0,
      { delayMs: undefined, retries: 0 },
    ],
    ['an aborted pass: nothing', { ...blocked, aborted: true }, 0, { delayMs: undefined, retries: 0 }],
    [
      'nothing to repair: nothing',
      { attempted: 0, skipped: 0, probeBusy: 0, aborted: false },
      2,
      { delayMs: undefined, retries: 0 },
    ],
  ];
  for (const [name, pass, retries, expected] of cases) {
    it(name, () => expect(probeRetry(pass, retries)).toEqual(expected));
  }
});

describe("newestOf (what a read or listing makes of a key's pending entries)", () => {
  const item = (e: JournalEntry) => ({ entry: e, holders: [...e.holders], missing: [...e.missing] });
  const cases: {
    name: string;
    entries: JournalEntry[];
    latest?: number;
    acknowledged?: number;
    effective?: number;
  }[] = [
    { name: 'nothing pending', entries: [] },
    { name: 'an acknowledged put', entries: [entry('put', 1)], latest: 1, acknowledged: 1, effective: 1 },
    {
      name: "a put's intent only (in flight or failed, unobserved): not in effect",
      entries: [entry('put', 1, { intent: true })],
      latest: 1,
    },
    {
      name: "a delete's intent behind a newer put's intent: the delete is in effect",
      entries: [entry('put', 1), entry('delete', 2, { intent: true }), entry('put', 3, { intent: true })],
      latest: 3,
      acknowledged: 1,
      effective: 2,
    },
    {
      name: "a 'primary' put's provisional record counts (it may have been acknowledged)",
      entries: [entry('delete', 1), entry('put', 2, { intent: true, provisional: true, holders: ['aws'] })],
      latest: 2,
      acknowledged: 1,
      effective: 2,
    },
    {
      name: 'an observed put (no intent) newer than a delete',
      entries: [entry('delete', 1, { intent: true }), entry('put', 2, { holders: ['aws'] })],
      latest: 2,
      acknowledged: 2,
      effective: 2,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const view = newestOf(c.entries.map(item));
      const n = (i: { entry: JournalEntry } | undefined) =>
        i === undefined ? undefined : Number(i.entry.version.slice(0, 15));
      expect({
        latest: n(view.latest),
        acknowledged: n(view.acknowledged),
        effective: n(view.effective),
      }).toEqual({
        latest: c.latest,
        acknowledged: c.acknowledged,
        effective: c.effective,
      });
    });
  }
});
