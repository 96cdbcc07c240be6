import {
  AllTargetsFailedError,
  BreakerOpenError,
  classifyFailure,
  DeadlineExceededError,
  isAvailabilityKind,
  setPatientTimeout,
  type TargetFailure,
} from '@failover/core';
import { throwIfAborted } from '../abort.js';
import { StorageError } from '../errors.js';
import { commonPrefixOf } from '../list-prefix.js';
import { compareUtf8 } from '../order.js';
import { validateListOptions } from '../range.js';
import { isPrefixEntry, type ListEntry, type ListOptions } from '../types.js';
import { admitOrProbeEarly, combine, type MultiContext, type StoreTarget } from './context.js';
import { markerClock } from './epoch.js';
import { listedAfterAcked } from './late-copy.js';
import { listingIndex } from './list-pending.js';
import { settleForListing, unsettledProvisional } from './list-unsure.js';
import { listedFromRecord } from './listed-record.js';
import { newestOf, type PendingIndex, type PendingItem } from './pending.js';
import { foreignDeleteIntent, stickOwnDelete } from './read.js';
import { present, STORE_PREFIX } from './reserved.js';
import type { MultiCloudListEntry } from './types.js';

/**
 * `list` over the targets: lists the first healthy target and moves to the next one when a
 * listing fails (even in the middle: it resumes after the last entry it yielded). The journal
 * corrects what the listed target does not know yet: keys deleted elsewhere (a pending delete) are
 * left out, and keys written elsewhere (a pending put the target lacks) are listed with what the
 * journal knows of them (size, SHA-256, version, time).
 */
export async function* listObjects(
  ctx: MultiContext,
  options: ListOptions = {},
): AsyncGenerator<MultiCloudListEntry> {
  validateListOptions(options);
  const { signal } = options;
  throwIfAborted(signal);
  await ctx.ready();
  ctx.checkOpen();
  const prefix = options.prefix ?? '';
  const failures: TargetFailure[] = [];
  let last: string | undefined;
  // Targets known to have lost their data (not yet restored) come last: they are never listed.
  const order = [
    ...ctx.targets.filter((t) => !ctx.epochs.isAmnesiac(t.name)),
    ...ctx.targets.filter((t) => ctx.epochs.isAmnesiac(t.name)),
  ];
  const pending = await listingIndex(ctx, prefix);
  // After the journal lookup (up to a second with a shared journal that is slow or away): a
  // marker seen before it would not prove a target kept its data until its listing.
  const started = markerClock();
  // Targets skipped by their open breakers: when every other one failed, panic routing's last
  // resort lists the one most likely back (see `Failover.probeEarly`) as its early probe, once.
  const skipped: string[] = [];
  const probeSkipped = (): StoreTarget | undefined => {
    // One whose reset period ended meanwhile is listed as its usual probe.
    const names = skipped.splice(0);
    const name = admitOrProbeEarly(ctx, names);
    if (name === undefined) return undefined;
    failures.splice(
      failures.findIndex((f) => f.target === name),
      1,
    );
    return ctx.byName.get(name);
  };
  for (let i = 0, t = order[0]; t !== undefined; t = order[++i] ?? probeSkipped()) {
    // A target that lost its data would list none of it: its marker is checked first. Its
    // listing is not an answer even when no other target can be listed (keys would vanish).
    if (
      ctx.router.isAvailable(t.name) &&
      ctx.epochs.enabled &&
      !(await ctx.epochs.trusted(ctx, t.name, started))
    ) {
      failures.push({
        target: t.name,
        kind: 'unavailable',
        cause: new StorageError(
          'unavailable',
          `Target "${t.name}" lost its data and is being restored: its listing would miss keys`,
          { target: t.name },
        ),
        attempts: 0,
      });
      continue;
    }
    if (!ctx.router.isAvailable(t.name)) {
      failures.push({
        target: t.name,
        kind: 'unavailable',
        cause: new BreakerOpenError(t.name),
        attempts: 0,
      });
      skipped.push(t.name);
      continue;
    }
    try {
      for await (const entry of listTarget(ctx, t, options, prefix, pending)) {
        const sortKey = isPrefixEntry(entry) ? entry.prefix : entry.key;
        if (last !== undefined && compareUtf8(sortKey, last) <= 0) continue;
        last = sortKey;
        yield entry;
      }
      return;
    } catch (err) {
      const kind = classifyFailure(err);
      if (!isAvailabilityKind(kind) || signal?.aborted) throw err;
      if (err instanceof ListedAfterLoss && last !== undefined) throw err;
      failures.push({ target: t.name, kind, cause: err, attempts: 1 });
    }
  }
  const lastFailure = failures[failures.length - 1];
  throw new AllTargetsFailedError(failures, { kind: lastFailure?.kind, cause: lastFailure?.cause });
}

