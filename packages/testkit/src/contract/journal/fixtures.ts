import type { Journal, JournalEntry } from '@failover/storage';
import { expect } from 'vitest';
import type { JournalFactory, JournalSubject } from './types.js';

/** An entry with defaults for what a case does not care about. */
export function entry(fields: Partial<JournalEntry> & Pick<JournalEntry, 'id'>): JournalEntry {
  return {
    op: 'put',
    key: 'k',
    version: 'v1',
    sha256: 'a'.repeat(64),
    size: 3,
    holders: ['a'],
    missing: ['b'],
    at: 1_700_000_000_000,
    ...fields,
  };
}

/** A delete entry (no body: no hash, no size) with defaults for what a case does not care about. */
export function deleteEntry(fields: Partial<JournalEntry> & Pick<JournalEntry, 'id'>): JournalEntry {
  return entry({ op: 'delete', sha256: undefined, size: undefined, ...fields });
}

/** `(id, missing, holders)` of every pending entry, in the journal's order. */
export async function pendingShape(
  journal: Journal,
): Promise<{ id: string; missing: string[]; holders: string[] }[]> {
  return (await journal.pending()).map((e) => ({
    id: e.id,
    missing: [...e.missing].sort(),
    holders: [...e.holders].sort(),
  }));
}

/** Checks pending() against `(id, missing, holders)` rows and backlog() against their missing counts. */
export async function expectPending(
  journal: Journal,
  rows: readonly { id: string; missing: string[]; holders: string[] }[],
): Promise<void> {
  const sorted = rows.map((r) => ({
    id: r.id,
    missing: [...r.missing].sort(),
    holders: [...r.holders].sort(),
  }));
  expect(await pendingShape(journal)).toEqual(sorted);
  expect(journal.backlog()).toBe(rows.reduce((n, r) => n + r.missing.length, 0));
}

/** Runs `body` with a fresh subject; closes its journals and cleans up afterwards. */
export async function withJournal(
  make: JournalFactory,
  body: (subject: JournalSubject, track: (journal: Journal) => Journal) => Promise<void>,
): Promise<void> {
  const subject = toSubject(await make());
  const journals: Journal[] = [subject.journal];
  const track = (journal: Journal): Journal => {
    journals.push(journal);
    return journal;
  };
  try {
    await subject.journal.open?.();
    await body(subject, track);
  } finally {
    for (const journal of journals) await journal.close();
    await subject.cleanup?.();
  }
}

/**
 * Closes the subject's journal and opens a new one over the same storage (`reopen`), tracked so
 * the suite closes it; `undefined` when the journal is not durable (no `reopen`).
 */
export async function reopenJournal(
  subject: { readonly journal: Journal; readonly reopen?: () => Promise<Journal> | Journal },
  track: (journal: Journal) => Journal,
): Promise<Journal | undefined> {
  if (subject.reopen === undefined) return undefined;
  await subject.journal.close();
  const again = track(await subject.reopen());
  await again.open?.();
  return again;
}

function toSubject(value: JournalSubject | Journal): JournalSubject {
  if (isJournal(value)) return { journal: value };
  if (value && typeof value === 'object' && isJournal((value as JournalSubject).journal)) return value;
  throw new TypeError('makeJournal must return a Journal or { journal, reopen?, cleanup? }');
}

function isJournal(value: unknown): value is Journal {
  const v = value as Partial<Record<keyof Journal, unknown>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.append === 'function' &&
    typeof v.resolve === 'function' &&
    typeof v.pending === 'function' &&
    typeof v.backlog === 'function' &&
    typeof v.close === 'function'
  );
}
