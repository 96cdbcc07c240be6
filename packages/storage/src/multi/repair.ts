import { classifyFailure, optionError, readOptions, redact } from '@failover/core';
import type { JournalEntry } from '../journal/types.js';
import type { BlobInfo } from '../types.js';
import { appendEntry } from './appended.js';
import { inOrder, isBreakerRejection, type MultiContext, runOn } from './context.js';
import {
  behindIntentWithdrawn,
  confirmIntent,
  journalIfBehind,
  MARK_WATCH_MS,
  markReadable,
  markVerdict,
  watchMark,
} from './high-water.js';
import { isCorruptCopyEntry, resolveEntry } from './journaling.js';
import { eachLimited } from './pool.js';
import { confirmProvisional, provisionalNewer } from './provisional.js';
import { RepairSlots } from './repair-slots.js';
import { isDeferred, sha256Of, versionOf } from './reserved.js';
import { stampInPlace } from './stamp.js';
import {
  deleteSeen,
  type Fetched,
  fetchVersion,
  isRefused,
  VanishedError,
  writeFetched,
} from './transfer.js';
import type { RepairFailure, RepairReport, RepairRunOptions } from './types.js';
import { recheckUnchecked, setAsideUnchecked } from './unchecked.js';
import { compareVersions, replacedByAnotherWriter } from './version.js';

/** What repairing one (entry, target) pair came to. */
export type RepairOutcome = 'repaired' | 'conflict' | 'done' | 'lost' | 'deferred';

/**
 * One repair pass: every pending (entry, target) pair whose target is up gets the entry's version
 * (copied from a holder, verified against its SHA-256) or its delete, unless the target already
 * holds a newer version (a conflict: newest wins, the target is left alone). Degraded writes (on
 * one cloud only) go first. Each pair done is resolved in the journal; failures stay for the next
 * pass; a pair whose target may still receive a late request is checked again after the window.
 */
export async function repairPass(
  ctx: MultiContext,
  options: RepairRunOptions = {},
  skips?: { probeBusy: number },
  idle?: IdleFleetPasses,
): Promise<RepairReport> {
  const startedAt = Date.now();
  await ctx.ready();
  const only = checkTargets(ctx, options.targets);
  const signal = options.signal;
  await ctx.epochs.sweep(ctx).catch((err: unknown) => {
    if (ctx.events.has('error')) ctx.events.emit('error', { during: 'epoch', error: err });
  });
  // Targets that lost their data and whose restore did not finish (or, for a store that does not
  // repair by itself, did not start): try again. Such a store's restores are part of this pass.
  await Promise.all(ctx.epochs.amnesiac().map((t) => ctx.amnesiaFound(t, true, signal)));
  // A journal that lost its data, whose reconcile did not finish: try again.
  await ctx.journalResetRetry(signal);
  // Copies of earlier passes the journal could not check: checked now.
  await recheckUnchecked(ctx);
  void ctx.deferredRecords.flush(); // so that the journal's pending entries include them
  // While every target that lacks writes is down (a long outage of one cloud), the pass would skip
  // every pair: it says so without reading a backlog that may hold millions of entries, or (a
  // fleet's journal, read for the other instances' entries) without leasing their keys.
  const fleet = ctx.journal.pendingOf !== undefined;
  const automatic = idle !== undefined;
  const now = workableTargets(ctx);
  const skipRead =
    only === undefined &&
    (fleet ? idle !== undefined && stillIdle(ctx, idle, now) : nothingWorkable(ctx, now, automatic));
  if (skipRead) return allSkipped(ctx, startedAt, ctx.journal.backlog(), skips);
  const entries = await ctx.journal.pending();
  // A journal shared by a fleet holds other instances' entries too: any instance repairs them.
  if (fleet) {
    for (const e of entries) if (ctx.pending.item(e.id) === undefined) ctx.pending.append(e);
  }
  const pairs = workablePairs(ctx, entries, only, now, automatic);
  if (idle !== undefined) idle.last = pairs.workable === 0 ? { workable: now, at: Date.now() } : undefined;
  if (pairs.workable === 0) return allSkipped(ctx, startedAt, pairs.all, skips);
  const leased = await leaseKeys(ctx, entries);
  try {
    return await runTasks(ctx, entries, only, signal, startedAt, leased, skips);
  } finally {
    if (leased !== undefined && leased.size > 0) await releaseLeases(ctx, leased);
  }
}

