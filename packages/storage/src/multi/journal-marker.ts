import type { MultiContext } from './context.js';
import {
  decideJournalId,
  type JournalIdDecision,
  type JournalRollback,
  mostCommon,
} from './journal-identity.js';
import { journalRolledBack } from './journal-rollback.js';

/** What a journal id on a marker looks like (anything else is taken for none). */
export const JOURNAL_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The journal id side of the epoch markers (`EpochTracker` in epoch.ts writes the markers): which
 * id marker writes carry, the journal's own id as last asked, and the decisions of
 * {@link decideJournalId} at the markers' establishing and at each sweep.
 */
export class JournalMarkerId {
  /** Whether the journal's id is compared with the markers' (`amnesia.journal`). */
  readonly #check: boolean;
  /**
   * The journal id the markers carry and every marker write keeps: the store's journal's once
   * adopted or confirmed; the previous one while a reset's reconcile has not finished (a crash
   * meanwhile is detected again at the next start); the markers' own when the journal's is unknown.
   */
  #onMarkers: string | undefined;
  /** The journal's own id as last asked (at the markers' establishing, then at each sweep). */
  #seen: string | undefined;

  constructor(check: boolean) {
    this.#check = check;
  }

  /** The id marker writes carry (`undefined`: none). */
  get onMarkers(): string | undefined {
    return this.#onMarkers;
  }

  /**
   * Asks the store's journal its id (`undefined`: unknown, or the check is off; a failure is
   * reported as an `error` event when `report`).
   */
  async ask(ctx: MultiContext, report = true): Promise<string | undefined> {
    if (!this.#check || ctx.journal.journalId === undefined) return undefined;
    try {
      const id = await ctx.journal.journalId();
      return typeof id === 'string' && JOURNAL_ID.test(id) ? id : undefined;
    } catch (err) {
      if (report && ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error: err });
      return undefined;
    }
  }

  /** New markers are written (a new store): they carry `current` (nothing to compare yet). */
  created(current: string | undefined): string | undefined {
    this.#seen = current;
    this.#onMarkers = this.#check ? current : undefined;
    return this.#onMarkers;
  }

  /** The markers holding the epoch carry `journals`: what they mean for the journal's `current`. */
  established(journals: readonly (string | undefined)[], current: string | undefined): JournalIdDecision {
    this.#seen = current;
    const decision: JournalIdDecision = this.#check
      ? decideJournalId(journals, current)
      : { type: 'unknown', keep: mostCommon(journals) };
    this.#onMarkers =
      decision.type === 'reset' ? decision.previous : decision.type === 'unknown' ? decision.keep : current;
    return decision;
  }

  /** A provisional epoch gave way to a marker carrying `journal`: its id is kept from now on. */
  gaveWay(journal: string | undefined): void {
    this.#onMarkers = journal ?? this.#onMarkers;
  }

  /**
   * Asks the journal's id again (a sweep): a journal that lost its data under the running store
   * (a Redis without persistence that restarted) answers with a new one, a reset from the one
   * seen before. An id known for the first time (a fallback journal whose primary was away at
   * open) is judged against the markers' as at open. This compares the journal with itself, so
   * stores with different journals over the same buckets never flip here. `undefined`: nothing
   * new. A failure is not reported (the pass's own journal calls report an unreachable journal).
   */
  async recheck(ctx: MultiContext): Promise<{ decision: JournalIdDecision; current: string } | undefined> {
    if (!this.#check) return undefined;
    const current = await this.ask(ctx, false);
    const seen = this.#seen;
    if (current === undefined) return undefined;
    if (current === seen) {
      const rolledBack = await rollbackOf(ctx);
      return rolledBack === undefined
        ? undefined
        : { decision: { type: 'reset', previous: current, rolledBack }, current };
    }
    this.#seen = current;
    // Another journal: what this process appended to the one before is not compared with it (the
    // reset's reconcile covers what was lost).
    ctx.appended.accept(undefined);
    if (seen !== undefined) return { decision: { type: 'reset', previous: seen }, current };
    const decision = decideJournalId(this.#onMarkers === undefined ? [] : [this.#onMarkers], current);
    if (decision.type !== 'reset') this.#onMarkers = current;
    return { decision, current };
  }

  /** The reconcile after a reset finished: the markers carry `current` from now on. */
  confirmed(current: string): void {
    this.#onMarkers = current;
  }
}

/**
 * Whether the journal went back in time under the running store (journal-rollback.ts): its newest
 * version is older than the newest this process appended. Not asked while a fallback journal's
 * primary is away (its answer would be the local part's). Once found, the journal's newest is the
 * new baseline (found once per rollback). A failure: `undefined` (asked again at the next sweep).
 */
async function rollbackOf(ctx: MultiContext): Promise<JournalRollback | undefined> {
  const journal = ctx.journal;
  const appended = ctx.appended.newest; // read before asking: every append it counts is in the journal
  if (appended === undefined || journal.newestVersion === undefined || journal.primaryAway?.() === true) {
    return undefined;
  }
  let newest: string | undefined;
  try {
    newest = await journal.newestVersion();
  } catch {
    return undefined;
  }
  // The primary failed while it was asked (a Redis paused or killed right then): the answer is the
  // local part's alone, which proves nothing of the shared journal (fleet soak seed 27808).
  if (journal.primaryAway?.() === true) return undefined;
  if (!journalRolledBack(appended, newest)) return undefined;
  ctx.appended.accept(newest);
  return { appended, newest };
}