/** One target's listing merged with the journal's pending writes under the prefix (`pending`, see {@link listingIndex}). */
async function* listTarget(
  ctx: MultiContext,
  t: StoreTarget,
  options: ListOptions,
  prefix: string,
  pending: PendingIndex,
): AsyncGenerator<MultiCloudListEntry> {
  const { delimiter, signal } = options;
  // Ends the listing's requests when a later page takes longer than an attempt may.
  const stall = new AbortController();
  // Before the listing's first request: its marker must be seen intact after this, once the
  // listing is read (the check before it proves nothing of what the listing saw).
  const listedFrom = markerClock();
  // The first page goes through the router, so the target's breaker sees the outcome.
  const { iterator, first } = await ctx.router.run(
    async (target, c) => {
      const it = target.store
        .list({
          prefix,
          ...(delimiter === undefined ? {} : { delimiter }),
          ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
          signal: combine(combine(c.signal, signal), stall.signal)!,
        })
        [Symbol.asyncIterator]();
      return { iterator: it, first: await it.next() };
    },
    { idempotent: true, targets: [t.name], ...(signal === undefined ? {} : { signal }) },
  );
  const limitMs = ctx.options.failover.attemptTimeoutMs || undefined; // `false`: no limit
  const deleted = new Set<string>();
  const seenPrefixes = new Set<string>();
  // What the journal adds, in key order: an entry of its own, or a key to ask about first.
  const plan: (MultiCloudListEntry | { readonly ask: PendingItem })[] = [];
  for (const key of pending.keysWithPrefix(prefix)) {
    const newest = pending.latest(key)!;
    if (newest.entry.op === 'put' && unsettledProvisional(ctx, key, newest)) {
      // Another writer's put that may or may not have been acknowledged: listed as a read sees it.
      deleted.add(key);
      plan.push({ ask: newest });
      continue;
    }
    // A pending delete (acknowledged or only sent) hides the key, also behind a newer put's intent
    // (in flight or failed, unobserved); an unacknowledged put is not listed.
    const view = newestOf(pending.entriesOf(key));
    const latest = view.effective?.entry.op === 'delete' ? view.effective : view.acknowledged;
    if (latest === undefined) continue;
    if (latest.entry.op === 'delete') {
      deleted.add(key);
      // Another instance's delete in flight (or failed): listed as a read sees it, which confirms
      // it first (read.ts, stickDelete), so the key never comes back once a listing left it out.
      if (foreignDeleteIntent(ctx, key, latest.entry)) plan.push({ ask: latest });
      // This process's delete in flight: a listing that leaves the key out has observed it, and it
      // must stick; one withdrawn since a shared answer named it is asked as a read would.
      else if (latest.entry.intent === true && stickOwnDelete(ctx, latest.entry) === 'again')
        plan.push({ ask: latest });
      continue;
    }
    if (latest.holders.includes(t.name)) continue;
    // The listed target lacks the newest write of this key: list it from the journal.
    deleted.add(key);
    plan.push(fromJournal(latest));
  }
  const asked = plan.flatMap((p) => ('ask' in p ? [p.ask.entry.key] : []));
  const answers = asked.length === 0 ? undefined : await settleForListing(ctx, asked, signal);
  const injected: MultiCloudListEntry[] = [];
  for (const p of plan) {
    let entry: MultiCloudListEntry | null;
    if (!('ask' in p)) entry = p;
    else {
      const answer = answers?.get(p.ask.entry.key);
      if (answer !== 'journal' && answer !== undefined) entry = answer;
      else entry = p.ask.entry.op === 'delete' ? null : fromJournal(p.ask);
    }
    if (entry === null || isPrefixEntry(entry)) continue;
    const common = commonPrefixOf(entry.key, prefix, delimiter);
    if (common !== undefined) {
      if (!seenPrefixes.has(common)) injected.push({ prefix: common });
      seenPrefixes.add(common);
    } else {
      injected.push(entry);
    }
  }
  const source = (async function* (): AsyncGenerator<ListEntry> {
    let r = first;
    while (r.done !== true) {
      yield r.value;
      r = await withLimit(iterator.next(), limitMs, stall, t.name);
    }
  })();
  let i = 0;
  const emitted = new Set<string>();
  for await (const entry of source) {
    const sortKey = isPrefixEntry(entry) ? entry.prefix : entry.key;
    while (i < injected.length && compareUtf8(keyOf(injected[i]!), sortKey) < 0) {
      const e = injected[i++]!;
      if (take(e, emitted)) yield e;
    }
    if (isPrefixEntry(entry)) {
      if (entry.prefix !== STORE_PREFIX && take(entry, emitted)) yield entry;
      continue;
    }
    if (deleted.has(entry.key) || entry.key.startsWith(STORE_PREFIX)) continue;
    // A key written here lately: a copy older than that write landed late (late-copy.ts).
    const acked = ctx.acked.get(entry.key);
    if (acked === undefined) yield present(entry, t.name);
    else {
      const listed = await listedAfterAcked(ctx, t, entry, acked, signal);
      if (listed !== null) yield listed;
    }
  }
  await checkMarkerAfter(ctx, t.name, listedFrom);
  while (i < injected.length) {
    const e = injected[i++]!;
    if (take(e, emitted)) yield e;
  }
}