/**
 * Gives the pass's leases back, but for keys with a window open on some target (a copy or delete
 * of this pass, or a write of this process, ended without an answer and may still land): while the
 * lease is held, a delete another instance records of the key is recorded for every target
 * (`recordAgainWhileRepairing`), so its reads say "not found" however late the request lands, and
 * its repair leaves the key alone until the window has passed. Those leases are extended to cover
 * the window, no longer: they expire just after it (or a later pass of this process releases them).
 */
async function releaseLeases(ctx: MultiContext, leased: ReadonlySet<string>): Promise<void> {
  const now = Date.now();
  const free: string[] = [];
  let keepUntil = 0;
  const kept: string[] = [];
  for (const key of leased) {
    const until = ctx.uncertain.latest(key);
    if (until === undefined) free.push(key);
    else {
      kept.push(key);
      keepUntil = Math.max(keepUntil, until);
    }
  }
  if (kept.length > 0 && ctx.journal.lease !== undefined) {
    await ctx.journal.lease(kept, keepUntil - now + LEASE_MARGIN_MS).catch(() => undefined);
  }
  if (free.length > 0) await ctx.journal.release?.(free).catch(() => undefined);
}

/** Extra time a lease kept for an open window lasts beyond it, ms (clock drift between processes). */
const LEASE_MARGIN_MS = 1_000;

/** How long a repair lease on a key lasts (ms); a pass releases its leases when it ends. */
const LEASE_MS = 60_000;

/**
 * With a journal that leases keys (a fleet's), the keys this pass may repair: those no other live
 * instance is repairing. `undefined`: no leasing (every key), also when the lease call fails.
 */
async function leaseKeys(
  ctx: MultiContext,
  entries: readonly JournalEntry[],
): Promise<Set<string> | undefined> {
  if (ctx.journal.lease === undefined || entries.length === 0) return undefined;
  try {
    return new Set(await ctx.journal.lease([...new Set(entries.map((e) => e.key))], LEASE_MS));
  } catch {
    return undefined;
  }
}

async function runTasks(
  ctx: MultiContext,
  entries: readonly JournalEntry[],
  only: Set<string> | undefined,
  signal: AbortSignal | undefined,
  startedAt: number,
  leased: Set<string> | undefined,
  skips: { probeBusy: number } | undefined,
): Promise<RepairReport> {
  const tasks: [JournalEntry, string][] = [];
  // Writes that live on fewer copies than asked first: they are the ones a second loss would take.
  const ordered = [
    ...entries.filter((e) => e.degraded === true),
    ...entries.filter((e) => e.degraded !== true),
  ];
  for (const e of ordered)
    for (const t of e.missing) if (only === undefined || only.has(t)) tasks.push([e, t]);
  let repaired = 0;
  let conflicts = 0;
  let lost = 0;
  let skipped = 0;
  let deferred = 0;
  const failed: RepairFailure[] = [];
  // A skip because the target's half-open breaker has its one probe in flight: counted for the
  // scheduler, which then runs another pass soon (see probe-retry.ts).
  const skip = (target: string): void => {
    skipped++;
    if (skips !== undefined && !signal?.aborted && probing(ctx, target)) skips.probeBusy++;
  };
  // How many copies run at once, per target: more while they go well, fewer when it struggles.
  const slots = new RepairSlots(ctx.options.repairConcurrency, ctx.options.repairMaxConcurrency);
  const limit = slots.limitFor(new Set(tasks.map(([, t]) => t)).size);
  await eachLimited(tasks, limit, async ([entry, target]) => {
    if (leased !== undefined && !leased.has(entry.key)) {
      skipped++;
      return;
    }
    await slots.take(target);
    const since = performance.now();
    /** Whether the copy settled its pair; `undefined`: skipped unrun (says nothing of its pace). */
    let ok: boolean | undefined;
    try {
      // Checked once the copy has its slot: the target may have gone down while it waited.
      if (signal?.aborted || !workable(ctx, target)) {
        skip(target);
        return;
      }
      const outcome = await repairOne(ctx, entry, target, signal, startedAt);
      ok = true;
      if (outcome === 'conflict') conflicts++;
      else if (outcome === 'lost') lost++;
      else if (outcome === 'deferred') deferred++;
      else repaired++;
    } catch (err) {
      ok = false;
      if (isBreakerRejection(err) || signal?.aborted) skip(target);
      else failed.push(failure(entry.key, target, entry.op, err));
    } finally {
      slots.give(target, ok === undefined ? undefined : { ok, ms: performance.now() - since });
    }
  });
  ctx.counts.repairPasses++;
  return {
    startedAt,
    durationMs: Date.now() - startedAt,
    attempted: tasks.length,
    repaired,
    conflicts,
    lost,
    skipped,
    deferred,
    failed,
    backlog: ctx.journal.backlog(),
  };
}

