import { classifyFailure, isAvailabilityKind } from '@failover/core';
import { throwIfAborted } from '../abort.js';
import { InvalidArgumentError } from '../errors.js';
import type { JournalEntry } from '../journal/types.js';
import { compareUtf8 } from '../order.js';
import { type BlobInfo, isPrefixEntry, type ListEntry } from '../types.js';
import { appendEntry } from './appended.js';
import { type MultiContext, runOn } from './context.js';
import { IntegrityError } from './errors.js';
import { journalIfBehind, markReadable, markVerdict, watchMark } from './high-water.js';
import { reportCorruptCopy, resolveEntry } from './journaling.js';
import { eachLimited } from './pool.js';
import { corruptCopyOf, readForOwnCheck } from './provider-check.js';
import { type KeyCopy, type KeyPlan, planKey, recheckCopy, recheckDelete } from './reconcile-plan.js';
import { COPY_ATTEMPTS, failure, reportLost } from './repair.js';
import { isDeferred, STORE_PREFIX, sha256Of, versionOf } from './reserved.js';
import { deferredSha256 } from './stamp.js';
import {
  dropTombstones,
  dropTombstonesOf,
  readTombstones,
  type Tombstones,
  tombstoneEntry,
  tombstoneHash,
} from './tombstones.js';
import { deleteSeen, type Fetched, fetchVersion, isRefused, writeFetched } from './transfer.js';
import type { ReconcileChange, ReconcileOptions, ReconcileReport, RepairFailure } from './types.js';
import { setAsideUnchecked } from './unchecked.js';
import { sha256Hex } from './verify.js';
import { compareVersions } from './version.js';

/** A target's listing, read one entry ahead. */
interface Cursor {
  readonly target: string;
  readonly iterator: AsyncIterator<BlobInfo>;
  head: BlobInfo | undefined;
  done: boolean;
}

interface Tally {
  checked: number;
  inSync: number;
  copied: number;
  deleted: number;
  conflicts: number;
  corrupt: number;
  readonly errors: RepairFailure[];
  readonly changes: ReconcileChange[];
  readonly skipped: Set<string>;
  /** `key\0target` of deletes that failed in this run. */
  readonly failedTargets: Set<string>;
  lost: number;
}

/**
 * Compares every target's objects under a prefix and fixes divergence. The targets' listings are
 * walked together in key order (memory stays flat however many keys there are). For each key: the
 * newest version wins and is copied (verified) to targets that lack it or hold an older one; a
 * journaled delete newer than every copy is applied; a target holding something newer than the
 * journal's delete, or the same version with different content, is a conflict (the newest, or the
 * highest-priority copy, wins). Pending journal entries the fix settles are resolved.
 */