/**
 * Thrown at the end of a target's listing when its marker, read once the listing was read, shows
 * the target lost its data after the listing started (a wipe between the marker's check and the
 * listing's requests: this process stalled in between, fleet soak seed 27613): the keys it listed
 * may lack some. Nothing listed so far: the listing moves on to the next target. Entries already
 * yielded: it fails (a listing resumed on another target would still miss the keys before them).
 */
class ListedAfterLoss extends StorageError {
  constructor(target: string) {
    super('unavailable', `Target "${target}" lost its data while it was listed: its listing may miss keys`, {
      target,
    });
  }
}

/** {@link ListedAfterLoss} unless `target`'s marker is seen intact after `since`. */
async function checkMarkerAfter(ctx: MultiContext, target: string, since: number): Promise<void> {
  if (!ctx.epochs.enabled) return;
  let intact: boolean;
  try {
    intact = await ctx.epochs.trusted(ctx, target, since);
  } catch {
    intact = false;
  }
  if (!intact) throw new ListedAfterLoss(target);
}

function keyOf(entry: MultiCloudListEntry | ListEntry): string {
  return isPrefixEntry(entry) ? entry.prefix : entry.key;
}

/** Prefix entries come once, whether the target or the journal brought them. */
function take(entry: MultiCloudListEntry | ListEntry, emitted: Set<string>): boolean {
  if (!isPrefixEntry(entry)) return true;
  if (emitted.has(entry.prefix)) return false;
  emitted.add(entry.prefix);
  return true;
}

/** A listing entry for a pending put, from what the journal knows. */
function fromJournal(item: PendingItem): MultiCloudListEntry {
  const e = item.entry;
  return listedFromRecord(e.key, e, e.at, [...item.holders][0] ?? '');
}

/**
 * A later page of a listing, limited like an attempt (`failover.attemptTimeoutMs`): past the limit
 * the listing's requests are aborted and the page fails as a timeout, so the listing moves to the
 * next target instead of hanging on one that stopped answering. The limit is patient with this
 * process's own stalls (`setPatientTimeout`): a page that arrived while the process stood still is
 * read, not given up on.
 */
function withLimit<R>(
  next: Promise<R>,
  limitMs: number | undefined,
  stall: AbortController,
  target: string,
): Promise<R> {
  if (limitMs === undefined) return next;
  let cancel: (() => void) | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    cancel = setPatientTimeout(() => {
      const err = new DeadlineExceededError(limitMs, 'attempt', { target });
      stall.abort(err);
      reject(err);
    }, limitMs);
  });
  next.catch(() => undefined);
  return Promise.race([next, late]).finally(() => cancel?.());
}