/**
 * Whether a pair of `target` can be repaired now: its breaker admits a call. A target on hold with
 * its breaker closed is skipped as one whose breaker is open: repair would be the one caller still
 * sending requests into its silence (a pass copies to it once it answered). Half-open, repair's
 * look is the probe that finds it back (and lifts the hold).
 */
function workable(ctx: MultiContext, target: string): boolean {
  return ctx.router.isAvailable(target) && (!ctx.unresponsive.held(target) || probing(ctx, target));
}

/**
 * Whether no pair of the backlog can be repaired now: no pair the store's pending index knows of
 * is for a target that takes calls ({@link knownIdle}), and that index accounts for the journal's
 * whole backlog (always, for a journal this store alone writes). O(targets + pending intents).
 */
function nothingWorkable(ctx: MultiContext, now: ReadonlySet<string>, automatic: boolean): boolean {
  return knownIdle(ctx, now, automatic) && ctx.pending.backlog === ctx.journal.backlog();
}

/**
 * Whether no pair the store's pending index knows of is for a target in `now` (those that take
 * calls). With `automatic` (a pass of the store's own timers), the pairs of a put intent that is
 * still settling do not count: its write is in flight in this process, or within its
 * `repair.settleMs` (another instance's, whose record replaces it in a moment; a later pass looks
 * at it if none does).
 */
function knownIdle(ctx: MultiContext, now: ReadonlySet<string>, automatic: boolean): boolean {
  for (const t of now) if (ctx.pending.behindRecorded(t) > 0) return false;
  for (const item of ctx.pending.intents()) {
    if (automatic && settling(ctx, item.entry)) continue;
    for (const t of item.missing) if (now.has(t)) return false;
  }
  return true;
}

/** An intent whose write is in flight in this process, or within its settle time. */
function settling(ctx: MultiContext, entry: JournalEntry): boolean {
  return (
    entry.intent === true &&
    (ctx.inflight.get(entry.key) === entry.version || (entry.notBefore ?? 0) > Date.now())
  );
}

/**
 * What the automatic passes of a store on a fleet's journal remember of the last one that read the
 * journal and found no pair it could copy (every target lacking writes down): until something
 * changes, the next ones need not read the whole backlog from Redis again, once a second per
 * instance, for a cloud that stays down for hours.
 */
export interface IdleFleetPasses {
  last: { readonly workable: ReadonlySet<string>; readonly at: number } | undefined;
}

/**
 * How long automatic passes on a fleet's journal trust an idle pass (ms): another instance's entry
 * for a target that takes calls is repaired by that instance at once, and by this one within this
 * time (an instance that died before repairing it).
 */
export const FLEET_IDLE_REREAD_MS = 30_000;

/**
 * Whether an automatic pass on a fleet's journal can skip reading it: the last pass that read it
 * found nothing it could copy, less than {@link FLEET_IDLE_REREAD_MS} ago, no target has begun to
 * take calls since (one coming back is tried at once), and no pair this store knows of (its own
 * writes, and others' seen before) is for a target that takes calls.
 */
