import { FailoverError } from '@failover/core';
import { StorageError } from '../errors.js';
import type { JournalEntry, JournalOp } from '../journal/types.js';
import { appendEntry } from './appended.js';
import { inOrder, type MultiContext } from './context.js';
import type { IntegrityError } from './errors.js';
import { inheritedWindows } from './inherited-windows.js';
import { deleteCompleted } from './tombstones.js';

/** The id of the journal entry of a write: its version (unique per write) and key. */
export function entryId(version: string, key: string): string {
  return `${version}:${key}`;
}

/**
 * The intent entry of a put about to be sent (`holders`: where it goes, not confirmed yet). A
 * request of a writer that died with it can land late: repair drops the version only once
 * `repair.settleMs` has passed and no target has it (`notBefore`).
 */
export function putIntentEntry(
  ctx: MultiContext,
  spec: {
    readonly key: string;
    readonly version: string;
    readonly sha256?: string | undefined;
    readonly size?: number | undefined;
  },
  holders: readonly string[],
  missing: readonly string[],
): JournalEntry {
  const now = Date.now();
  return {
    id: entryId(spec.version, spec.key),
    op: 'put',
    key: spec.key,
    version: spec.version,
    ...(spec.sha256 === undefined ? {} : { sha256: spec.sha256 }),
    ...(spec.size === undefined ? {} : { size: spec.size }),
    holders,
    missing,
    at: now,
    intent: true,
    notBefore: now + ctx.options.settleMs,
  };
}

/** What a write leaves to record. */
export interface WriteRecord {
  readonly op: JournalOp;
  readonly key: string;
  readonly version: string;
  readonly sha256?: string | undefined;
  readonly size?: number | undefined;
  readonly holders: readonly string[];
  readonly missing: readonly string[];
  /** Recorded before the write is sent: not acknowledged. */
  readonly intent?: boolean | undefined;
  /** Acknowledged with fewer copies than the write mode asks for. */
  readonly degraded?: boolean | undefined;
  /** Targets whose request ended without an answer: it may still land there (late). */
  readonly uncertain?: readonly string[] | undefined;
  /**
   * The copies carry no SHA-256 yet (a streamed body, see `stamp.ts`): every holder is recorded
   * as lacking the write until its copy is stamped.
   */
  readonly unstamped?: boolean | undefined;
  /**
   * The windows the write inherits (see inherited-windows.ts), looked up when it started so the
   * lookup overlaps its uploads; looked up when it is recorded otherwise.
   */
  readonly inherited?: Promise<ReadonlyMap<string, number>> | undefined;
}

/**
 * Records a write in the journal when some target lacks it, or when older pending entries of the
 * key must be superseded. Resolves once the entry is durable; rejects with a `StorageError` whose
 * cause is the journal's error otherwise (the write must then not be acknowledged).
 */
export async function journalWrite(ctx: MultiContext, w: WriteRecord): Promise<JournalEntry | undefined> {
  const id = entryId(w.version, w.key);
  // An acknowledged write supersedes older entries of the key: those written elsewhere may still
  // land late on some target (see inherited-windows.ts).
  const inherited =
    w.intent === true ? undefined : await (w.inherited ?? inheritedWindows(ctx, w.key, id, w.version));
  const { holders, missing, notBefore } = confirmedTargets(ctx, w, inherited);
  if (missing.length === 0 && ctx.pending.latest(w.key) === undefined) return undefined;
  const entry: JournalEntry = {
    id,
    op: w.op,
    key: w.key,
    version: w.version,
    ...(w.sha256 === undefined ? {} : { sha256: w.sha256 }),
    ...(w.size === undefined ? {} : { size: w.size }),
    holders: inOrder(ctx, holders),
    missing: inOrder(ctx, missing),
    at: Date.now(),
    ...(w.intent === true ? { intent: true } : {}),
    ...(notBefore === undefined ? {} : { notBefore }),
    ...(w.degraded === true && missing.length > 0 ? { degraded: true } : {}),
  };
  try {
    void ctx.deferredRecords.flush(); // first, and in the same group commit
    await appendEntry(ctx, entry);
  } catch (err) {
    throw new StorageError(
      err instanceof FailoverError ? err.kind : 'unavailable',
      w.intent === true && w.holders.length === 0
        ? `The ${w.op} of ${JSON.stringify(w.key)} could not be journaled before it was sent; nothing was changed`
        : `The ${w.op} of ${JSON.stringify(w.key)} reached ${w.holders.join(', ') || 'no target'} but could not be journaled; it is not acknowledged`,
      { key: w.key, cause: err },
    );
  }
  ctx.pending.append(entry);
  const recorded = await recordAgainWhileRepairing(ctx, entry);
  if (recorded.missing.length > 0 && recorded.intent !== true) {
    reportPlacement(ctx, 'journaled', recorded);
    ctx.repairSoon();
  }
  if (recorded.notBefore !== undefined) ctx.repairSoon(recorded.notBefore);
  return recorded;
}

