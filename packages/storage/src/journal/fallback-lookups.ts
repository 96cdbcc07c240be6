import { JournalError } from './errors.js';
import { type FallbackFacts, newerMark, primaryAnswersMayHave, routeLookup } from './fallback-decide.js';
import { withKept } from './fallback-pending.js';
import type { Journal, JournalEntry } from './types.js';

/** What the fallback journal calls back into its lookups. */
export interface FallbackLookups {
  /**
   * Runs at each merge once the primary answers: repeats there the withdraws of intents that were
   * settled locally while it was away. Rejects with the primary's failure (the merge then stops).
   */
  primaryBack(): Promise<void>;
}

/** What the fallback journal's optional lookups need of it. */
export interface FallbackLink {
  readonly primary: Journal;
  readonly fallback: Journal;
  /** Whether the primary is away, and what the fallback keeps, now. */
  facts(): FallbackFacts;
  /** Rethrows what is not an outage; an outage marks the primary away (skipped until it answers). */
  outage(err: unknown): void;
  /** True for an availability failure (refused, timed out...). */
  isOutage(err: unknown): boolean;
}

/**
 * Adds to `journal` the optional lookups its primary offers (the apply step of their decisions in
 * fallback-decide.ts): `pendingOf` (routed by {@link routeLookup}), `mayHavePending`, `highWater`
 * (both journals' marks, {@link newerMark}), `newestVersion` (the newer of both journals'; an
 * away primary's is skipped), `journalId` (the primary's; `undefined` while it is away),
 * `settleIntent` (the primary's, or the fallback's own
 * for an intent kept locally), and the primary's repair leases (`lease`, `release`,
 * `repairLeased`).
 */