function stillIdle(ctx: MultiContext, idle: IdleFleetPasses, now: ReadonlySet<string>): boolean {
  const last = idle.last;
  if (last === undefined || Date.now() - last.at >= FLEET_IDLE_REREAD_MS) return false;
  for (const t of now) if (!last.workable.has(t)) return false;
  return knownIdle(ctx, now, true);
}

/** The targets a pair could be repaired on now. */
function workableTargets(ctx: MultiContext): ReadonlySet<string> {
  const now = new Set<string>();
  for (const t of ctx.targets) if (workable(ctx, t.name)) now.add(t.name);
  return now;
}

/**
 * The (entry, target) pairs of `entries` (of the `only` targets), and how many can be repaired now
 * (with `automatic`, not counting the pairs of settling intents, see {@link knownIdle}).
 */
function workablePairs(
  ctx: MultiContext,
  entries: readonly JournalEntry[],
  only: ReadonlySet<string> | undefined,
  now: ReadonlySet<string>,
  automatic: boolean,
): { all: number; workable: number } {
  let all = 0;
  let ready = 0;
  for (const e of entries) {
    const waits = automatic && settling(ctx, e);
    for (const t of e.missing) {
      if (only !== undefined && !only.has(t)) continue;
      all++;
      if (now.has(t) && !waits) ready++;
    }
  }
  return { all, workable: ready };
}

/** The report of a pass that skipped all its `pairs` (no target could take a call). */
function allSkipped(
  ctx: MultiContext,
  startedAt: number,
  pairs: number,
  skips: { probeBusy: number } | undefined,
): RepairReport {
  // A half-open target whose probe is busy (another call's): the scheduler tries again soon.
  if (skips !== undefined && ctx.targets.some((t) => probing(ctx, t.name))) skips.probeBusy += pairs;
  ctx.counts.repairPasses++;
  return {
    startedAt,
    durationMs: Date.now() - startedAt,
    attempted: pairs,
    repaired: 0,
    conflicts: 0,
    lost: 0,
    skipped: pairs,
    deferred: 0,
    failed: [],
    backlog: ctx.journal.backlog(),
  };
}

/** Whether `target`'s breaker is half-open now (its probe in flight, when calls are skipped). */
function probing(ctx: MultiContext, target: string): boolean {
  return ctx.router.stateOf(target) === 'halfOpen';
}

/** What to do for one (entry, target) pair, given what the target holds now. */
export type RepairStep =
  /** Nothing to write: the target holds the entry's version (or, for a delete, nothing). */
  | { readonly type: 'none' }
  /** The target holds a newer version: leave it (newest wins). */
  | { readonly type: 'conflict'; readonly found: string | undefined }
  /** Delete the target's (older) copy. */
  | { readonly type: 'delete' }
  /** Copy the entry's version (or a newer one) to the target. */
  | { readonly type: 'copy' }
  /** The target holds the entry's version, written from a stream and not yet stamped with its SHA-256. */
  | { readonly type: 'stamp' };

/**
 * Decides one repair pair (pure). `current` is the target's copy of the key (`null`: none), with
 * its version and SHA-256.
 */
export function decideRepair(
  entry: Pick<JournalEntry, 'op' | 'version' | 'sha256' | 'id' | 'size'>,
  current: {
    readonly version: string | undefined;
    readonly sha256: string | undefined;
    readonly size?: number | undefined;
    /** The copy carries no SHA-256 yet (`fo_sha256` deferred to the journal). */
    readonly deferred?: boolean | undefined;
  } | null,
): RepairStep {
  if (current !== null && compareVersions(current.version, entry.version) > 0) {
    return { type: 'conflict', found: current.version };
  }
  if (entry.op === 'delete') return current === null ? { type: 'none' } : { type: 'delete' };
  // The version's metadata alone is not enough: a request cut mid-body can leave the right
  // metadata over a short body (seen with s3rver); a size that differs means a broken copy.
  const alreadyThere =
    current !== null &&
    current.version === entry.version &&
    current.sha256 === entry.sha256 &&
    (entry.size === undefined || current.size === undefined || current.size === entry.size) &&
    !isCorruptCopyEntry(entry);
  if (alreadyThere) return { type: 'none' };
  const unstamped =
    current?.deferred === true &&
    current.version === entry.version &&
    entry.sha256 !== undefined &&
    entry.size !== undefined &&
    current.size === entry.size &&
    !isCorruptCopyEntry(entry);
  return unstamped ? { type: 'stamp' } : { type: 'copy' };
}