/**
 * An acknowledged delete, once recorded, on a journal shared by a fleet (`Journal.repairLeased`):
 * when another process holds a repair lease on the key (or the journal cannot tell), its repair
 * may be copying an older version to a target right now, and that copy can land after the delete
 * (a delete leaves nothing on the target to refuse it). The delete is then recorded again with
 * every target missing, so reads and listings answer by it until repair has looked at every
 * target and deleted what came back. (A copy that lands while the lease is still held is caught
 * here; one that lands before the lease is released is journaled as behind the delete by that
 * repair itself, before the release: `journalIfBehind`.) A put needs none of this: its copies
 * refuse an older one (conditional writes). A journal failure leaves the first record.
 */
async function recordAgainWhileRepairing(ctx: MultiContext, entry: JournalEntry): Promise<JournalEntry> {
  const journal = ctx.journal;
  if (entry.op !== 'delete' || entry.intent === true || journal.repairLeased === undefined) return entry;
  const leased = await journal.repairLeased(entry.key).catch(() => true);
  if (!leased) return entry;
  const again: JournalEntry = {
    ...entry,
    holders: [],
    missing: ctx.targets.map((t) => t.name),
    at: Date.now(),
  };
  try {
    await appendEntry(ctx, again);
  } catch (err) {
    if (ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error: err });
    return entry;
  }
  ctx.pending.append(again);
  return again;
}

/** Where a write is: the payload of the `journaled` and `degraded` events. */
export interface Placement {
  readonly key: string;
  readonly op: JournalOp;
  readonly version: string;
  readonly holders: readonly string[];
  readonly missing: readonly string[];
}

/**
 * Counts a write that some target lacks (`journaled`: recorded for repair; `degraded`:
 * acknowledged with fewer copies than its mode asks for) and tells the event's listeners.
 */
export function reportPlacement(ctx: MultiContext, event: 'journaled' | 'degraded', w: Placement): void {
  ctx.counts[event]++;
  if (!ctx.events.has(event)) return;
  ctx.events.emit(event, {
    key: w.key,
    op: w.op,
    version: w.version,
    holders: [...w.holders],
    missing: [...w.missing],
  });
}

/**
 * Which targets hold a write for sure. A target whose request may still land late (`uncertain`),
 * or that holds the write while an earlier request of the key may still land on it (an open
 * window), is not trusted yet: it is listed as missing, and `notBefore` says when repair may check
 * it again and resolve it.
 */
function confirmedTargets(
  ctx: MultiContext,
  w: WriteRecord,
  inherited: ReadonlyMap<string, number> | undefined,
): { holders: string[]; missing: string[]; notBefore: number | undefined } {
  let notBefore: number | undefined;
  const later = (until: number | undefined): void => {
    if (until !== undefined && (notBefore === undefined || until > notBefore)) notBefore = until;
  };
  // Windows opened by earlier writes of the key (this process's, or inherited from entries written
  // elsewhere): a late request of those may replace this write.
  const windowOf = (t: string): number | undefined => {
    const own = ctx.uncertain.until(w.key, t);
    const other = inherited?.get(t);
    return own === undefined ? other : other === undefined ? own : Math.max(own, other);
  };
  const holders: string[] = [];
  const missing = [...w.missing];
  for (const t of w.holders) {
    const until = windowOf(t);
    if (until === undefined && w.unstamped !== true) holders.push(t);
    else {
      missing.push(t);
      later(until);
    }
  }
  for (const t of w.missing) later(windowOf(t));
  // This write's own answerless requests: a holder's lands with this very version (harmless now,
  // but a later write of the key must not trust it); a missing target's may still bring it.
  for (const t of w.uncertain ?? []) {
    const until = ctx.uncertain.open(w.key, t);
    if (missing.includes(t)) later(until);
  }
  return { holders, missing, notBefore };
}