export async function reconcile(ctx: MultiContext, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const started = Date.now();
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string') throw new InvalidArgumentError('prefix', 'must be a string');
  const dryRun = options.dryRun === true;
  const { signal } = options;
  throwIfAborted(signal);
  await ctx.ready();
  ctx.checkOpen();
  const tally: Tally = {
    checked: 0,
    inSync: 0,
    copied: 0,
    deleted: 0,
    conflicts: 0,
    corrupt: 0,
    errors: [],
    changes: [],
    skipped: new Set(),
    failedTargets: new Set(),
    lost: 0,
  };
  const cursors: Cursor[] = [];
  for (const t of ctx.targets) {
    if (!ctx.router.isAvailable(t.name)) {
      tally.skipped.add(t.name);
      continue;
    }
    const iterator = objectsOf(t.store.list({ prefix, ...(signal === undefined ? {} : { signal }) }));
    cursors.push({ target: t.name, iterator, head: undefined, done: false });
  }
  // Deletes some target missed leave tombstones on the others: acknowledged deletes, also when
  // the journal lost its record of them (tombstones.ts).
  const tombstones = await readTombstones(
    ctx,
    cursors.map((c) => c.target),
    signal,
  );
  await Promise.all(cursors.map((c) => advance(c, tally, prefix)));
  const live = (): Cursor[] => cursors.filter((c) => !c.done && !tally.skipped.has(c.target));
  const groups = (async function* (): AsyncGenerator<[string, Map<string, BlobInfo>, Set<string>]> {
    for (;;) {
      throwIfAborted(signal);
      const open = live();
      if (open.length === 0) return;
      let key = open[0]!.head!.key;
      for (const c of open) if (compareUtf8(c.head!.key, key) < 0) key = c.head!.key;
      const listed = new Map<string, BlobInfo>();
      const here = open.filter((c) => c.head!.key === key);
      for (const c of here) listed.set(c.target, c.head!);
      // Targets compared for this key: every listing still running (or finished) without failure.
      const compared = new Set(cursors.filter((c) => !tally.skipped.has(c.target)).map((c) => c.target));
      await Promise.all(here.map((c) => advance(c, tally, prefix)));
      // The store's own objects (epoch markers, drill canaries) are not user data.
      if (key.startsWith(STORE_PREFIX)) continue;
      yield [key, listed, compared];
    }
  })();
  /** The keys (by tombstone hash) some target still held. */
  const held = new Set<string>();
  await eachLimited(groups, ctx.options.repairConcurrency, ([key, listed, compared]) =>
    reconcileKey(ctx, key, listed, compared, tally, held, {
      started,
      dryRun,
      tombstones,
      verify: options.verify === true,
      signal,
    }),
  );
  // A tombstone of a key no target holds any more (the whole store compared): its delete is done.
  if (prefix === '' && !dryRun && tally.skipped.size === 0 && tally.errors.length === 0) {
    for (const [hash, version] of tombstones) if (!held.has(hash)) dropTombstonesOf(ctx, hash, version);
  }
  return {
    prefix,
    dryRun,
    checked: tally.checked,
    inSync: tally.inSync,
    copied: tally.copied,
    deleted: tally.deleted,
    conflicts: tally.conflicts,
    corrupt: tally.corrupt,
    lost: tally.lost,
    errors: tally.errors,
    skippedTargets: ctx.targets.map((t) => t.name).filter((n) => tally.skipped.has(n)),
    changes: tally.changes.sort((a, b) => compareUtf8(a.key, b.key)),
    durationMs: Date.now() - started,
  };
}

interface KeyOptions {
  /** When reconcile started: journal entries made since are left alone. */
  readonly started: number;
  readonly dryRun: boolean;
  /** The tombstones found on the compared targets (tombstones.ts). */
  readonly tombstones: Tombstones;
  readonly verify: boolean;
  readonly signal: AbortSignal | undefined;
}

