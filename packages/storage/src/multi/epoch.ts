import { randomBytes } from 'node:crypto';
import { classifyFailure } from '@failover/core';
import type { BlobInfo, BlobStore } from '../types.js';
import { type EpochMarkers, type MarkerRead, type MultiContext, runOn } from './context.js';
import { decideJournalId, type JournalIdDecision } from './journal-identity.js';
import { JOURNAL_ID, JournalMarkerId } from './journal-marker.js';

/** The key of every target's epoch marker. The `_failover/` prefix is reserved for the store. */
export const EPOCH_KEY = '_failover/epoch';
/** Metadata key of the marker holding its epoch (so a `head` reads it). */
const EPOCH_META = 'fo_epoch';
/**
 * Metadata key set (to `1`) on a marker created while some target could not be asked: a
 * provisional epoch, which gives way to a complete one found later on a target it never reached.
 */
const PARTIAL_META = 'fo_partial';
/**
 * Metadata key of the marker holding the id of the journal the store used (`Journal.journalId`):
 * a store that opens with a journal of another id knows the journal lost what it recorded.
 */
const JOURNAL_META = 'fo_journal';
/** What an epoch looks like: 16 lowercase hex digits. */
const EPOCH = /^[0-9a-f]{16}$/;

/**
 * The clock of marker checks and of the requests they vouch for: monotonic and finer than a
 * millisecond, so "seen after the request was sent" is never a tie.
 */
export const markerClock = (): number => performance.now();

/** What one target's marker said the last time it was read. */
type Seen =
  /** It holds this epoch. */
  | {
      readonly type: 'epoch';
      readonly epoch: string;
      readonly partial: boolean;
      /** The journal id it carries (`undefined`: none, a marker an older store wrote). */
      readonly journal?: string | undefined;
      /** The marker object's entity tag, when the store reported one. */
      readonly etag?: string | undefined;
    }
  /** It holds no marker. */
  | { readonly type: 'absent' }
  /** It could not be asked. */
  | { readonly type: 'unknown' };

/** A target that lost its data, while it is being reconciled from the others. */
interface Amnesia {
  readonly since: number;
  reconciling: boolean;
  readonly found: string | undefined;
}

/**
 * Keeps track of every target's epoch marker: a small object (`_failover/epoch`) every target
 * holds, with one random epoch shared by all of them. A target whose marker vanished (a recreated
 * bucket, a provider-side loss) or holds another epoch has lost data: the store stops trusting its
 * "not found", reconciles it from the others, and then writes the marker back.
 *
 * Only a marker the store saw (or wrote) can vanish: a target the epoch was created without gets
 * its marker once it answers. A new store opened while some target cannot be asked starts a
 * provisional epoch on the others (see {@link decideMarker} for how it gives way).
 *
 * Checks are cheap (one `head`), shared by concurrent callers, and cached for `recheckMs`.
 */
export class EpochTracker implements EpochMarkers {
  readonly #recheckMs: number | undefined;
  readonly #now: () => number;
  #expected: string | undefined;
  /** Whether the expected epoch is provisional (created while some target could not be asked). */
  #partial = false;
  /** Targets this store saw holding the expected epoch, or wrote it to: only these can lose it. */
  readonly #held = new Set<string>();
  /**
   * Targets this store created the epoch without (unreachable, or the marker's write failed):
   * their marker is written once they answer, and its absence then is not a loss.
   */
  readonly #pending = new Set<string>();
  readonly #verifiedAt = new Map<string, number>();
  readonly #checking = new Map<string, { readonly started: number; readonly result: Promise<boolean> }>();
  readonly #amnesia = new Map<string, Amnesia>();
  #lastEstablish: number | undefined;
  #establishing: Promise<void> | undefined;
  /** The journal names writes made before this store opened (see {@link EpochTracker.noteHistory}). */
  #history = false;
  /** The journal id the markers carry, and the checks of the journal's own (journal-marker.ts). */
  readonly #journal: JournalMarkerId;