/**
 * How many times repair (and reconcile) looks at a target again after its copy or delete was
 * refused because the target changed between the look and the write (a late request or another
 * writer landed there).
 */
export const COPY_ATTEMPTS = 4;

/** What applying one repair step did: done (with where the copy came from), settled otherwise, or look again. */
type Applied =
  | { readonly type: 'applied'; readonly from: string | undefined; readonly version: string }
  | { readonly type: 'settled'; readonly outcome: RepairOutcome }
  | { readonly type: 'changed'; readonly error: unknown };

/**
 * Brings `target` up to `entry` (under the key's lock), then resolves the pair in the journal.
 * Copies and deletes are conditional on what the target held when repair looked (see
 * `copyCondition` and `deleteCondition`): when the target changed meanwhile, repair looks again
 * and decides again (a newer copy there wins; an older one is replaced or deleted under a new
 * condition), up to {@link COPY_ATTEMPTS} times; after that the pair stays pending for the next
 * pass. While it works, the key's high-water mark is watched ({@link watchMark}), so a write
 * another process journals meanwhile reaches the target however long the copy takes; at once when
 * the pass read the journal (`passStartedAt`) longer ago than the watch's period.
 */
export function repairOne(
  ctx: MultiContext,
  pendingEntry: JournalEntry,
  target: string,
  signal: AbortSignal | undefined,
  passStartedAt: number = Date.now(),
): Promise<RepairOutcome> {
  let entry = pendingEntry;
  const { key } = entry;
  return ctx.lock(key, async (): Promise<RepairOutcome> => {
    // A newer write or another repair may have settled this pair (or replaced the entry: a lost
    // version becomes a tombstone with its id) while we waited for the lock.
    const live = ctx.pending.item(entry.id);
    if (live === undefined || live.entry.op !== entry.op || !live.missing.includes(target)) return 'done';
    if (entry.op === 'put' && deletedLater(ctx, entry)) {
      // The target gets the newer delete instead (or got it already): never the older version.
      await resolveEntry(ctx, entry.id, target);
      return 'done';
    }
    if (entry.op === 'put' && provisionalNewer(ctx, entry)) {
      // A newer put may have been acknowledged: once it is confirmed (and supersedes this entry)
      // or dropped, the next pass decides. Never an older version in between.
      return 'deferred';
    }
    const intent = await confirmIntent(ctx, live.entry);
    if (intent === 'gone') {
      // Another process's delete intent, withdrawn by its writer (it reached no cloud) or settled.
      ctx.pending.forget(entry.id);
      return 'done';
    }
    if (intent === 'as-before' && (await behindIntentWithdrawn(ctx, live.entry))) {
      // The delete it stood for reached no target and was withdrawn: the copy there is live.
      await resolveEntry(ctx, entry.id, target);
      return 'done';
    }
    if (live.entry.provisional === true) {
      // Found on its holder: the put happened, and is repaired as acknowledged (it may have been).
      entry = (await confirmProvisional(ctx, entry.id, signal)) ?? entry;
    } else if (entry.provisional === true) {
      // Acknowledged since the pass began: repaired as such.
      entry = { ...live.entry, holders: [...live.holders], missing: [...live.missing] };
    }
    const fetched: { value?: Fetched } = {};
    // Only a copy can land where a delete left nothing to refuse it: deletes are not watched.
    const copying = entry;
    const watch =
      copying.op === 'put'
        ? watchMark(
            ctx,
            key,
            target,
            () => fetched.value?.version ?? copying.version,
            Date.now() - passStartedAt >= MARK_WATCH_MS,
          )
        : { stop: () => {} };
    let applied: Applied;
    try {
      for (let attempt = 1; ; attempt++) {
        applied = await lookAndApply(ctx, entry, target, signal, fetched);
        if (applied.type !== 'changed') break;
        if (attempt >= COPY_ATTEMPTS) throw applied.error;
      }
    } finally {
      watch.stop();
      fetched.value?.spool.release();
    }
    if (applied.type === 'settled') return applied.outcome;
    // A late request of the key may still land on the target: check it again after the window.
    const until = Math.max(entry.notBefore ?? 0, ctx.uncertain.until(key, target) ?? 0);
    if (until > Date.now()) {
      ctx.repairSoon(until);
      return 'deferred';
    }
    await resolveEntry(ctx, entry.id, target);
    ctx.counts.repaired++;
    if (ctx.events.has('repaired')) {
      ctx.events.emit('repaired', {
        key,
        op: entry.op,
        version: applied.version,
        target,
        from: applied.from,
      });
    }
    return 'repaired';
  });
}

