import { classifyFailure, isAvailabilityKind } from '@failover/core';
import { throwIfAborted } from '../abort.js';
import { readAll } from '../body.js';
import { InvalidArgumentError } from '../errors.js';
import type { JournalEntry } from '../journal/types.js';
import { compareUtf8 } from '../order.js';
import { type BlobInfo, isPrefixEntry, type ListEntry } from '../types.js';
import { type MultiContext, runOn } from './context.js';
import { IntegrityError } from './errors.js';
import { reportCorruptCopy, resolveEntry } from './journaling.js';
import { eachLimited } from './pool.js';
import { failure } from './repair.js';
import { sha256Of, versionOf } from './reserved.js';
import { fetchVersion, writeFetched } from './transfer.js';
import type { ReconcileChange, ReconcileOptions, ReconcileReport, RepairFailure } from './types.js';
import { sha256Hex } from './verify.js';
import { compareVersions } from './version.js';

/** One target's copy of a key, as listed (and completed with a head when the listing lacks metadata). */
interface Copy {
  readonly target: string;
  readonly version: string | undefined;
  readonly sha256: string | undefined;
}

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
      yield [key, listed, compared];
    }
  })();
  await eachLimited(groups, ctx.options.repairConcurrency, ([key, listed, compared]) =>
    reconcileKey(ctx, key, listed, compared, tally, {
      started,
      dryRun,
      verify: options.verify === true,
      signal,
    }),
  );
  return {
    prefix,
    dryRun,
    checked: tally.checked,
    inSync: tally.inSync,
    copied: tally.copied,
    deleted: tally.deleted,
    conflicts: tally.conflicts,
    corrupt: tally.corrupt,
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
  readonly verify: boolean;
  readonly signal: AbortSignal | undefined;
}