async function reconcileKey(
  ctx: MultiContext,
  key: string,
  listed: ReadonlyMap<string, BlobInfo>,
  compared: ReadonlySet<string>,
  tally: Tally,
  held: Set<string>,
  o: KeyOptions,
): Promise<void> {
  tally.checked++;
  // The key's tombstone hash, hashed once (only when some tombstone was found).
  const hash = o.tombstones.size > 0 ? tombstoneHash(key) : undefined;
  if (hash !== undefined) held.add(hash);
  await ctx.lock(key, async () => {
    let { copies, unknown, seen } = await gatherCopies(ctx, key, listed, compared, tally, o);
    let targets = ctx.targets.map((t) => t.name).filter((n) => compared.has(n) && !unknown.has(n));
    if (o.verify) await verifyCopies(ctx, key, copies, tally, o.signal);
    const pending = ctx.pending.entriesOf(key).map((i) => i.entry);
    // The key's tombstone counts as an acknowledged delete (a floor); nothing resolves it.
    const tombstone = hash === undefined ? undefined : tombstoneEntry(o.tombstones, key, hash);
    const entries = tombstone === undefined ? pending : [...pending, tombstone];
    let allCompared = targets.length === ctx.targets.length;
    let plan = planKey(copies, targets, entries, allCompared);
    if (plan.action.type === 'delete' && plan.action.lost) {
      // The listings may predate a write of the key made since (it waited for this lock): before
      // declaring a version lost, and deleting every copy, look at what each target holds now.
      const now = await headAll(ctx, key, targets, tally, o.signal);
      ({ copies, seen } = await gatherCopies(ctx, key, now.found, compared, tally, o));
      targets = targets.filter((n) => !now.failed.has(n));
      allCompared = targets.length === ctx.targets.length;
      plan = planKey(copies, targets, entries, allCompared);
    }
    if (plan.action.type === 'delete' && plan.action.lost) plan = await unlessSuperseded(ctx, key, plan);
    for (const c of plan.conflicts) {
      ctx.acked.forget(key); // the other writer's copy stays: reads take it
      tally.conflicts++;
      ctx.counts.conflicts++;
      if (ctx.events.has('conflict')) {
        ctx.events.emit('conflict', {
          key,
          target: c.target,
          version: c.version,
          found: c.found,
          during: 'reconcile',
        });
      }
    }
    const action = plan.action;
    /** Every target compared now holds nothing older than the tombstone: it can go. */
    const tombstoneDone = (): void => {
      const failed = targets.some((t) => tally.failedTargets.has(`${key}\0${t}`));
      if (tombstone !== undefined && allCompared && !o.dryRun && !failed) {
        dropTombstones(ctx, key, tombstone.version);
      }
    };
    switch (action.type) {
      case 'none':
        tally.inSync++;
        await settleEntries(ctx, entries, targets, plan.settle, o.dryRun, allCompared);
        tombstoneDone();
        return;
      case 'skip':
        return;
      case 'delete':
        if (action.lost) {
          tally.lost++;
          if (!o.dryRun) reportLost(ctx, key, action.version, 'reconcile');
        }
        tally.changes.push({
          key,
          action: 'delete',
          version: action.version,
          from: undefined,
          targets: action.targets,
        });
        if (o.dryRun) return;
        await applyDelete(ctx, key, action, seen, tally, o.signal);
        await settleEntries(
          ctx,
          entries,
          targets.filter((t) => !action.targets.includes(t) || !tally.failedTargets.has(`${key}\0${t}`)),
          plan.settle,
          false,
          allCompared,
        );
        tombstoneDone();
        return;
      case 'copy': {
        tally.changes.push({
          key,
          action: 'copy',
          version: action.version,
          from: action.from,
          targets: action.targets,
        });
        if (o.dryRun) return;
        const done = await applyCopy(ctx, key, action, copies, seen, tally, o.signal);
        await settleEntries(
          ctx,
          entries,
          targets.filter((t) => !action.targets.includes(t) || done.has(t)),
          plan.settle,
          false,
          allCompared,
        );
        if (action.targets.every((t) => done.has(t))) tombstoneDone();
        return;
      }
    }
  });
}

/**
 * A version the plan finds lost (on no target) that a newer acknowledged write of its key
 * replaced, by the key's high-water mark ({@link markVerdict}): with a journal shared by a fleet,
 * that write may be another instance's, whose entries are not in this process's index (a delete
 * that left nothing on any target, fleet soak seed 27512). It was overwritten or deleted, not
 * lost: nothing is deleted or reported, and this process's entries up to it are settled on the
 * compared targets (the newer write's own entry brings every target to it). A newer write still in
 * flight, or a mark that cannot be read (the shared journal away), leaves the key for later; so
 * does, in a fleet, a version nothing replaced (repair reports it lost after `repair.settleMs`).
 * Journals without marks: the plan as it is.
 */