/**
 * One look at the target and the step {@link decideRepair} picks, applied. A copy or delete the
 * target refused because it changed since the look is `changed` (look again); the version fetched
 * for a copy is kept in `fetched` for the next attempt.
 */
async function lookAndApply(
  ctx: MultiContext,
  entry: JournalEntry,
  target: string,
  signal: AbortSignal | undefined,
  fetched: { value?: Fetched },
): Promise<Applied> {
  const { key } = entry;
  const current = await runOn(
    ctx,
    target,
    (s, sig) => s.head(key, sig === undefined ? {} : { signal: sig }),
    signal,
  );
  const found = current === null ? undefined : versionOf(current);
  ctx.clock.observe(found);
  const step = decideRepair(
    entry,
    current === null
      ? null
      : { version: found, sha256: sha256Of(current), size: current.size, deferred: isDeferred(current) },
  );
  // An unstamped copy is stamped in place where the target can; otherwise it is rewritten, from
  // itself first (its bytes verified against the journal's SHA-256 on the way).
  if (
    step.type === 'stamp' &&
    (await stampInPlace(ctx, entry.key, entry.version, entry.sha256!, target, current!, signal))
  ) {
    return { type: 'applied', from: undefined, version: entry.version };
  }
  switch (step.type) {
    case 'conflict':
      conflict(ctx, key, target, entry.version, step.found);
      await resolveEntry(ctx, entry.id, target);
      return { type: 'settled', outcome: 'conflict' };
    case 'delete':
      // Conditional on the copy seen: a version landing there meanwhile is never deleted unseen.
      try {
        await deleteSeen(ctx, key, target, current, signal);
      } catch (err) {
        if (isRefused(err)) return { type: 'changed', error: err };
        throw err;
      }
      return { type: 'applied', from: undefined, version: entry.version };
    case 'none':
      // The target holds the version: maybe a copy whose check against the key's mark failed (the
      // journal did not answer) or never ran (this process died): checked now, as after a copy.
      if (
        entry.op === 'put' &&
        current !== null &&
        (await journalIfBehind(ctx, key, target, entry.version)) !== undefined
      ) {
        await resolveEntry(ctx, entry.id, target);
        return { type: 'settled', outcome: 'done' };
      }
      return { type: 'applied', from: undefined, version: entry.version };
    case 'copy':
    case 'stamp':
      break;
  }
  // A copy follows (a stamp that could not be made in place is a copy too).
  await markReadable(ctx, key);
  if (fetched.value === undefined) {
    const sources = [
      ...(step.type === 'stamp' ? [target] : []),
      ...inOrder(ctx, entry.holders),
      ...ctx.targets.map((t) => t.name).filter((n) => n !== target && !entry.holders.includes(n)),
      // A copy reported corrupt (by a read) is still this target's: the version may be on no
      // other target (a degraded write), and the damage may have been on the way. Read last, it
      // is rewritten in place if it now reads whole; if not, the pair waits (never lost while a
      // copy is there).
      ...(isCorruptCopyEntry(entry) ? [target] : []),
    ];
    try {
      fetched.value = await fetchVersion(ctx, key, sources, entry.version, entry.sha256, signal);
      // Found again: a later vanishing waits its own settle window (and the map keeps nothing).
      vanishedSince.get(ctx)?.delete(entry.id);
    } catch (err) {
      if (!(err instanceof VanishedError)) throw err;
      if ((entry.provisional === true || entry.intent === true) && (entry.notBefore ?? 0) > Date.now()) {
        // A put sent by a writer that may have died with it, or a failed write whose request timed
        // out: it may still land. Dropped now, a late landing would leave the clouds divergent.
        ctx.repairSoon(entry.notBefore);
        return { type: 'settled', outcome: 'deferred' };
      }
      if (replacedByAnotherWriter(entry.version, err.olderOn, entry.holders)) {
        // Another writer's write landed last everywhere: it stays (a conflict, not a loss).
        conflict(ctx, key, target, entry.version, found);
        await resolveEntry(ctx, entry.id, target);
        return { type: 'settled', outcome: 'conflict' };
      }
      return { type: 'settled', outcome: await settleVanished(ctx, entry, err.seen) };
    }
  }
  let landed: BlobInfo;
  try {
    landed = await writeFetched(ctx, key, fetched.value, target, signal, current);
  } catch (err) {
    if (isRefused(err)) return { type: 'changed', error: err };
    throw err;
  }
  // A holder may hold a newer version by now: the newest is what the target gets.
  const copied = fetched.value.version ?? entry.version;
  // Another process's newer write (a delete leaves nothing on the target to refuse the copy) may
  // have landed on the target before the copy did: the target is then journaled as lacking it.
  let behind: JournalEntry | undefined;
  try {
    behind = await journalIfBehind(ctx, key, target, copied);
  } catch (err) {
    // Not checked: taken back (or remembered), and the pair stays pending.
    await setAsideUnchecked(ctx, { key, target, version: copied }, landed, signal);
    throw err;
  }
  if (behind !== undefined) {
    await resolveEntry(ctx, entry.id, target);
    return { type: 'settled', outcome: 'done' };
  }
  return { type: 'applied', from: fetched.value.from, version: copied };
}

