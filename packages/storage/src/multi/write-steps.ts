import { FailoverError, type TargetFailure } from '@failover/core';
import { StorageError } from '../errors.js';
import type { JournalEntry } from '../journal/types.js';
import { appendEntry } from './appended.js';
import { type MultiContext, mayHaveLanded } from './context.js';
import { entryId, journalWrite, putIntentEntry } from './journaling.js';
import { observeHighWater, type WriteLeases } from './write-lease.js';
import type { WriteSpec } from './write-spec.js';

// The steps every write mode shares: its intent before it is sent, its record when it failed, and
// what reads observed of it forgotten once it decided.

/**
 * The version of a new write of `key` made without a write lease (a presigned upload): the clock
 * first moves past the key's high-water mark when the journal is a fleet's (see
 * {@link observeHighWater}). The store's own writes take their key's lease first
 * ({@link WriteLeases.claim}), which does the same.
 */
export async function versionFor(ctx: MultiContext, key: string): Promise<string> {
  await observeHighWater(ctx.journal, ctx.clock, key);
  return ctx.clock.next();
}

/**
 * Records a delete before it is sent, so a crash after it reached some targets can never let an
 * older copy come back: repair completes it. (A put needs no intent: its version is in the
 * objects it leaves, and repair never writes a version older than one the journal acknowledged.)
 */
export async function recordIntent(ctx: MultiContext, spec: WriteSpec): Promise<void> {
  ctx.inflight.set(spec.key, spec.version);
  if (spec.op !== 'delete' || ctx.targets.length < 2) return;
  await journalWrite(ctx, {
    ...spec,
    intent: true,
    holders: [],
    missing: ctx.targets.map((t) => t.name),
  });
}

/**
 * Records a parallel put before it is sent, as an intent naming no holder, so that a crash after
 * it reached some cloud (before its quorum was journaled) leaves a record of its version: after a
 * restart, a read that returns that version journals it as observed (no later read goes back
 * behind it), and repair copies it everywhere, or drops the intent once `settleMs` has passed and
 * no cloud has it. The put is sent once the intent is *written* ({@link Journal.appendIntent}:
 * it survives a crash of this process), not durable: its fsync overlaps the upload. The
 * acknowledged record (same id) replaces it; a put that reached no cloud withdraws it.
 */
export async function notePutIntent(ctx: MultiContext, spec: WriteSpec): Promise<void> {
  if (spec.op !== 'put' || ctx.targets.length < 2) return;
  const names = ctx.targets.map((t) => t.name);
  const entry = putIntentEntry(ctx, spec, [], names);
  try {
    void ctx.deferredRecords.flush(); // records the store made earlier go first
    await appendWritten(ctx, entry);
  } catch (err) {
    throw new StorageError(
      err instanceof FailoverError ? err.kind : 'unavailable',
      `The put of ${JSON.stringify(spec.key)} could not be journaled before it was sent; nothing was changed`,
      { key: spec.key, cause: err },
    );
  }
  // Unless a read already replaced it (it observed the version: never demoted back).
  if (ctx.pending.item(entry.id) === undefined) ctx.pending.append(entry);
}

/**
 * Publishes the SHA-256 and size of a streamed put, known once its body ended, in its intent: the
 * intent is appended again with them (the same id replaces it), before any target gets the body's
 * last byte ({@link Fanout.beforeEnd}). Another instance of a fleet that meets a copy of the write
 * not stamped yet (the writer stamps its copies after the write) can then verify it against the
 * shared journal's entry: no copy is whole anywhere before the hash is in the journal (fleet soak
 * seed 20261204: an unstamped copy of another instance's write in flight, damaged on its way to
 * the reader, was returned unverified). Nothing to do when a read already observed its version
 * (no longer an intent), or when the put recorded no intent (a `'primary'` put) and no other
 * process reads this journal. Rejects as the journal does; the caller goes on (its write's own
 * record then fails and says so).
 */
export async function noteStreamedHash(
  ctx: MultiContext,
  key: string,
  version: string,
  body: { readonly sha256: string; readonly size: number },
): Promise<void> {
  const item = ctx.pending.item(entryId(version, key));
  let entry: JournalEntry;
  if (item === undefined) {
    // A `'primary'` put records no intent before it is sent: with a journal the fleet shares, one
    // is recorded now (the write's record replaces it; a failed write withdraws it).
    if (ctx.journal.pendingOf === undefined || ctx.targets.length < 2) return;
    const names = ctx.targets.map((t) => t.name);
    entry = putIntentEntry(ctx, { key, version, sha256: body.sha256, size: body.size }, [], names);
  } else {
    if (item.entry.intent !== true || item.entry.sha256 !== undefined) return;
    entry = { ...item.entry, sha256: body.sha256, size: body.size };
  }
  await appendWritten(ctx, entry);
  // Unless the write's record or a read replaced it meanwhile.
  if (ctx.pending.item(entry.id)?.entry === item?.entry) ctx.pending.append(entry);
}