async function unlessSuperseded(ctx: MultiContext, key: string, plan: KeyPlan): Promise<KeyPlan> {
  if (plan.action.type !== 'delete' || ctx.journal.highWater === undefined) return plan;
  const version = plan.action.version;
  let verdict: 'superseded' | 'inFlight' | 'none';
  try {
    verdict = await markVerdict(ctx, { key, version });
  } catch {
    return skipPlan(`the journal could not tell whether version ${version} was replaced`);
  }
  if (verdict === 'inFlight') return skipPlan(`a write newer than version ${version} is in flight`);
  if (verdict === 'superseded')
    return { action: { type: 'none' }, conflicts: plan.conflicts, settle: version };
  // In a fleet, another instance's write may have removed it without Redis knowing yet (a delete
  // kept in that instance's local journal, or in flight: fleet soak seed 27634): repair, which
  // reports a loss only once the version is still found nowhere `repair.settleMs` later, decides.
  if (ctx.journal.pendingOf !== undefined && ctx.options.settleMs > 0) {
    return skipPlan(`version ${version} is on no target: repair reports it lost if it still is later`);
  }
  return plan;
}

function skipPlan(reason: string): KeyPlan {
  return { action: { type: 'skip', reason }, conflicts: [], settle: undefined };
}

/** What each of `targets` holds of the key now (a `head` each), and the targets that could not say. */
async function headAll(
  ctx: MultiContext,
  key: string,
  targets: readonly string[],
  tally: Tally,
  signal: AbortSignal | undefined,
): Promise<{ found: Map<string, BlobInfo>; failed: Set<string> }> {
  const found = new Map<string, BlobInfo>();
  const failed = new Set<string>();
  await Promise.all(
    targets.map(async (name) => {
      try {
        const info = await runOn(
          ctx,
          name,
          (s, sig) => s.head(key, sig === undefined ? {} : { signal: sig }),
          signal,
        );
        if (info !== null) found.set(name, info);
      } catch (err) {
        tally.errors.push(failure(key, name, 'put', err));
        failed.add(name);
      }
    }),
  );
  return { found, failed };
}

/** Every compared target's copy of the key (completed with a `head` when the listing lacks metadata). */
async function gatherCopies(
  ctx: MultiContext,
  key: string,
  listed: ReadonlyMap<string, BlobInfo>,
  compared: ReadonlySet<string>,
  tally: Tally,
  o: KeyOptions,
): Promise<{ copies: KeyCopy[]; unknown: Set<string>; seen: Map<string, BlobInfo> }> {
  const copies: KeyCopy[] = [];
  const unknown = new Set<string>();
  // What each target held as reconcile saw it: the copies it writes are conditional on it.
  const seen = new Map<string, BlobInfo>();
  for (const name of ctx.targets.map((t) => t.name)) {
    if (!compared.has(name)) continue;
    const info = listed.get(name);
    if (info === undefined) continue;
    let full: BlobInfo | null = info;
    if (versionOf(info) === undefined || o.verify) {
      try {
        full = await runOn(
          ctx,
          name,
          (s, sig) => s.head(key, sig === undefined ? {} : { signal: sig }),
          o.signal,
        );
      } catch (err) {
        tally.errors.push(failure(key, name, 'put', err));
        unknown.add(name);
        continue;
      }
      if (full === null) continue; // deleted meanwhile
    }
    copies.push({ target: name, version: versionOf(full), sha256: sha256Of(full) });
    seen.set(name, full);
  }
  for (const c of copies) ctx.clock.observe(c.version);
  return { copies: withUnstampedHashes(ctx, key, copies, seen), unknown, seen };
}

/**
 * A copy of a streamed write whose stamp did not land (`fo_sha256: journal`) holds the same write
 * as the other copies of its version (a version names one write): it takes their hash (or the
 * journal's), so it is not taken for other bytes, and it comes after them, so a stamped copy is
 * the one copied from (an unstamped copy's bytes cannot be checked by themselves; found by the
 * fleet soak, seed 27501: reconcile picked a damaged unstamped copy as its source).
 */