export function addFallbackLookups(journal: Journal, link: FallbackLink): FallbackLookups {
  const { primary, fallback } = link;
  /**
   * Intents withdrawn locally while the primary was away. The append that timed out may still
   * land in the primary later (a command queued in the client, or one Redis ran after the client
   * gave up on it): the withdraw is repeated there when the primary is back.
   */
  const withdrawnAway = new Set<string>();
  if (primary.pendingOf !== undefined) {
    const pendingOf = primary.pendingOf.bind(primary);
    journal.pendingOf = async (key: string): Promise<JournalEntry[]> => {
      const route = routeLookup(link.facts());
      // While the primary is away a lookup rejects at once, as it would after the primary's
      // timeout: the caller goes on with what it knows itself.
      if (route === 'reject') {
        throw new JournalError('unavailable', 'the shared journal is away (the fallback takes its calls)');
      }
      const ask = () =>
        pendingOf(key).catch((err: unknown) => {
          link.outage(err);
          throw err;
        });
      // The common case (nothing kept locally) costs one shared lookup, and never waits for the
      // local journal (whose pending() queues behind its appends' fsyncs).
      if (route === 'primary') return ask();
      // Entries kept here may be older than a write another process made meanwhile: the primary's
      // mark of the key says (a lookup that fails leaves them all in). Read in the order the
      // fallback journal's pending() reads (fallback-pending.ts): the kept entries, the mark, then
      // the primary's entries.
      const local = (await fallback.pending()).filter((e) => e.key === key);
      return withKept(primary, local, ask);
    };
  }
  if (primary.mayHavePending !== undefined) {
    const may = primary.mayHavePending.bind(primary);
    // Entries kept locally are not in the primary's view: ask the shared journal while any exist.
    journal.mayHavePending = (key: string) => (primaryAnswersMayHave(link.facts()) ? may(key) : undefined);
  }
  if (primary.highWater !== undefined || fallback.highWater !== undefined) {
    journal.highWater = async (key: string) => {
      // While the primary is away its mark is unknown, and another process's newer write (a
      // delete that leaves nothing on a cloud to refuse a copy) may be recorded there alone: the
      // call rejects, as the primary's own would, so a copy checked by it is taken back rather than
      // trusted (fleet soak seed 320: a repair copy made while Redis was away resurrected a
      // version another instance had deleted).
      if (primary.highWater !== undefined && link.facts().away) {
        throw new JournalError('unavailable', "the shared journal is away (the key's mark is unknown)");
      }
      // Both journals' marks (appends kept locally while the primary was down are not in its own).
      const [shared, local] = await Promise.all([
        primary.highWater?.(key).catch((err: unknown) => {
          link.outage(err);
          throw err;
        }),
        fallback.highWater?.(key),
      ]);
      return newerMark(shared, local);
    };
  }
  if (primary.newestVersion !== undefined || fallback.newestVersion !== undefined) {
    journal.newestVersion = async () => {
      // The newer of both (what was kept locally while the primary was away is in the fallback's
      // alone until merged). An away primary is skipped: the local one answers for this process.
      const [shared, local] = await Promise.all([
        link.facts().away
          ? undefined
          : primary.newestVersion?.().catch((err: unknown) => {
              link.outage(err);
              return undefined;
            }),
        fallback.newestVersion?.(),
      ]);
      return shared === undefined || (local !== undefined && local > shared) ? local : shared;
    };
  }
  if (primary.journalId !== undefined) {
    const journalId = primary.journalId.bind(primary);
    // The primary's (the shared journal's identity); an away or failing primary: not known, so
    // the store skips its check rather than take the local journal's for the shared one's.
    journal.journalId = async () => {
      if (link.facts().away) return undefined;
      try {
        return await journalId();
      } catch (err) {
        link.outage(err);
        return undefined;
      }
    };
  }
  const withdrawInPrimary = async (): Promise<void> => {
    if (primary.settleIntent === undefined) return;
    for (const id of [...withdrawnAway]) {
      await primary.settleIntent(id, 'withdraw');
      withdrawnAway.delete(id);
    }
  };
  if (primary.settleIntent !== undefined) {
    const settle = primary.settleIntent.bind(primary);
    journal.settleIntent = async (id: string, how: 'withdraw' | 'confirm'): Promise<boolean> => {
      // An intent kept locally (appended while the primary was away, not merged back yet) is this
      // process's own, and no other process can see it: nothing to race, it is settled here.
      if (link.facts().localBacklog > 0) {
        const local = (await fallback.pending()).find((e) => e.id === id);
        if (local !== undefined && local.intent === true) {
          if (how === 'confirm') return false;
          for (const t of local.missing) await fallback.resolve(id, t);
          // The primary may hold it too (a merge copied it, or the append that timed out landed
          // late): withdraw it there now, or when the primary is back.
          withdrawnAway.add(id);
          if (!link.facts().away) await withdrawInPrimary().catch(link.outage);
          return true;
        }
      }
      if (link.facts().away) {
        throw new JournalError('unavailable', 'the shared journal is away (an intent cannot be settled)');
      }
      return settle(id, how).catch((err: unknown) => {
        link.outage(err);
        throw err;
      });
    };
  }
  if (primary.leaseWrite !== undefined) {
    const leaseWrite = primary.leaseWrite.bind(primary);
    journal.leaseWrite = async (key: string, token: string, ttlMs: number) => {
      // Away: the other processes write without one too (each process's own clock decides).
      if (link.facts().away) {
        throw new JournalError('unavailable', 'the shared journal is away (write leases unknown)');
      }
      const answer = await leaseWrite(key, token, ttlMs).catch((err: unknown) => {
        link.outage(err);
        throw err;
      });
      if (!answer.granted || fallback.highWater === undefined) return answer;
      // Appends kept locally while the primary was down are in the local mark alone.
      return { granted: true, highWater: newerMark(answer.highWater, await fallback.highWater(key)) };
    };
  }
  if (primary.releaseWrite !== undefined) journal.releaseWrite = primary.releaseWrite.bind(primary);
  if (primary.lease !== undefined) journal.lease = primary.lease.bind(primary);
  if (primary.release !== undefined) journal.release = primary.release.bind(primary);
  if (primary.repairLeased !== undefined) {
    const leased = primary.repairLeased.bind(primary);
    journal.repairLeased = async (key: string): Promise<boolean> => {
      // Away: other processes cannot lease either, and repair every key they hold without one.
      if (link.facts().away) {
        throw new JournalError('unavailable', 'the shared journal is away (repair leases unknown)');
      }
      return leased(key).catch((err: unknown) => {
        link.outage(err);
        throw err;
      });
    };
  }
  return { primaryBack: withdrawInPrimary };
}
