import { classifyFailure, isAvailabilityKind, readOptions } from '@failover/core';
import { nextMergeInMs } from './fallback-decide.js';
import { KeptEntries } from './fallback-kept.js';
import { addFallbackLookups } from './fallback-lookups.js';
import { mergeBeforeClose, moveKept } from './fallback-merge.js';
import { pendingOfBoth } from './fallback-pending.js';
import { MergeTimer } from './fallback-timer.js';
import { isJournal } from './guards.js';
import type { Journal, JournalEntry } from './types.js';

/** Options of {@link createFallbackJournal}. */
export interface FallbackJournalOptions {
  /** The journal to use while it answers: a shared one (e.g. `createRedisJournal`). */
  primary: Journal;
  /** Where entries go while the primary is down (e.g. `createFileJournal({ dir })`): local, durable. */
  fallback: Journal;
  /**
   * How often entries kept in the fallback are moved back to the primary while any are left (ms).
   * Default 1000.
   */
  mergeIntervalMs?: number;
  /**
   * While the primary is away, how often it is checked (one cheap lookup), and the kept entries
   * merged once it answers (ms; at most `mergeIntervalMs`). Until a check succeeds, lookups answer
   * from the local journal alone, so this bounds how long a primary that is back goes unused.
   * Default 250.
   */
  checkIntervalMs?: number;
  /** Called when background work fails (a merge); never throws into the application. */
  onError?: (error: unknown) => void;
}

const JOURNAL_RULE = 'a Journal (createRedisJournal, createFileJournal, createMemoryJournal...)';

/** A {@link Journal} over a primary and a local fallback, with the fallback's state visible. */
export interface FallbackJournal extends Journal {
  /** Entries kept in the fallback now (appended while the primary was down, not yet merged back). */
  fallbackBacklog(): number;
  /** Moves what the fallback holds back into the primary now; resolves with how many entries moved. */
  merge(): Promise<number>;
  /**
   * True while the primary is skipped: a call to it failed with an outage (refused, timed out...)
   * and it has not answered since. Calls then go to the fallback at once instead of each waiting
   * for the primary's timeout; a check every `checkIntervalMs` (and every `merge()`) brings it back.
   */
  primaryAway(): boolean;
}

/** The key a health check of the primary looks up (`pendingOf`): any key does; none is written. */
const PROBE_KEY = 'failover/fallback-journal-probe';

/**
 * A journal that keeps working when its primary (a shared journal on Redis, say) is down or slow:
 * an append the primary cannot take (an availability failure: refused, timeout...) goes to the
 * local fallback instead, so no write fails because the shared journal is away; every entry the
 * fallback holds is moved back into the primary as soon as it answers again (appends are
 * idempotent by id, so a crash in the middle of a merge repeats it harmlessly). Reads of pending
 * state combine both. Failures that are not about availability (a malformed entry) are thrown.
 *
 * After such a failure the primary is skipped ({@link FallbackJournal.primaryAway}) until it
 * answers a check again (every `checkIntervalMs`, and at each `merge()`): appends go to the
 * fallback at once, `pending()` answers from the fallback, `pendingOf` rejects at once (as it
 * would after the primary's timeout; a store then reads with its own view), resolves reach the
 * fallback only (a pair left in the primary is repaired again, harmlessly). So a hung primary costs one
 * call its timeout, not every call. Appends made in the moments after the primary is back and
 * before the check notices stay local until the merge that follows. A resolve of an entry kept
 * locally waits for its merge (the entry counts in the backlog until then): the merge appends it
 * to the primary, where it supersedes the older entries of its key as any append does, and then
 * applies the resolves (an entry resolved away locally before its merge would leave those older
 * entries pending in the primary, and other processes would read by them). `close()` makes one last
 * merge when the fallback holds entries, so a process shut down for good after the primary came
 * back leaves nothing behind in its local fallback.
 */