function withUnstampedHashes(
  ctx: MultiContext,
  key: string,
  copies: KeyCopy[],
  seen: ReadonlyMap<string, BlobInfo>,
): KeyCopy[] {
  const unstamped = new Set(copies.filter((c) => isDeferred(seen.get(c.target) ?? { metadata: {} })));
  if (unstamped.size === 0) return copies;
  const filled = copies.map((c) => {
    if (!unstamped.has(c)) return c;
    const sha256 =
      deferredSha256(ctx, key, seen.get(c.target)!) ??
      copies.find((o) => !unstamped.has(o) && o.version === c.version && o.sha256 !== undefined)?.sha256;
    return sha256 === undefined ? c : { ...c, sha256 };
  });
  const stamped = (yes: boolean) => filled.filter((_, i) => unstamped.has(copies[i]!) !== yes);
  return [...stamped(true), ...stamped(false)];
}

/**
 * Deletes the copies on the action's targets, each conditional on the copy reconcile saw there
 * (`seen`): a version written there meanwhile is never deleted unseen (see {@link deleteFrom}).
 * For a lost version, a tombstone at that version is journaled first, so a copy that could not be
 * deleted now is deleted by repair later, never served.
 */
async function applyDelete(
  ctx: MultiContext,
  key: string,
  action: { readonly version: string; readonly targets: readonly string[]; readonly lost: boolean },
  seen: ReadonlyMap<string, BlobInfo>,
  tally: Tally,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { version, targets, lost } = action;
  let tombstone: JournalEntry | undefined;
  if (lost) {
    tombstone = {
      id: `${version}:${key}`,
      op: 'delete',
      key,
      version,
      holders: [],
      missing: ctx.targets.map((t) => t.name),
      at: Date.now(),
    };
    void ctx.deferredRecords.flush(); // records the store made earlier go first
    await appendEntry(ctx, tombstone);
    ctx.pending.append(tombstone);
  }
  for (const t of targets) {
    try {
      const result = await deleteFrom(ctx, key, version, t, seen.get(t), signal);
      if (result.type === 'newer') {
        tally.conflicts++;
        ctx.counts.conflicts++;
        if (ctx.events.has('conflict')) {
          ctx.events.emit('conflict', { key, target: t, version, found: result.found, during: 'reconcile' });
        }
        continue;
      }
      if (result.type === 'gone') continue;
      tally.deleted++;
      ctx.counts.repaired++;
      if (ctx.events.has('repaired')) {
        ctx.events.emit('repaired', { key, op: 'delete', version, target: t, from: undefined });
      }
    } catch (err) {
      tally.failedTargets.add(`${key}\0${t}`);
      tally.errors.push(failure(key, t, 'delete', err));
    }
  }
  if (tombstone !== undefined) {
    // Every target was compared: those without a copy, and those whose copy is now deleted, are done.
    for (const t of ctx.targets.map((x) => x.name)) {
      if (!tally.failedTargets.has(`${key}\0${t}`)) await resolveEntry(ctx, tombstone.id, t);
    }
  }
}

/**
 * Deletes target `t`'s copy of the key for a delete at `version`, conditional on the copy seen
 * there (`current`); when refused (the target changed), looks again and lets
 * {@link recheckDelete} decide, up to `COPY_ATTEMPTS` times.
 */
async function deleteFrom(
  ctx: MultiContext,
  key: string,
  version: string,
  t: string,
  current: BlobInfo | null | undefined,
  signal: AbortSignal | undefined,
): Promise<{ type: 'deleted' | 'gone' } | { type: 'newer'; found: string | undefined }> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deleteSeen(ctx, key, t, current, signal);
      return { type: 'deleted' };
    } catch (err) {
      if (!isRefused(err) || attempt >= COPY_ATTEMPTS) throw err;
    }
    current = await runOn(ctx, t, (s, sig) => s.head(key, sig === undefined ? {} : { signal: sig }), signal);
    const found = current === null ? undefined : versionOf(current);
    ctx.clock.observe(found);
    const next = recheckDelete(version, current === null ? null : { version: found });
    if (next === 'gone') return { type: 'gone' };
    if (next === 'newer') return { type: 'newer', found };
  }
}