/**
 * True when a delete of the entry's key newer than it is pending, even one never acknowledged (a
 * delete's intent): such an intent is withdrawn by its own write, under the key's lock, when it
 * reached no target; one repair can see stays, and repair completes it on every target. A delete
 * leaves no version behind on a target, so copying the older put there (before or after the
 * delete landed) would bring the overwritten version back, and the journal's own rule (an intent
 * supersedes nothing) does not stop it.
 */
function deletedLater(ctx: MultiContext, entry: JournalEntry): boolean {
  return ctx.pending
    .entriesOf(entry.key)
    .some((i) => i.entry.op === 'delete' && compareVersions(i.entry.version, entry.version) > 0);
}

/**
 * The entry's version is on no target any more (every source answered). If a newer write of the
 * key is pending, that one decides. An intent (never acknowledged) simply did not happen. An
 * acknowledged version is lost: reported, and settled as a delete at that version, so the older
 * copies the targets may still hold never come back.
 */
async function settleVanished(
  ctx: MultiContext,
  entry: JournalEntry,
  seen: readonly string[],
): Promise<RepairOutcome> {
  const newer = ctx.pending
    .entriesOf(entry.key)
    .filter((i) => compareVersions(i.entry.version, entry.version) > 0);
  // Only a newer write that happened supersedes the lost version. One whose fate is unknown (an
  // intent: it failed, or is in flight) may have reached no cloud: this loss waits until it is
  // settled (found somewhere, or dropped after its settle window), or the older copies would come
  // back unreported.
  if (entry.intent !== true && newer.length > 0 && newer.every((i) => i.entry.intent === true)) {
    return 'deferred';
  }
  const verdict = newer.length > 0 || entry.intent === true ? 'superseded' : await markVerdict(ctx, entry);
  if (verdict === 'inFlight') return 'deferred';
  if (verdict === 'superseded') {
    vanishedSince.get(ctx)?.delete(entry.id);
    for (const t of [...entry.missing]) await resolveEntry(ctx, entry.id, t);
    // Older entries of the key waited for a provisional put (provisionalNewer): their turn.
    if (entry.provisional === true) ctx.repairSoon();
    return 'done';
  }
  if (!vanishedLongEnough(ctx, entry.id)) return 'deferred';
  reportLost(ctx, entry.key, entry.version, 'repair', seen);
  const tombstone: JournalEntry = {
    id: entry.id,
    op: 'delete',
    key: entry.key,
    version: entry.version,
    holders: [],
    missing: ctx.targets.map((t) => t.name),
    at: Date.now(),
  };
  void ctx.deferredRecords.flush(); // records the store made earlier go first
  await appendEntry(ctx, tombstone);
  ctx.pending.append(tombstone);
  ctx.repairSoon(Date.now());
  return 'lost';
}