  /**
   * `recheckMs` undefined turns detection off: every target is always trusted (and the journal is
   * not checked). `journalCheck`: compare the journal's id with the markers' when they are
   * established (see `decideJournalId` in journal-identity.ts).
   */
  constructor(recheckMs: number | undefined, now: () => number = markerClock, journalCheck = true) {
    this.#recheckMs = recheckMs;
    this.#now = now;
    this.#journal = new JournalMarkerId(journalCheck);
  }

  /**
   * Tells whether the journal names writes made before this store opened (it is not a new store):
   * then targets without a marker are not given a new epoch while some other target cannot be
   * asked (it may hold the store's epoch, and they may have lost their data), and while the epoch
   * is not known no target's "not found" is trusted.
   */
  noteHistory(had: boolean): void {
    this.#history = had;
  }

  /** True when detection is on. */
  get enabled(): boolean {
    return this.#recheckMs !== undefined;
  }

  /** The epoch every target should hold, once known. */
  get expected(): string | undefined {
    return this.#expected;
  }

  /** Whether `target` is known to have lost data and is not reconciled yet. */
  isAmnesiac(target: string): boolean {
    return this.#amnesia.has(target);
  }

  /** Targets that lost data and are not reconciled yet. */
  amnesiac(): string[] {
    return [...this.#amnesia.keys()];
  }

  /** For status: when the target's loss was noticed and whether its reconcile runs. */
  statusOf(target: string): { since: number; reconciling: boolean } | undefined {
    const a = this.#amnesia.get(target);
    return a === undefined ? undefined : { since: a.since, reconciling: a.reconciling };
  }

  /**
   * Whether a "not found" from `target` can be trusted: its marker was seen intact after `since`
   * (when the request that answered was sent; without it, within `recheckMs`), or is read now and
   * is intact. A marker seen before the request proves nothing: the data may have been lost in
   * between. False for a target that lost data (and is not reconciled yet).
   */
  trusted(
    ctx: MultiContext,
    target: string,
    since?: number,
    within?: MarkerRead,
  ): boolean | Promise<boolean> {
    if (this.#recheckMs === undefined || ctx.targets.length < 2) return true;
    if (this.#amnesia.has(target)) return false;
    const at = this.#verifiedAt.get(target);
    if (since !== undefined) {
      if (at !== undefined && at > since) return true;
    } else if (at !== undefined && this.#now() - at < this.#recheckMs) return true;
    return this.check(ctx, target, since, within);
  }

  /**
   * Checks every target whose marker was not seen within `recheckMs` (a repair pass does this),
   * except targets on hold (their requests go unanswered: a read that needs one checks it).
   */
  async sweep(ctx: MultiContext): Promise<void> {
    if (this.#recheckMs === undefined || ctx.targets.length < 2) return;
    if (this.#expected !== undefined && this.#establishing === undefined) {
      const found = await this.#journal.recheck(ctx);
      if (found !== undefined) await this.#applyJournal(ctx, found.decision, found.current);
    }
    await Promise.all(
      ctx.targets
        .filter(
          (t) =>
            ctx.router.isAvailable(t.name) && !this.#amnesia.has(t.name) && !ctx.unresponsive.held(t.name),
        )
        .map((t) => {
          const at = this.#verifiedAt.get(t.name);
          return at !== undefined && this.#now() - at < this.#recheckMs! ? true : this.check(ctx, t.name);
        }),
    );
  }

  /**
   * Reads `target`'s marker now (shared with a check already running) and returns whether it is
   * intact. Finding it gone or changed declares the target amnesiac.
   */
  check(ctx: MultiContext, target: string, since?: number, within?: MarkerRead): Promise<boolean> {
    if (this.#recheckMs === undefined || ctx.targets.length < 2) return Promise.resolve(true);
    // A check already running is shared, if it started late enough to prove anything.
    const running = this.#checking.get(target);
    if (running !== undefined && (since === undefined || running.started > since)) return running.result;
    const started = this.#now();
    const run = async (): Promise<boolean> => {
      if (this.#expected === undefined) {
        const last = this.#lastEstablish;
        // Markers being read now (the store's first call starts that) decide this target too:
        // waited for, not taken for "nothing to judge against" (a restarted store trusted a
        // cloud that had lost its data while they were still being read).
        if (
          this.#establishing !== undefined ||
          last === undefined ||
          this.#now() - last >= this.#recheckMs!
        ) {
          // Inside an attempt on a half-open target (`within`) it is started, not awaited: it
          // reads every target's marker through the router, this one's too, which would wait for
          // this attempt (the target's probe) until its time limit. The target's "not found" is
          // not final meanwhile.
          if (within === undefined || ctx.router.stateOf(target) !== 'halfOpen') await this.establish(ctx);
          else {
            void this.establish(ctx).catch(() => undefined);
            return false;
          }
        }
        // The shared epoch is not known yet (targets were down): nothing to judge against. A
        // store that wrote before cannot tell a target that lost its data from one that did not.
        if (this.#expected === undefined) return !this.#history && !this.#amnesia.has(target);
      }
      return this.#judge(ctx, target, await readMarker(ctx, target, within), started, 0, within);
    };
    // Forgotten once settled, in a later tick than the `set` below even when `run` never awaits
    // (a check that ended at once used to stay registered, and every later check without `since`,
    // a repair pass's sweep, got its old answer: a target that lost its data was never caught).
    const result: Promise<boolean> = run().finally(() => {
      if (this.#checking.get(target)?.result === result) this.#checking.delete(target);
    });
    this.#checking.set(target, { started, result });
    return result;
  }

  /**
   * Resolves once no marker read or write of this tracker runs any more (the establishing of the
   * epoch, checks of single targets). `close()` waits for it: a marker written on some targets
   * only, because the store closed in the middle, would look like a lost marker (amnesia) to the
   * next process.
   */
  async settled(): Promise<void> {
    for (;;) {
      const running = [this.#establishing, ...[...this.#checking.values()].map((c) => c.result)].filter(
        (p) => p !== undefined,
      );
      if (running.length === 0) return;
      await Promise.allSettled(running);
    }
  }

  /**
   * Finds the shared epoch from every target's marker (the one most targets hold; the first
   * target's on a tie), creates it when every target answered and none holds one (a new store),
   * and declares targets without it amnesiac. Run when the store opens, and again later while the
   * epoch is not known (some target could not be asked).
   */
  establish(ctx: MultiContext): Promise<void> {
    // One at a time: a second one reading the markers while the first is still writing them
    // would find a target without its marker yet and take it for one that lost its data.
    this.#establishing ??= this.#establish(ctx).finally(() => {
      this.#establishing = undefined;
    });
    return this.#establishing;
  }

  async #establish(ctx: MultiContext, depth = 0): Promise<void> {
    if (this.#recheckMs === undefined || ctx.targets.length < 2 || this.#expected !== undefined) return;
    this.#lastEstablish = this.#now();
    const current = await this.#journal.ask(ctx);
    const seen = await Promise.all(ctx.targets.map((t) => readMarker(ctx, t.name)));
    const counts = new Map<string, number>();
    for (const s of seen) if (s.type === 'epoch') counts.set(s.epoch, (counts.get(s.epoch) ?? 0) + 1);
    if (counts.size === 0) {
      // Nobody answered: decide later.
      if (seen.every((s) => s.type === 'unknown')) return;
      // No target that answered holds a marker: a new store (or they all lost everything). Start an
      // epoch on them now (a loss before the others answer is caught too); when some target could
      // not be asked, it is provisional: the unreachable ones get it once they answer, and one of
      // them holding an older complete epoch means the targets that answered had lost their data.
      const partial = seen.some((s) => s.type === 'unknown');
      // Unless the store wrote before: the targets without one may then be the ones that lost
      // their data, the store's epoch being on those that could not be asked. Decided later.
      if (partial && this.#history) return;
      const epoch = randomBytes(8).toString('hex');
      // New markers carry the journal's id from the start (its first use: nothing to compare).
      const journal = this.#journal.created(current);
      const written = await Promise.all(
        ctx.targets.map((t, i) =>
          seen[i]!.type === 'unknown'
            ? Promise.resolve('failed' as const)
            : writeMarker(ctx, t.name, epoch, ABSENT, partial, journal),
        ),
      );
      // Another instance created one first: read again.
      if (depth < 2 && written.some((w) => w === 'exists')) return this.#establish(ctx, depth + 1);
      if (!written.some((w) => w === 'written')) return;
      this.#expected = epoch;
      // As the markers say (a failed write leaves a target pending, not the epoch provisional).
      this.#partial = partial;
      ctx.targets.forEach((t, i) => {
        if (written[i] === 'written') {
          this.#held.add(t.name);
          this.#verifiedAt.set(t.name, this.#now());
        } else this.#pending.add(t.name);
      });
      return;
    }
    // A complete epoch wins over provisional ones; among equals, the one most targets hold.
    let best: { epoch: string; partial: boolean } | undefined;
    let bestCount = 0;
    for (const s of seen) {
      if (s.type !== 'epoch') continue;
      const n = counts.get(s.epoch)!;
      if (
        best === undefined ||
        (best.partial && !s.partial) ||
        (best.partial === s.partial && n > bestCount)
      ) {
        best = { epoch: s.epoch, partial: s.partial };
        bestCount = n;
      }
    }
    this.#expected = best!.epoch;
    this.#partial = best!.partial;
    const journals = journalsOn(seen, best!.epoch);
    const decision = this.#journal.established(journals, current);
    await Promise.all(ctx.targets.map((t, i) => this.#judge(ctx, t.name, seen[i]!)));
    // Only the markers that do not carry the journal's id yet are written: instances opening at
    // once would otherwise all write every marker.
    const lacking = new Set(
      ctx.targets.flatMap((t, i) => {
        const s = seen[i]!;
        return s.type === 'epoch' && s.journal === current ? [] : [t.name];
      }),
    );
    await this.#applyJournal(ctx, decision, current, lacking);
  }

  /**
   * Applies a `decideJournalId` decision made when the markers were established: `adopt`
   * and an incomplete `same` write the journal's id to the markers that lack it; `reset` counts
   * it, reports it (`journalReset`) and starts the reconcile (journal-reset.ts), which writes the
   * new id to the markers only once it finished ({@link EpochTracker.journalConfirmed}).
   */
  async #applyJournal(
    ctx: MultiContext,
    decision: JournalIdDecision,
    current: string | undefined,
    lacking?: ReadonlySet<string>,
  ) {
    if (current === undefined) return;
    if (decision.type === 'adopt' || (decision.type === 'same' && decision.incomplete)) {
      await this.#rewriteMarkers(ctx, lacking);
    } else if (decision.type === 'reset') {
      ctx.counts.journalResets++;
      if (ctx.events.has('journalReset')) {
        ctx.events.emit('journalReset', {
          previous: decision.previous,
          current,
          ...(decision.rolledBack === undefined ? {} : { rolledBack: decision.rolledBack }),
        });
      }
      ctx.journalResetFound(decision.previous, current, decision.rolledBack !== undefined);
    }
  }

  /**
   * The journal's id, `current`, is confirmed (the reconcile after a reset finished): the markers
   * carry it from now on. Rewrites every marker this store saw intact (best effort: one left with
   * the previous id is completed at the next start, which finds the new one on the others).
   */
  async journalConfirmed(ctx: MultiContext, current: string): Promise<void> {
    this.#journal.confirmed(current);
    await this.#rewriteMarkers(ctx);
  }

  /**
   * Reads the markers again: whether another process sharing the journal (a fleet's) finished the
   * reconcile after the reset to `current` and confirmed it, that is some marker holding the epoch
   * carries `current` now (`decideJournalId` says `same`). When it did, the markers carry
   * `current` from now on here too (those still without it get it). `false` while the epoch is not
   * known or no marker carries it.
   */
  async journalConfirmedElsewhere(ctx: MultiContext, current: string): Promise<boolean> {
    const epoch = this.#expected;
    if (epoch === undefined) return false;
    const seen = await Promise.all(ctx.targets.map((t) => readMarker(ctx, t.name)));
    const journals = journalsOn(seen, epoch);
    const decision = decideJournalId(journals, current);
    if (decision.type !== 'same') return false;
    this.#journal.confirmed(current);
    if (decision.incomplete) {
      const lacking = ctx.targets.flatMap((t, i) => {
        const s = seen[i]!;
        return s.type === 'epoch' && s.epoch === epoch && s.journal !== current ? [t.name] : [];
      });
      await this.#rewriteMarkers(ctx, new Set(lacking));
    }
    return true;
  }

  /**
   * Writes the marker again, with the journal id it should carry, on every target seen holding it
   * (`only`: those of them in it).
   */
  async #rewriteMarkers(ctx: MultiContext, only?: ReadonlySet<string>): Promise<void> {
    const epoch = this.#expected;
    if (epoch === undefined) return;
    const journal = this.#journal.onMarkers;
    await Promise.all(
      [...this.#held]
        .filter((t) => !this.#amnesia.has(t) && (only === undefined || only.has(t)))
        .map((t) =>
          this.#rewriteMarker(ctx, t, epoch, journal).catch((err: unknown) => {
            if (ctx.events.has('error')) ctx.events.emit('error', { during: 'epoch', error: err });
          }),
        ),
    );
  }

  /**
   * Rewrites one marker only over the one read just before, still holding `epoch` (If-Match on its
   * entity tag): a rewrite that lands late, after the target lost its data (its marker too), would
   * otherwise put the marker back on a target without its data, and its loss would go unseen. A
   * marker that vanished or changed meanwhile is left for the next check to judge.
   */
  async #rewriteMarker(ctx: MultiContext, target: string, epoch: string, journal: string | undefined) {
    const seen = await readMarker(ctx, target);
    if (seen.type !== 'epoch' || seen.epoch !== epoch) return;
    if (seen.journal === journal && seen.partial === this.#partial) return;
    const condition = seen.etag === undefined ? undefined : { ifMatch: seen.etag };
    await writeMarker(ctx, target, epoch, condition, this.#partial, journal);
  }

  /** Marks `target` reconciled: writes its marker and trusts it again. */
  async restored(ctx: MultiContext, target: string): Promise<void> {
    const epoch = this.#expected;
    if (epoch === undefined) return;
    await writeMarker(ctx, target, epoch, undefined, this.#partial, this.#journal.onMarkers);
    this.#amnesia.delete(target);
    this.#held.add(target);
    this.#pending.delete(target);
    this.#verifiedAt.set(target, this.#now());
    if (ctx.events.has('amnesia')) {
      ctx.events.emit('amnesia', { target, expected: epoch, found: undefined, reconciled: true });
    }
  }

  /**
   * Forgets that `target`'s marker was seen intact: it failed a call (an outage, a restart), and
   * a cloud that comes back from one may come back without its data. Its next "not found" checks
   * the marker first.
   */
  forget(target: string): void {
    this.#verifiedAt.delete(target);
  }

  /** Flags the reconcile of an amnesiac target as running or not (for status). */
  setReconciling(target: string, running: boolean): void {
    const a = this.#amnesia.get(target);
    if (a !== undefined) a.reconciling = running;
  }

  async #judge(
    ctx: MultiContext,
    target: string,
    seen: Seen,
    readAt = this.#now(),
    depth = 0,
    within?: MarkerRead,
  ): Promise<boolean> {
    const expected = this.#expected;
    // A marker that cannot be read says nothing: the target is trusted as before.
    if (seen.type === 'unknown' || expected === undefined) return !this.#amnesia.has(target);
    if (seen.type === 'epoch' && seen.epoch === expected) {
      this.#held.add(target);
      this.#pending.delete(target);
      if (this.#amnesia.has(target)) return false;
      // Seen intact as of when the marker's read was sent.
      this.#verifiedAt.set(target, Math.max(this.#verifiedAt.get(target) ?? 0, readAt));
      return true;
    }
    switch (decideMarker(this.#state(target), seen)) {
      case 'establish': {
        // The store created the epoch without this target: give it the marker now.
        // Inside an attempt on the target (`within`): part of it, as its read was.
        const w = await writeMarker(
          ctx,
          target,
          expected,
          ABSENT,
          this.#partial,
          this.#journal.onMarkers,
          within,
        );
        if (w === 'written')
          return this.#judge(ctx, target, { type: 'epoch', epoch: expected, partial: this.#partial }, readAt);
        // Someone else wrote one in between: judge what it holds.
        if (w === 'exists' && depth < 2) {
          const again = await readMarker(ctx, target, within);
          return this.#judge(ctx, target, again, readAt, depth + 1, within);
        }
        return !this.#amnesia.has(target);
      }
      case 'adopt': {
        // The provisional epoch was created on targets that had lost their data: this target
        // holds the store's real one. Every target holding the provisional one lost data.
        const provisional = expected;
        const real = seen as {
          readonly epoch: string;
          readonly partial: boolean;
          readonly journal?: string | undefined;
        };
        const lost = [...this.#held];
        this.#expected = real.epoch;
        this.#partial = real.partial;
        // The real epoch's markers carry the journal id to keep (the provisional one's was ours,
        // written without anything to compare: the reconciles of the lost targets cover it).
        this.#journal.gaveWay(real.journal);
        this.#held.clear();
        this.#pending.clear();
        // The others, never seen holding the real epoch, are judged as any target never seen.
        this.#verifiedAt.clear();
        for (const t of lost) this.#declare(ctx, t, provisional);
        return this.#judge(ctx, target, seen, readAt);
      }
      case 'amnesia':
        this.#declare(ctx, target, seen.type === 'epoch' ? seen.epoch : undefined);
        return false;
    }
  }

  /** What this store knows about `target`'s marker. */
  #state(target: string): TargetState {
    return {
      held: this.#held.has(target),
      pending: this.#pending.has(target),
      partial: this.#partial,
      expected: this.#expected,
    };
  }

  #declare(ctx: MultiContext, target: string, found: string | undefined): void {
    if (this.#amnesia.has(target)) return;
    this.#amnesia.set(target, { since: Date.now(), reconciling: false, found });
    this.#verifiedAt.delete(target);
    this.#held.delete(target);
    ctx.counts.amnesia++;
    if (ctx.events.has('amnesia')) {
      ctx.events.emit('amnesia', { target, expected: this.#expected!, found, reconciled: false });
    }
    ctx.amnesiaFound(target);
  }
}

/** What the store knows about one target's marker (for {@link decideMarker}). */
export interface TargetState {
  /** The store saw this target hold the expected epoch, or wrote it there. */
  readonly held: boolean;
  /** The store created the epoch without this target (unreachable, or its write failed). */
  readonly pending: boolean;
  /** The expected epoch is provisional (created while some target could not be asked). */
  readonly partial: boolean;
  /** The expected epoch itself (orders two provisional epochs; see {@link decideMarker}). */
  readonly expected?: string | undefined;
}

/** The journal ids the markers holding `epoch` carry (`undefined` for a marker that carries none). */
function journalsOn(seen: readonly Seen[], epoch: string): (string | undefined)[] {
  return seen.flatMap((s) => (s.type === 'epoch' && s.epoch === epoch ? [s.journal] : []));
}

/**
 * What a marker read that does not hold the expected epoch means (pure; table-tested):
 * - `establish`: the store created the epoch without this target and it holds none: write it;
 * - `adopt`: the expected epoch is provisional and this target, which it never reached, holds
 *   another: a complete one; or, while the target was left out at creation, a provisional one
 *   that sorts before the expected one. That one is the store's, and the targets holding the
 *   provisional one had lost their data. The order matters in a fleet: two instances that each
 *   started a provisional epoch while a different cloud was away would otherwise each adopt the
 *   other's, and then each declare the other's targets amnesiac, reconcile them and write its own
 *   epoch back, for ever (found by the fleet-mode Jepsen soak); with it, both settle on the
 *   smaller one;
 * - `amnesia`: the target lost its data. That includes a target this store never saw holding the
 *   epoch, while others do: it may have held it (and lost everything since), and nothing proves it
 *   did not, so it is not trusted until reconciled.
 */
export function decideMarker(
  state: TargetState,
  seen:
    | { readonly type: 'absent' }
    | { readonly type: 'epoch'; readonly epoch: string; readonly partial: boolean },
): 'establish' | 'adopt' | 'amnesia' {
  if (seen.type === 'absent') return state.pending && !state.held ? 'establish' : 'amnesia';
  if (!state.held && state.partial) {
    if (!seen.partial) return 'adopt';
    if (state.pending && (state.expected === undefined || seen.epoch < state.expected)) return 'adopt';
  }
  return 'amnesia';
}

/**
 * Runs a marker call on `target`: through the router, or, `within` an attempt on the target,
 * straight on its store as part of that attempt (its signal, its time limit; the router would
 * make it wait for the attempt itself when that is the target's half-open probe).
 */
function onMarkerTarget<R>(
  ctx: MultiContext,
  target: string,
  within: MarkerRead | undefined,
  call: (store: BlobStore, signal: AbortSignal | undefined) => Promise<R>,
): Promise<R> {
  const store = within === undefined ? undefined : ctx.byName.get(target)?.store;
  if (store === undefined) return runOn(ctx, target, call, undefined);
  return ctx.unresponsive.track(target, () => call(store, within?.signal));
}

async function readMarker(ctx: MultiContext, target: string, within?: MarkerRead): Promise<Seen> {
  let info: BlobInfo | null;
  try {
    info = await onMarkerTarget(ctx, target, within, (s, sig) =>
      s.head(EPOCH_KEY, sig === undefined ? {} : { signal: sig }),
    );
  } catch (err) {
    if (classifyFailure(err) === 'not_found') return { type: 'absent' };
    return { type: 'unknown' };
  }
  if (info === null) return { type: 'absent' };
  const epoch = info.metadata[EPOCH_META];
  const journal = info.metadata[JOURNAL_META];
  return typeof epoch === 'string' && EPOCH.test(epoch)
    ? {
        type: 'epoch',
        epoch,
        partial: info.metadata[PARTIAL_META] === '1',
        journal: typeof journal === 'string' && JOURNAL_ID.test(journal) ? journal : undefined,
        etag: info.etag,
      }
    : { type: 'absent' };
}

/** Where none exists (`ifNoneMatch: '*'`). */
const ABSENT = { ifNoneMatch: '*' } as const;

/**
 * Writes the marker (with the journal id `journal`, when known), under `condition`: only where
 * none exists ({@link ABSENT}; `exists` when one did), only over one entity tag (`failed` when it
 * changed), or (`undefined`) over anything.
 */
async function writeMarker(
  ctx: MultiContext,
  target: string,
  epoch: string,
  condition: typeof ABSENT | { readonly ifMatch: string } | undefined,
  partial: boolean,
  journal: string | undefined,
  within?: MarkerRead,
): Promise<'written' | 'exists' | 'failed'> {
  const body = Buffer.from(
    `${JSON.stringify({ epoch, note: 'written by @failover/storage; do not delete' })}\n`,
  );
  const put = (s: BlobStore, sig: AbortSignal | undefined) =>
    s.put(EPOCH_KEY, body, {
      contentType: 'application/json',
      metadata: {
        [EPOCH_META]: epoch,
        ...(partial ? { [PARTIAL_META]: '1' } : {}),
        ...(journal === undefined ? {} : { [JOURNAL_META]: journal }),
      },
      ...condition,
      ...(sig === undefined ? {} : { signal: sig }),
    });
  try {
    await onMarkerTarget(ctx, target, within, put);
    return 'written';
  } catch (err) {
    if (classifyFailure(err) === 'precondition') return condition === ABSENT ? 'exists' : 'failed';
    if (condition === ABSENT) return 'failed';
    throw err;
  }
}