/**
 * Copies the winning version to the action's targets; returns the targets that now hold it (or a
 * newer version). Each copy is conditional on what the target held when reconcile looked (`seen`;
 * a target missing from it held nothing): when the target changed meanwhile, it is looked at again
 * and {@link recheckCopy} decides, up to `COPY_ATTEMPTS` times.
 */
async function applyCopy(
  ctx: MultiContext,
  key: string,
  action: {
    readonly from: string;
    readonly version: string | undefined;
    readonly targets: readonly string[];
  },
  copies: readonly KeyCopy[],
  seen: ReadonlyMap<string, BlobInfo>,
  tally: Tally,
  signal: AbortSignal | undefined,
): Promise<Set<string>> {
  const { from, version, targets } = action;
  const done = new Set<string>();
  const sha256 = copies.find((c) => c.target === from)?.sha256;
  let fetched: Awaited<ReturnType<typeof fetchVersion>> | undefined;
  // However long the copies take, a write journaled meanwhile reaches each target (watchMark).
  const watches = targets.map((t) => watchMark(ctx, key, t, () => fetched?.version ?? version));
  try {
    return await copyAll();
  } finally {
    for (const w of watches) w.stop();
  }

  async function copyAll(): Promise<Set<string>> {
    try {
      fetched = await fetchVersion(ctx, key, [from], version, sha256, signal);
    } catch (err) {
      for (const t of targets) tally.errors.push(failure(key, t, 'put', err));
      return done;
    }
    // What is copied: the version fetched (the winner, or a newer one that replaced it at the source).
    const wanted = { version: fetched.version, sha256: sha256Of(fetched.info) };
    try {
      for (const t of targets) {
        try {
          const result = await copyTo(ctx, key, fetched, wanted, t, seen.get(t) ?? null, signal);
          done.add(t);
          if (result.type === 'newer') {
            tally.conflicts++;
            ctx.counts.conflicts++;
            if (ctx.events.has('conflict')) {
              ctx.events.emit('conflict', {
                key,
                target: t,
                version,
                found: result.found,
                during: 'reconcile',
              });
            }
            continue;
          }
          if (result.type === 'held') continue;
          tally.copied++;
          ctx.counts.repaired++;
          if (ctx.events.has('repaired') && version !== undefined) {
            ctx.events.emit('repaired', { key, op: 'put', version, target: t, from: fetched.from });
          }
        } catch (err) {
          tally.errors.push(failure(key, t, 'put', err));
        }
      }
    } finally {
      fetched.spool.release();
    }
    return done;
  }
}

/**
 * Writes `fetched` to target `t` under the condition of what it held (`current`); when refused
 * (the target changed), looks again and lets {@link recheckCopy} decide.
 */
async function copyTo(
  ctx: MultiContext,
  key: string,
  fetched: Fetched,
  wanted: Pick<KeyCopy, 'version' | 'sha256'>,
  t: string,
  current: BlobInfo | null,
  signal: AbortSignal | undefined,
): Promise<{ type: 'copied' | 'held' } | { type: 'newer'; found: string | undefined }> {
  await markReadable(ctx, key);
  for (let attempt = 1; ; attempt++) {
    try {
      const landed = await writeFetched(ctx, key, fetched, t, signal, current);
      // Another process's newer write that landed on the target before the copy (a delete leaves
      // nothing there to refuse it) is journaled as pending for it: repair brings it there.
      try {
        await journalIfBehind(ctx, key, t, fetched.version);
      } catch (err) {
        // Not checked: taken back (or remembered for repair to check), reported as an error.
        await setAsideUnchecked(ctx, { key, target: t, version: fetched.version }, landed, signal);
        throw err;
      }
      return { type: 'copied' };
    } catch (err) {
      if (!isRefused(err) || attempt >= COPY_ATTEMPTS) throw err;
    }
    current = await runOn(ctx, t, (s, sig) => s.head(key, sig === undefined ? {} : { signal: sig }), signal);
    const now = current === null ? null : { version: versionOf(current), sha256: sha256Of(current) };
    ctx.clock.observe(now?.version);
    const next = recheckCopy(wanted, now);
    if (next === 'newer') return { type: 'newer', found: now?.version };
    if (next === 'held') return { type: 'held' };
  }
}