/** Per store: when each entry's version was first found on no target (ms), by entry id. */
const vanishedSince = new WeakMap<MultiContext, Map<string, number>>();

/**
 * Whether an acknowledged version found on no target may be reported lost now. With a journal a
 * fleet shares, another instance's write of the key may have removed it without this process
 * knowing yet (a delete sent while Redis was away, kept in that instance's local journal until it
 * merges back, or still in flight while that instance stalls: fleet soak seed 27625): the loss is
 * reported only when the version is still found nowhere `repair.settleMs` after it was first
 * (repair looks again then). A process alone on its journal orders its own writes: at once.
 */
function vanishedLongEnough(ctx: MultiContext, id: string): boolean {
  const wait = ctx.options.settleMs;
  if (ctx.journal.pendingOf === undefined || wait <= 0) return true;
  let since = vanishedSince.get(ctx);
  if (since === undefined) {
    since = new Map();
    vanishedSince.set(ctx, since);
  }
  const now = Date.now();
  const first = since.get(id);
  if (first === undefined) {
    since.set(id, now);
    ctx.repairSoon(now + wait);
    return false;
  }
  if (now - first < wait) {
    ctx.repairSoon(first + wait);
    return false;
  }
  since.delete(id);
  return true;
}

/** Counts and reports an acknowledged version found on no target (`seen`: what each source answered). */
export function reportLost(
  ctx: MultiContext,
  key: string,
  version: string,
  during: 'repair' | 'reconcile',
  seen?: readonly string[],
): void {
  ctx.counts.lost++;
  // Settled as a delete at that version: a copy older than it reads as "not found" (see read.ts).
  ctx.acked.note(key, { op: 'delete', version });
  if (ctx.events.has('lost'))
    ctx.events.emit('lost', { key, version, during, ...(seen === undefined ? {} : { seen: [...seen] }) });
}

function conflict(
  ctx: MultiContext,
  key: string,
  target: string,
  version: string,
  found: string | undefined,
): void {
  ctx.acked.forget(key); // the other writer's copy stays: reads take it
  ctx.counts.conflicts++;
  if (ctx.events.has('conflict'))
    ctx.events.emit('conflict', { key, target, version, found, during: 'repair' });
}

/** A failure for a report: kind and a message without credentials. */
export function failure(key: string, target: string, op: 'put' | 'delete', err: unknown): RepairFailure {
  const message = err instanceof Error ? redact(err.message) : redact(String(err));
  return { key, target, op, kind: classifyFailure(err), message };
}

function checkTargets(ctx: MultiContext, targets: readonly string[] | undefined): Set<string> | undefined {
  if (targets === undefined) return undefined;
  const list = readOptions({ targets }).array('targets', { of: 'target names', required: true });
  const names = [...ctx.byName.keys()].map((n) => `'${n}'`).join(', ');
  list.forEach((t, i) => {
    if (typeof t !== 'string' || !ctx.byName.has(t)) throw optionError(`targets[${i}]`, `one of ${names}`, t);
  });
  return new Set(targets);
}