/**
 * Appends a put's intent and resolves once it is *written* ({@link Journal.appendIntent}: it
 * survives a crash of this process), or durable where the journal cannot tell the two apart.
 */
async function appendWritten(ctx: MultiContext, entry: JournalEntry): Promise<void> {
  const journal = ctx.journal;
  if (journal.appendIntent === undefined) {
    await appendEntry(ctx, entry);
    return;
  }
  const noted = journal.appendIntent(entry);
  // A failed fsync breaks the journal: the put's own record then fails, and says so.
  noted.durable.catch(() => {});
  await noted.written;
  ctx.appended.note(entry);
}

/**
 * True when the key has no pending entry but this write's own intent, as far as this process can
 * tell. Never with a journal shared by a fleet (`Journal.pendingOf`): another instance's entries
 * of the key (a pending delete, an older put) are not in this process's index, and until this
 * write's record supersedes them in the shared journal, the other instances read and list by them.
 */
export function onlyOwnIntent(ctx: MultiContext, spec: WriteSpec): boolean {
  if (ctx.journal.pendingOf !== undefined) return false;
  const id = entryId(spec.version, spec.key);
  return ctx.pending.entriesOf(spec.key).every((i) => i.entry.id === id && i.entry.intent === true);
}

/**
 * Journals a write that failed but reached some targets, or may still reach them (an answerless
 * request): an intent, so repair makes every target converge on one version without ever counting
 * it as acknowledged. A journal failure here is reported as an `error` event; the caller gets the
 * write's own error. Returns false when the write reached no target and may not still reach one.
 */
export async function journalFailed(
  ctx: MultiContext,
  spec: WriteSpec,
  holders: readonly string[],
  missing: readonly string[],
  failures: readonly TargetFailure[],
): Promise<boolean> {
  const late = failures.filter((f) => mayHaveLanded(f)).map((f) => f.target);
  if (holders.length === 0 && late.length === 0) {
    // It reached no target: its intent is withdrawn (it supersedes nothing, so nothing is lost).
    if (ctx.targets.length > 1) await withdrawIntent(ctx, spec);
    return false;
  }
  // A read returned this version while it was in flight: it is journaled as observed, and stays so.
  const observed = spec.op === 'put' && ctx.observedPuts.has(entryId(spec.version, spec.key));
  try {
    await journalWrite(ctx, { ...spec, intent: !observed, holders, missing, uncertain: late });
  } catch (err) {
    if (ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error: err });
  }
  return true;
}

/** Forgets what reads observed of a write once it has decided (its journal record is made). */
export function forgetObserved(ctx: MultiContext, spec: WriteSpec): void {
  const id = entryId(spec.version, spec.key);
  ctx.observedDeletes.delete(id);
  ctx.observedPuts.delete(id);
}

/**
 * Withdraws the intent of a write (a delete, or a parallel put) that reached no target. A journal
 * failure leaves it for repair (which drops a put's once its settle window has passed).
 */
export async function withdrawIntent(ctx: MultiContext, spec: WriteSpec): Promise<void> {
  const id = entryId(spec.version, spec.key);
  // A read already answered "not found" because of it: the delete must take effect (repair
  // completes it), or that read would be undone.
  if (ctx.observedDeletes.delete(id)) return;
  // Reads stop seeing it now, in the same tick as the check above: none can observe it between
  // the check and the journal's records below. (A put a read observed is no intent any more.)
  const item = ctx.pending.item(id);
  if (item === undefined || item.entry.op !== spec.op || item.entry.intent !== true) return;
  if (item.entry.provisional === true) return; // 'primary' mode's record: ProvisionalPut's own
  const targets = [...item.missing];
  ctx.pending.forget(id);
  try {
    void ctx.deferredRecords.flush();
    const journal = ctx.journal;
    // Shared by a fleet, an intent is withdrawn atomically: another instance may have confirmed
    // it first (its repair, to delete a copy on its behalf; or its read, that returned the put).
    const shared =
      journal.settleIntent !== undefined && (spec.op === 'delete' || journal.pendingOf !== undefined);
    if (!shared) {
      for (const t of targets) await journal.resolve(id, t);
    } else if (!(await journal.settleIntent!(id, 'withdraw'))) {
      // Confirmed by another process first: the write takes effect everywhere (repair completes
      // it). This process's index follows the journal again.
      for (const e of (await journal.pendingOf?.(spec.key)) ?? []) if (e.id === id) ctx.pending.append(e);
      ctx.repairSoon();
    }
  } catch (err) {
    if (ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error: err });
  }
}