export function createFallbackJournal(options: FallbackJournalOptions): FallbackJournal {
  const { primary, fallback, mergeIntervalMs, checkIntervalMs, onError } = readFallbackOptions(options);
  let merging: Promise<number> | undefined;
  /** The primary failed with an outage and has not answered since: calls skip it. */
  let away = false;
  /** Entries appended to the fallback and not yet merged, with their resolves (fallback-kept.ts). */
  const kept = new KeptEntries();
  const report = reporter(onError);
  /**
   * Entries not merged yet: those pending locally, and those kept that every target took (pending
   * nowhere, they must still reach the primary: moveKept).
   */
  const unmerged = (): number => fallback.backlog() + kept.settled;

  const isOutage = (err: unknown): boolean => isAvailabilityKind(classifyFailure(err));

  /** Runs while entries are kept locally or the primary is away: checks it, then merges. */
  const timer = new MergeTimer(
    () => nextMergeInMs({ away, localBacklog: unmerged() }, mergeIntervalMs, checkIntervalMs),
    () => merge(),
    report,
  );
  const scheduleMerge = (sooner = false): void => timer.schedule(sooner);

  /** Rethrows what is not an outage; an outage marks the primary away (skipped until it answers). */
  const outage = (err: unknown): void => {
    if (!isOutage(err)) throw err;
    away = true;
    scheduleMerge(true);
  };

  /** Pending entries of both journals (fallback-pending.ts). */
  const both = (shared: () => Promise<JournalEntry[]>, keep?: (e: JournalEntry) => boolean) =>
    pendingOfBoth({ primary, fallback, away: () => away, outage }, shared, keep);

  /** Asks the primary one cheap question; it is back when it answers. */
  const check = async (): Promise<void> => {
    await (primary.pendingOf === undefined ? primary.pending() : primary.pendingOf(PROBE_KEY));
    away = false;
  };

  /**
   * Moves what is kept locally now; a call made while a merge runs waits for it and then moves
   * what that one may have started without (entries kept since), joining a merge that started
   * after it was called.
   */
  const merge = async (): Promise<number> => {
    await merging?.catch(() => undefined);
    return mergeOnce();
  };

  /** One merge at a time: a call while one runs joins it. */
  const mergeOnce = (): Promise<number> => {
    merging ??= (async () => {
      try {
        let moved: number;
        try {
          // Away: one cheap question first (still away, it fails as an append would).
          if (away) await check();
          await lookups.primaryBack();
          moved = await moveKept({ primary, fallback, kept });
        } catch (err) {
          outage(err);
          throw err;
        }
        return moved;
      } finally {
        merging = undefined;
      }
    })();
    return merging;
  };

  const journal: FallbackJournal = {
    async open() {
      await fallback.open?.();
      await primary.open?.().catch(outage);
      if (fallback.backlog() > 0) {
        for (const e of await fallback.pending()) kept.keep(e);
        // Entries a killed predecessor kept here go to the primary now if it answers (until then
        // this process alone reads by them), else at the next check.
        if (!away) void merge().catch(report);
        scheduleMerge();
      }
    },
    async append(entry: JournalEntry) {
      if (!away) {
        try {
          await primary.append(entry);
          // Older entries of its key kept here (not merged yet) are superseded here too, or they
          // would come back with the merge (and in pending()) as the key's newest pending write.
          // It stays here itself until that merge, as they do.
          if (entry.intent !== true && kept.hasKey(entry.key)) {
            await fallback.append(entry);
            kept.keep(entry);
            scheduleMerge();
          }
          return;
        } catch (err) {
          outage(err);
        }
      }
      await fallback.append(entry);
      kept.keep(entry);
      scheduleMerge();
    },
    async resolve(id: string, target: string) {
      // Kept here and not merged yet: resolved in the primary by the merge (lost with a crash,
      // the pair is repaired again, harmlessly).
      if (kept.resolve(id, target)) return;
      // The entry may be in either; a resolve lost with an unreachable primary only leaves a pair
      // for repair, which finds the target up to date and resolves it again.
      await fallback.resolve(id, target);
      if (!away) await primary.resolve(id, target).catch(outage);
    },
    pending: () => both(() => primary.pending()),
    backlog: () => primary.backlog() + fallback.backlog(),
    fallbackBacklog: unmerged,
    merge,
    primaryAway: () => away,
    async compact() {
      await fallback.compact();
      if (!away) await primary.compact().catch(outage);
    },
    async close() {
      timer.close();
      await merging?.catch(() => undefined);
      // Entries kept here while the primary was away go to it now if it answers: a process shut
      // down for good (a replaced container) would otherwise take them with it, and nothing would
      // repair the targets that lack those writes. Still away: they stay here (reported through
      // `onError`) until a journal opens this fallback again.
      if (unmerged() > 0) await mergeBeforeClose(merge, unmerged, report);
      await primary.close();
      await fallback.close();
    },
  };
  const primaryUnder = primary.pendingWithPrefix?.bind(primary);
  if (primaryUnder !== undefined) {
    // As pending() does, for the keys under a prefix (a listing's lookup).
    journal.pendingWithPrefix = (prefix: string) =>
      both(
        () => primaryUnder(prefix),
        (e) => e.key.startsWith(prefix),
      );
  }
  const lookups = addFallbackLookups(journal, {
    primary,
    fallback,
    facts: () => ({ away, localBacklog: fallback.backlog() }),
    outage,
    isOutage,
  });
  return journal;
}

/** The options, checked (an `InvalidOptionError` naming the option otherwise), with their defaults. */
function readFallbackOptions(options: FallbackJournalOptions) {
  const r = readOptions(options);
  const read = {
    primary: r.check('primary', isJournal, JOURNAL_RULE, { required: true }),
    fallback: r.check('fallback', isJournal, JOURNAL_RULE, { required: true }),
    mergeIntervalMs: r.ms('mergeIntervalMs', { min: 1, default: 1000 }),
    checkIntervalMs: r.ms('checkIntervalMs', { min: 1, default: 250 }),
    onError: r.function<(error: unknown) => void>('onError'),
  };
  r.done();
  return read;
}

/** Reports an error to `onError` (when given); a throwing listener is ignored. */
function reporter(onError: ((error: unknown) => void) | undefined): (err: unknown) => void {
  return (err) => {
    try {
      onError?.(err);
    } catch {
      // A throwing listener is ignored.
    }
  };
}