async function reconcileKey(
  ctx: MultiContext,
  key: string,
  listed: ReadonlyMap<string, BlobInfo>,
  compared: ReadonlySet<string>,
  tally: Tally,
  o: KeyOptions,
): Promise<void> {
  tally.checked++;
  await ctx.lock(key, async () => {
    // Complete each copy's version and checksum (S3 listings carry no metadata).
    const copies: Copy[] = [];
    const unknown = new Set<string>();
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
    }
    for (const c of copies) ctx.clock.observe(c.version);
    const targets = ctx.targets.map((t) => t.name).filter((n) => compared.has(n) && !unknown.has(n));
    if (o.verify) await verifyCopies(ctx, key, copies, tally, o.signal);
    const entries = ctx.pending.entriesOf(key).map((i) => i.entry);
    const tombstone = newest(entries.filter((e) => e.op === 'delete'));
    let winner: Copy | undefined;
    for (const c of copies)
      if (winner === undefined || compareVersions(c.version, winner.version) > 0) winner = c;
    if (
      tombstone !== undefined &&
      (winner === undefined || compareVersions(tombstone.version, winner.version) > 0)
    ) {
      // A journaled delete newer than every copy: apply it.
      const holding = copies.map((c) => c.target);
      if (holding.length === 0) {
        for (const t of targets) await settleEntries(ctx, entries, t, tombstone.version, o.dryRun);
        tally.inSync++;
        return;
      }
      tally.changes.push({
        key,
        action: 'delete',
        version: tombstone.version,
        from: undefined,
        targets: holding,
      });
      if (o.dryRun) return;
      for (const t of holding) {
        try {
          await runOn(ctx, t, (s, sig) => s.delete(key, sig === undefined ? {} : { signal: sig }), o.signal);
          tally.deleted++;
          ctx.counts.repaired++;
          if (ctx.events.has('repaired')) {
            ctx.events.emit('repaired', {
              key,
              op: 'delete',
              version: tombstone.version,
              target: t,
              from: undefined,
            });
          }
        } catch (err) {
          tally.errors.push(failure(key, t, 'delete', err));
        }
      }
      for (const t of targets) await settleEntries(ctx, entries, t, tombstone.version, false);
      return;
    }
    if (winner === undefined) return;
    if (tombstone !== undefined) {
      // A copy newer than the journaled delete: the newer write wins.
      tally.conflicts++;
      ctx.counts.conflicts++;
      if (ctx.events.has('conflict')) {
        ctx.events.emit('conflict', {
          key,
          target: winner.target,
          version: tombstone.version,
          found: winner.version,
          during: 'reconcile',
        });
      }
    }
    const sameVersion = copies.filter((c) => c.version === winner!.version);
    if (sameVersion.some((c) => c.sha256 !== winner!.sha256)) {
      // Same version, different content: keep the highest-priority copy (listed first).
      tally.conflicts++;
      ctx.counts.conflicts++;
      for (const c of sameVersion) {
        if (c.sha256 !== winner.sha256 && ctx.events.has('conflict')) {
          ctx.events.emit('conflict', {
            key,
            target: c.target,
            version: winner.version,
            found: c.version,
            during: 'reconcile',
          });
        }
      }
    }
    const behind = targets.filter((t) => {
      const c = copies.find((x) => x.target === t);
      return (
        c === undefined || compareVersions(c.version, winner!.version) < 0 || c.sha256 !== winner!.sha256
      );
    });
    // Every target compared: a journaled version newer than the winner is on none of them (it
    // was overwritten, or only corrupt copies of it remain), so its entries can never be repaired.
    const gone = targets.length === ctx.targets.length ? o.started : undefined;
    if (behind.length === 0) {
      tally.inSync++;
      for (const t of targets) await settleEntries(ctx, entries, t, winner.version, o.dryRun, gone);
      return;
    }
    tally.changes.push({
      key,
      action: 'copy',
      version: winner.version,
      from: winner.target,
      targets: behind,
    });
    if (o.dryRun) return;
    let fetched: Awaited<ReturnType<typeof fetchVersion>>;
    try {
      fetched = await fetchVersion(ctx, key, [winner.target], winner.version, winner.sha256, o.signal);
    } catch (err) {
      for (const t of behind) tally.errors.push(failure(key, t, 'put', err));
      return;
    }
    try {
      for (const t of behind) {
        try {
          await writeFetched(ctx, key, fetched, t, o.signal);
          tally.copied++;
          ctx.counts.repaired++;
          if (ctx.events.has('repaired') && winner.version !== undefined) {
            ctx.events.emit('repaired', {
              key,
              op: 'put',
              version: winner.version,
              target: t,
              from: fetched.from,
            });
          }
        } catch (err) {
          tally.errors.push(failure(key, t, 'put', err));
        }
      }
    } finally {
      fetched.spool.release();
    }
    for (const t of targets) await settleEntries(ctx, entries, t, winner.version, false, gone);
  });
}

/** Reads every copy and checks its bytes; a corrupt one is reported, queued, and left out of the comparison. */
async function verifyCopies(
  ctx: MultiContext,
  key: string,
  copies: Copy[],
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
          const r = await s.get(key, sig === undefined ? {} : { signal: sig });
          return sha256Hex(await readAll(r.body, sig));
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
 * Resolves pending entries of the key that `target` now satisfies (it holds `version` or newer),
 * and, when `goneBefore` is given, entries made before that time whatever their version (their
 * version exists on no target any more).
 */
async function settleEntries(
  ctx: MultiContext,
  entries: readonly JournalEntry[],
  target: string,
  version: string | undefined,
  dryRun: boolean,
  goneBefore?: number,
): Promise<void> {
  if (dryRun) return;
  for (const e of entries) {
    if (!ctx.pending.lacks(e.id, target)) continue;
    const satisfied = compareVersions(e.version, version) <= 0;
    if (!satisfied && (goneBefore === undefined || e.at >= goneBefore)) continue;
    if (!satisfied && e.op === 'put') {
      ctx.counts.conflicts++;
      if (ctx.events.has('conflict')) {
        ctx.events.emit('conflict', {
          key: e.key,
          target,
          version: e.version,
          found: version,
          during: 'reconcile',
        });
      }
    }
    await resolveEntry(ctx, e.id, target);
  }
}

function newest(entries: readonly JournalEntry[]): JournalEntry | undefined {
  let best: JournalEntry | undefined;
  for (const e of entries) if (best === undefined || e.version > best.version) best = e;
  return best;
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