/** Reads every copy and checks its bytes; a corrupt one is reported, queued, and left out of the comparison. */
async function verifyCopies(
  ctx: MultiContext,
  key: string,
  copies: KeyCopy[],
  tally: Tally,
  signal: AbortSignal | undefined,
): Promise<void> {
  for (const c of [...copies]) {
    if (c.sha256 === undefined) continue;
    let actual: string;
    try {
      actual = await runOn(
        ctx,
        c.target,
        async (s, sig) => {
          let r: Awaited<ReturnType<typeof s.get>>;
          try {
            r = await s.get(key, sig === undefined ? {} : { signal: sig });
          } catch (err) {
            // Its store's own checksum rejected the copy before answering: damaged.
            const damaged = corruptCopyOf(ctx, err, key, c.target);
            if (damaged !== undefined && damaged.error.version === c.version) return damaged.error.actual;
            throw err;
          }
          return sha256Hex(await readForOwnCheck(r.body, sig));
        },
        signal,
      );
    } catch (err) {
      tally.errors.push(failure(key, c.target, 'put', err));
      continue;
    }
    if (actual !== c.sha256) {
      tally.corrupt++;
      reportCorruptCopy(ctx, new IntegrityError(key, c.target, c.sha256, actual, c.version), c.sha256, false);
      // Compare it as if it held nothing: the intact copy is written over it.
      copies.splice(copies.indexOf(c), 1);
    }
  }
}

/**
 * Resolves pending entries of the key that the targets now satisfy (they hold `version` or newer,
 * or the delete at it). With `allCompared`, intents newer than that (writes never acknowledged
 * whose version is on no target) are settled too: they did not happen.
 */
async function settleEntries(
  ctx: MultiContext,
  entries: readonly JournalEntry[],
  targets: readonly string[],
  version: string | undefined,
  dryRun: boolean,
  allCompared: boolean,
): Promise<void> {
  if (dryRun) return;
  for (const target of targets) {
    for (const e of entries) {
      if (!ctx.pending.lacks(e.id, target)) continue;
      const satisfied = version !== undefined && compareVersions(e.version, version) <= 0;
      const abandoned = !satisfied && allCompared && e.intent === true && e.op === 'put';
      if (!satisfied && !abandoned) continue;
      // A late request may still land there: repair checks it again after the window.
      const until = Math.max(e.notBefore ?? 0, ctx.uncertain.until(e.key, target) ?? 0);
      if (until > Date.now()) {
        ctx.repairSoon(until);
        continue;
      }
      await resolveEntry(ctx, e.id, target);
    }
  }
}

async function advance(c: Cursor, tally: Tally, prefix: string): Promise<void> {
  try {
    const r = await c.iterator.next();
    c.done = r.done === true;
    c.head = r.done === true ? undefined : r.value;
  } catch (err) {
    c.done = true;
    c.head = undefined;
    tally.skipped.add(c.target);
    const kind = classifyFailure(err);
    tally.errors.push({
      key: prefix,
      target: c.target,
      op: 'put',
      kind,
      message: `listing failed${isAvailabilityKind(kind) ? ' (target unavailable)' : ''}: ${failure(prefix, c.target, 'put', err).message}`,
    });
  }
}

async function* objectsOf(entries: AsyncIterable<ListEntry>): AsyncGenerator<BlobInfo> {
  for await (const e of entries) if (!isPrefixEntry(e)) yield e;
}