/** Records that `target` now holds entry `id`. */
export async function resolveEntry(ctx: MultiContext, id: string, target: string): Promise<void> {
  void ctx.deferredRecords.flush(); // records the store made earlier go first
  await ctx.journal.resolve(id, target);
  const entry = ctx.pending.item(id)?.entry;
  ctx.pending.resolve(id, target);
  // A delete that reached every target: its tombstones (and older ones of its key) can go.
  if (entry?.op === 'delete' && ctx.pending.item(id) === undefined) deleteCompleted(ctx, entry);
}

/**
 * The targets other than `target` known to hold `version` of `key`: those a pending write of that
 * version in this process's index reached; none when it holds no such write. Never a guess: a
 * listing trusts these holders for the key. "Every other target" was one (soak seeds 24013 and,
 * in a fleet whose other instance made the write, 26103: a degraded write's corrupt copy, queued
 * with every other target as a holder, left the key out of listings of a target that lacked it).
 * With none named, a listing shows the key from the journal's record and repair asks every target.
 */
function holdersOf(ctx: MultiContext, key: string, version: string, target: string): string[] {
  const held = new Set(
    ctx.pending
      .entriesOf(key)
      .filter((i) => i.entry.op === 'put' && i.entry.version === version && !isCorruptCopyEntry(i.entry))
      .flatMap((i) => i.holders),
  );
  return ctx.targets.map((t) => t.name).filter((n) => n !== target && held.has(n));
}

/** Whether `entry` is the one {@link reportCorruptCopy} queues: a target whose copy read back damaged. */
export function isCorruptCopyEntry(entry: Pick<JournalEntry, 'id'>): boolean {
  return entry.id.startsWith(CORRUPT_COPY_PREFIX);
}

/** The id prefix of the entries {@link reportCorruptCopy} queues. */
const CORRUPT_COPY_PREFIX = 'integrity:';

/**
 * The targets whose copy of `key` was reported corrupt and is not repaired yet: reads ask them last.
 */
export function damagedCopies(ctx: MultiContext, key: string): Set<string> {
  const out = new Set<string>();
  for (const i of ctx.pending.entriesOf(key))
    if (isCorruptCopyEntry(i.entry)) for (const t of i.missing) out.add(t);
  return out;
}

/**
 * Reports a corrupt copy (event, counter) and, unless `queue` is false (reconcile fixes it
 * itself), queues it for repair: a journal entry saying that `target` lacks the version it claims
 * to hold, which the other targets may hold. Never throws; a journal failure is reported as an
 * `error` event.
 */
export function reportCorruptCopy(
  ctx: MultiContext,
  error: IntegrityError,
  sha256: string,
  queue = true,
): void {
  ctx.counts.integrityErrors++;
  const target = error.target!;
  const key = error.key!;
  if (ctx.events.has('integrityError')) {
    ctx.events.emit('integrityError', {
      key,
      target,
      version: error.version,
      expected: error.expected,
      actual: error.actual,
    });
  }
  const version = error.version;
  if (!queue || version === undefined || ctx.targets.length < 2) return;
  const entry: JournalEntry = {
    id: `${CORRUPT_COPY_PREFIX}${target}:${version}:${key}`,
    op: 'put',
    key,
    version,
    sha256,
    holders: holdersOf(ctx, key, version, target),
    missing: [target],
    at: Date.now(),
  };
  // Indexed at once, so the very next read already avoids the bad copy; durable a moment later.
  ctx.pending.append(entry);
  void ctx.deferredRecords.flush();
  appendEntry(ctx, entry).then(
    () => ctx.repairSoon(),
    (err: unknown) => {
      ctx.pending.forget(entry.id);
      if (ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error: err });
    },
  );
}
