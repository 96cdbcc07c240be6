import { classifyFailure, InvalidOptionError, redact } from '@failover/core';
import type { JournalEntry } from '../journal/types.js';
import { inOrder, isBreakerRejection, type MultiContext, runOn } from './context.js';
import { resolveEntry } from './journaling.js';
import { eachLimited } from './pool.js';
import { sha256Of, versionOf } from './reserved.js';
import { fetchVersion, writeFetched } from './transfer.js';
import type { RepairFailure, RepairReport, RepairRunOptions } from './types.js';
import { compareVersions } from './version.js';

/** What repairing one (entry, target) pair came to. */
export type RepairOutcome = 'repaired' | 'conflict' | 'done';

/**
 * One repair pass: every pending (entry, target) pair whose target is up gets the entry's version
 * (copied from a holder, verified against its SHA-256) or its delete, unless the target already
 * holds a newer version (a conflict: newest wins, the target is left alone). Each pair done is
 * resolved in the journal; failures stay for the next pass.
 */
export async function repairPass(ctx: MultiContext, options: RepairRunOptions = {}): Promise<RepairReport> {
  const startedAt = Date.now();
  await ctx.ready();
  const only = checkTargets(ctx, options.targets);
  const signal = options.signal;
  const entries = await ctx.journal.pending();
  const tasks: [JournalEntry, string][] = [];
  for (const e of entries)
    for (const t of e.missing) if (only === undefined || only.has(t)) tasks.push([e, t]);
  let repaired = 0;
  let conflicts = 0;
  let skipped = 0;
  const failed: RepairFailure[] = [];
  await eachLimited(tasks, ctx.options.repairConcurrency, async ([entry, target]) => {
    if (signal?.aborted || !ctx.router.isAvailable(target)) {
      skipped++;
      return;
    }
    try {
      const outcome = await repairOne(ctx, entry, target, signal);
      if (outcome === 'conflict') conflicts++;
      else repaired++;
    } catch (err) {
      if (isBreakerRejection(err) || signal?.aborted) skipped++;
      else failed.push(failure(entry.key, target, entry.op, err));
    }
  });
  ctx.counts.repairPasses++;
  return {
    startedAt,
    durationMs: Date.now() - startedAt,
    attempted: tasks.length,
    repaired,
    conflicts,
    skipped,
    failed,
    backlog: ctx.journal.backlog(),
  };
}

/** Brings `target` up to `entry` (under the key's lock), then resolves the pair in the journal. */
export function repairOne(
  ctx: MultiContext,
  entry: JournalEntry,
  target: string,
  signal: AbortSignal | undefined,
): Promise<RepairOutcome> {
  const { key } = entry;
  return ctx.lock(key, async (): Promise<RepairOutcome> => {
    // A newer write or another repair may have settled this pair while we waited for the lock.
    if (!ctx.pending.lacks(entry.id, target)) return 'done';
    const current = await runOn(
      ctx,
      target,
      (s, sig) => s.head(key, sig === undefined ? {} : { signal: sig }),
      signal,
    );
    const found = current === null ? undefined : versionOf(current);
    ctx.clock.observe(found);
    if (current !== null && compareVersions(found, entry.version) > 0) {
      conflict(ctx, key, target, entry.version, found);
      await resolveEntry(ctx, entry.id, target);
      return 'conflict';
    }
    let from: string | undefined;
    let version = entry.version;
    if (entry.op === 'delete') {
      if (current !== null) {
        await runOn(ctx, target, (s, sig) => s.delete(key, sig === undefined ? {} : { signal: sig }), signal);
      }
    } else {
      const alreadyThere =
        current !== null &&
        found === entry.version &&
        sha256Of(current) === entry.sha256 &&
        !entry.id.startsWith('integrity:');
      if (!alreadyThere) {
        const sources = [
          ...inOrder(ctx, entry.holders),
          ...ctx.targets.map((t) => t.name).filter((n) => n !== target && !entry.holders.includes(n)),
        ];
        let fetched: Awaited<ReturnType<typeof fetchVersion>>;
        try {
          fetched = await fetchVersion(ctx, key, sources, entry.version, entry.sha256, signal);
        } catch (err) {
          if (classifyFailure(err) !== 'not_found') throw err;
          // The version is on no target any more (another writer's older-stamped write overwrote
          // it everywhere): there is nothing to copy. Reported as a conflict, and settled.
          conflict(ctx, key, target, entry.version, found);
          await resolveEntry(ctx, entry.id, target);
          return 'conflict';
        }
        try {
          await writeFetched(ctx, key, fetched, target, signal);
        } finally {
          fetched.spool.release();
        }
        from = fetched.from;
        // A holder may hold a newer version by now: the newest is what the target gets.
        version = fetched.version ?? version;
      }
    }
    await resolveEntry(ctx, entry.id, target);
    ctx.counts.repaired++;
    if (ctx.events.has('repaired')) {
      ctx.events.emit('repaired', { key, op: entry.op, version, target, from });
    }
    return 'repaired';
  });
}

function conflict(
  ctx: MultiContext,
  key: string,
  target: string,
  version: string,
  found: string | undefined,
): void {
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
  if (!Array.isArray(targets)) throw new InvalidOptionError('targets', 'must be an array of target names');
  for (const t of targets) {
    if (!ctx.byName.has(t))
      throw new InvalidOptionError('targets', `unknown target ${JSON.stringify(String(t))}`);
  }
  return new Set(targets);
}
