import {
  AllTargetsFailedError,
  classifyFailure,
  FailoverError,
  type FailureKind,
  isAvailabilityKind,
  type TargetFailure,
} from '@failover/core';
import { StorageError } from '../errors.js';
import type { BlobInfo, BlobStore } from '../types.js';
import { combine, type MultiContext, mayHaveLanded, runOnTracked, targetFailure } from './context.js';
import { QuorumNotReachedError } from './errors.js';
import { entryId, journalWrite, putIntentEntry, type WriteRecord } from './journaling.js';
import { ProvisionalPut } from './provisional.js';

/** One write (a put or a delete) to make on the targets: what the journal records of it, and more. */
export interface WriteSpec
  extends Omit<WriteRecord, 'holders' | 'missing' | 'intent' | 'degraded' | 'uncertain'> {
  readonly signal: AbortSignal | undefined;
  /** Overrides the router's attempt time limit for this write (`false`: none). */
  readonly attemptTimeoutMs?: number | false | undefined;
  /** Makes the write on one target (may be called again on another, or more than once). */
  readonly perform: (store: BlobStore, signal: AbortSignal | undefined) => Promise<BlobInfo | undefined>;
  /**
   * Undoes the write on a target where it succeeded (`written`: what that target answered), used
   * when another target refused it with a precondition failure (`ifNoneMatch`). Only safe when the
   * write itself was conditional.
   */
  readonly rollback?: ((store: BlobStore, written: BlobInfo | undefined) => Promise<void>) | undefined;
  /** `false`: never hedged to another target (a streamed body would be sent twice). */
  readonly hedge?: false | undefined;
  /** Called once no write of this spec runs any more (every straggler has ended). */
  readonly finished?: (() => void) | undefined;
}

/** Where a write landed first (the answer the caller gets). */
export interface WriteResult {
  readonly target: string;
  readonly info: BlobInfo | undefined;
  /** Acknowledged with fewer copies than the write mode asks for. */
  readonly degraded: boolean;
}

/**
 * Makes a write as the store's `writes` mode says, journals the targets that lack it before
 * resolving, and serialises it with other writes and repairs of the same key. A delete is
 * journaled as an intent before it is sent. A failed write rejects; copies it left behind (or may
 * have left behind) are journaled so the targets converge.
 */
export function write(ctx: MultiContext, spec: WriteSpec): Promise<WriteResult> {
  if (ctx.options.writes === 'primary' || ctx.targets.length === 1) return writePrimary(ctx, spec);
  return writeParallel(ctx, spec);
}

/**
 * Records a delete before it is sent, so a crash after it reached some targets can never let an
 * older copy come back: repair completes it. (A put needs no intent: its version is in the
 * objects it leaves, and repair never writes a version older than one the journal acknowledged.)
 */
async function recordIntent(ctx: MultiContext, spec: WriteSpec): Promise<void> {
  ctx.inflight.set(spec.key, spec.version);
  if (spec.op !== 'delete' || ctx.targets.length < 2) return;
  await journalWrite(ctx, {
    ...spec,
    intent: true,
    holders: [],
    missing: ctx.targets.map((t) => t.name),
  });
}

/**
 * Records a parallel put before it is sent, as an intent naming no holder, so that a crash after
 * it reached some cloud (before its quorum was journaled) leaves a record of its version: after a
 * restart, a read that returns that version journals it as observed (no later read goes back
 * behind it), and repair copies it everywhere, or drops the intent once `settleMs` has passed and
 * no cloud has it. The put is sent once the intent is *written* ({@link Journal.appendIntent}:
 * it survives a crash of this process), not durable: its fsync overlaps the upload. The
 * acknowledged record (same id) replaces it; a put that reached no cloud withdraws it.
 */
async function notePutIntent(ctx: MultiContext, spec: WriteSpec): Promise<void> {
  if (spec.op !== 'put' || ctx.targets.length < 2) return;
  const names = ctx.targets.map((t) => t.name);
  const entry = putIntentEntry(ctx, spec, [], names);
  const journal = ctx.journal;
  try {
    void ctx.deferredRecords.flush(); // records the store made earlier go first
    if (journal.appendIntent === undefined) await journal.append(entry);
    else {
      const noted = journal.appendIntent(entry);
      // A failed fsync breaks the journal: the put's own record then fails, and says so.
      noted.durable.catch(() => {});
      await noted.written;
    }
  } catch (err) {
    throw new StorageError(
      err instanceof FailoverError ? err.kind : 'unavailable',
      `The put of ${JSON.stringify(spec.key)} could not be journaled before it was sent; nothing was changed`,
      { key: spec.key, cause: err },
    );
  }
  // Unless a read already replaced it (it observed the version: never demoted back).
  if (ctx.pending.item(entry.id) === undefined) ctx.pending.append(entry);
}

/** True when the key has no pending entry but this write's own intent. */
function onlyOwnIntent(ctx: MultiContext, spec: WriteSpec): boolean {
  const id = entryId(spec.version, spec.key);
  return ctx.pending.entriesOf(spec.key).every((i) => i.entry.id === id && i.entry.intent === true);
}

/**
 * `'primary'`: the first healthy target takes the write, the journal records every other one. A
 * put's record is made beside its upload (see {@link ProvisionalPut}), so the answer waits for the
 * later of the two; a put that needed more than one attempt is journaled after it, as a delete is.
 */
async function writePrimary(ctx: MultiContext, spec: WriteSpec): Promise<WriteResult> {
  const names = ctx.targets.map((t) => t.name);
  try {
    return await ctx.lock(spec.key, async () => {
      await recordIntent(ctx, spec);
      const early = ProvisionalPut.fits(ctx, spec) ? new ProvisionalPut(ctx, spec) : undefined;
      let res: Awaited<ReturnType<typeof ctx.router.runDetailed<BlobInfo | undefined>>>;
      // A primary on hold (silent while the others answer) is asked last, so puts stop waiting
      // for it to be hedged around; each request is watched, as a parallel write's are.
      const order = ctx.unresponsive.heldLast(names);
      try {
        res = await ctx.router.runDetailed(
          (t, c) => {
            early?.sending(t.name);
            return ctx.unresponsive.track(t.name, () =>
              spec.perform(t.store, combine(c.signal, spec.signal)),
            );
          },
          {
            idempotent: true,
            ...(order === names ? {} : { targets: order }),
            ...(spec.hedge === false ? { hedge: false as const } : {}),
            ...(spec.signal === undefined ? {} : { signal: spec.signal }),
            ...(spec.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: spec.attemptTimeoutMs }),
          },
        );
      } catch (err) {
        const failures = err instanceof AllTargetsFailedError ? err.failures : [];
        // The provisional record is replaced (something may have landed) or withdrawn.
        await early?.settled();
        const landed = await journalFailed(ctx, spec, [], names, failures);
        if (!landed) await early?.withdraw();
        throw err;
      }
      const holder = res.target.name;
      if (early !== undefined && (await early.acknowledge(holder, res.failures))) {
        return { target: holder, info: res.value, degraded: false };
      }
      await journalWrite(ctx, {
        ...spec,
        holders: [holder],
        missing: names.filter((n) => n !== holder),
        uncertain: res.failures.filter((f) => mayHaveLanded(f)).map((f) => f.target),
      });
      return { target: holder, info: res.value, degraded: false };
    });
  } finally {
    if (ctx.inflight.get(spec.key) === spec.version) ctx.inflight.delete(spec.key);
    forgetObserved(ctx, spec); // the write decided
    spec.finished?.();
  }
}

/** Failure kinds that fail a parallel write whatever the other targets did. */
function isFatal(kind: FailureKind, mirror: boolean): boolean {
  if (kind === 'precondition' || kind === 'aborted') return true;
  return mirror && !isAvailabilityKind(kind);
}

interface Failure {
  readonly name: string;
  readonly kind: FailureKind;
  readonly error: unknown;
  readonly failure: TargetFailure;
}

function writeParallel(ctx: MultiContext, spec: WriteSpec): Promise<WriteResult> {
  const need = ctx.options.quorum; // undefined: mirror
  const mirror = need === undefined;
  const names = ctx.targets.map((t) => t.name);
  const call = { signal: spec.signal, attemptTimeoutMs: spec.attemptTimeoutMs };
  return new Promise<WriteResult>((resolve, reject) => {
    void ctx
      .lock(spec.key, async () => {
        await recordIntent(ctx, spec);
        await notePutIntent(ctx, spec);
        const succeeded = new Map<string, BlobInfo | undefined>();
        const uncertain = new Set<string>();
        const failures: Failure[] = [];
        let acked: Promise<string | undefined> | undefined;
        let answered = 0;
        /** Set once the caller got its answer (the record may still be on its way to disk). */
        let answeredCaller = false;
        /** Whether the caller may have its answer before the record is durable once every copy lands. */
        let recordOptional = false;

        const answer = (res: WriteResult): void => {
          answeredCaller = true;
          resolve(res);
        };

        /**
         * The quorum is there: the record of the targets still writing goes to the journal at once
         * (its fsync overlaps their uploads), and the caller has its answer as soon as that record
         * is durable, or as soon as every target took the write, whichever comes first: a
         * target that holds the write needs no record.
         */
        const ack = (): void => {
          if (acked !== undefined) return;
          for (const upload of running) {
            ctx.stragglers.add(upload);
            void upload.finally(() => ctx.stragglers.delete(upload));
          }
          const holders = names.filter((n) => succeeded.has(n));
          const first = holders[0]!;
          // When every copy lands before the record is durable, nothing needed recording: unless
          // older entries of the key must be superseded, or a request may still land late.
          recordOptional =
            answered < names.length &&
            failures.length === 0 &&
            uncertain.size === 0 &&
            onlyOwnIntent(ctx, spec) &&
            names.every((n) => ctx.uncertain.until(spec.key, n) === undefined);
          acked = journalWrite(ctx, {
            ...spec,
            holders,
            missing: names.filter((n) => !succeeded.has(n)),
            uncertain: [...uncertain],
          }).then(
            (entry) => {
              if (!answeredCaller) answer({ target: first, info: succeeded.get(first), degraded: false });
              return entry?.id;
            },
            (err: unknown) => {
              if (!answeredCaller) reject(err);
              else if (ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error: err });
              return undefined;
            },
          );
        };

        /** Each target's upload while it runs (those still running at the acknowledgement straggle). */
        const running = new Set<Promise<unknown>>();
        const held = heldToSkip(ctx, names, need);
        await Promise.all(
          names.map((name) =>
            (held.has(name)
              ? Promise.reject(onHold(name))
              : track(running, runOnTracked(ctx, name, spec.perform, call))
            ).then(
              ({ value: info, uncertain: late }) => {
                if (acked !== undefined) {
                  answered++;
                  if (
                    !late &&
                    recordOptional &&
                    failures.length === 0 &&
                    answered === names.length &&
                    !answeredCaller
                  ) {
                    // The last target took it before the record was durable: every copy is there.
                    const first = names.find((n) => succeeded.has(n))!;
                    answer({ target: first, info: succeeded.get(first), degraded: false });
                  }
                  // A straggler of an acknowledged quorum write: the entry is now resolved for it
                  // (unless an earlier attempt of it may still land: repair checks it later).
                  if (late) {
                    ctx.uncertain.open(spec.key, name);
                    return undefined;
                  }
                  return (
                    acked
                      // An unstamped copy stays pending until it is stamped (stamp.ts).
                      .then((id) =>
                        id === undefined || spec.unstamped === true
                          ? undefined
                          : resolveStraggler(ctx, id, spec.key, name),
                      )
                      .catch((err: unknown) => {
                        if (ctx.events.has('error'))
                          ctx.events.emit('error', { during: 'journal', error: err });
                      })
                  );
                }
                if (late) uncertain.add(name);
                succeeded.set(name, info);
                answered++;
                if (!mirror && failures.every((f) => !isFatal(f.kind, false)) && succeeded.size >= need)
                  ack();
                return undefined;
              },
              (error: unknown) => {
                const failure = targetFailure(name, error);
                if (isAvailabilityKind(failure.kind) && !held.has(name)) ctx.epochs.forget(name);
                if (mayHaveLanded(failure)) {
                  uncertain.add(name);
                  // After the acknowledgement: repair checks the window before resolving the pair.
                  if (acked !== undefined) ctx.uncertain.open(spec.key, name);
                }
                failures.push({ name, kind: classifyFailure(error), error, failure });
                answered++;
              },
            ),
          ),
        );
        if (acked !== undefined) {
          await acked;
          return;
        }
        try {
          resolve(await settle(ctx, spec, names, succeeded, failures, uncertain));
        } catch (err) {
          reject(err);
        }
      })
      .catch(reject)
      .finally(() => {
        if (ctx.inflight.get(spec.key) === spec.version) ctx.inflight.delete(spec.key);
        forgetObserved(ctx, spec); // the write decided
        spec.finished?.();
      });
  });
}

/**
 * The targets on hold (see `UnresponsiveWatch.held`) this write sends no copy to: all of them when
 * the other targets that admit calls can make the quorum without them (one, for `'mirror'`), else
 * none (a target on hold may only be slow; the write may need it).
 */
function heldToSkip(ctx: MultiContext, names: readonly string[], need: number | undefined): Set<string> {
  const held = new Set<string>();
  let others = 0;
  for (const name of names) {
    if (!ctx.router.isAvailable(name)) continue;
    if (ctx.unresponsive.held(name)) held.add(name);
    else others++;
  }
  if (held.size > 0 && others < (need ?? 1)) held.clear();
  return held;
}

/** The failure of a copy not sent because its target is on hold: never sent, so it cannot land. */
function onHold(name: string): AllTargetsFailedError {
  const cause = new StorageError(
    'unavailable',
    `Target "${name}" is on hold: its requests stay silent while the other targets answer`,
    { target: name },
  );
  return new AllTargetsFailedError([{ target: name, kind: 'unavailable', cause, attempts: 0 }]);
}

/**
 * A straggler took the write: resolved (with the journal's next append), unless its key has a
 * window open there.
 */
function resolveStraggler(ctx: MultiContext, id: string, key: string, name: string): void {
  if (ctx.uncertain.until(key, name) !== undefined) return;
  ctx.deferredRecords.add(id, name);
}

/** Decides a parallel write once every target has answered (and no quorum was acknowledged early). */
async function settle(
  ctx: MultiContext,
  spec: WriteSpec,
  names: readonly string[],
  succeeded: ReadonlyMap<string, BlobInfo | undefined>,
  failures: readonly Failure[],
  uncertain: ReadonlySet<string>,
): Promise<WriteResult> {
  const need = ctx.options.quorum;
  const mirror = need === undefined;
  const holders = names.filter((n) => succeeded.has(n));
  const missing = names.filter((n) => !succeeded.has(n));
  const late = missing.filter((n) => uncertain.has(n));
  const ordered = [...failures].sort((a, b) => names.indexOf(a.name) - names.indexOf(b.name));
  const fatal = ordered.find((f) => isFatal(f.kind, mirror));
  if (fatal?.kind === 'precondition' && spec.rollback !== undefined) {
    // A conditional write another target refused: undo it where it was made, journal nothing.
    await Promise.all(
      holders.map((n) => spec.rollback!(ctx.byName.get(n)!.store, succeeded.get(n)).catch(() => undefined)),
    );
    await withdrawIntent(ctx, spec);
    throw fatal.error;
  }
  const enough = holders.length >= (need ?? 1);
  // Fewer copies than asked for, because the other targets are down: enough when `minimum` says so.
  const degraded =
    !enough &&
    fatal === undefined &&
    ctx.options.minimum !== undefined &&
    holders.length >= ctx.options.minimum &&
    ordered.every((f) => isAvailabilityKind(f.kind));
  if (fatal === undefined && (enough || degraded)) {
    await journalWrite(ctx, { ...spec, holders, missing, uncertain: late, degraded });
    if (degraded) reportDegraded(ctx, spec, holders, missing);
    const first = holders[0]!;
    return { target: first, info: succeeded.get(first), degraded };
  }
  // The write failed. Copies that landed (or may land) are journaled, so every target converges.
  await journalFailed(
    ctx,
    spec,
    holders,
    missing,
    ordered.map((f) => f.failure),
  );
  if (fatal !== undefined) throw fatal.error;
  const list: TargetFailure[] = ordered.map((f) => f.failure);
  if (holders.length === 0) {
    const last = ordered[ordered.length - 1];
    throw new AllTargetsFailedError(list, { kind: last?.kind, cause: last?.error });
  }
  throw new QuorumNotReachedError(spec.key, spec.op, need ?? 1, holders, list);
}

/**
 * Journals a write that failed but reached some targets, or may still reach them (an answerless
 * request): an intent, so repair makes every target converge on one version without ever counting
 * it as acknowledged. A journal failure here is reported as an `error` event; the caller gets the
 * write's own error. Returns false when the write reached no target and may not still reach one.
 */
async function journalFailed(
  ctx: MultiContext,
  spec: WriteSpec,
  holders: readonly string[],
  missing: readonly string[],
  failures: readonly TargetFailure[],
): Promise<boolean> {
  const late = failures.filter((f) => mayHaveLanded(f)).map((f) => f.target);
  if (holders.length === 0 && late.length === 0) {
    // It reached no target: its intent is withdrawn (it supersedes nothing, so nothing is lost).
    if (ctx.targets.length > 1) await withdrawIntent(ctx, spec);
    return false;
  }
  // A read returned this version while it was in flight: it is journaled as observed, and stays so.
  const observed = spec.op === 'put' && ctx.observedPuts.has(entryId(spec.version, spec.key));
  try {
    await journalWrite(ctx, { ...spec, intent: !observed, holders, missing, uncertain: late });
  } catch (err) {
    if (ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error: err });
  }
  return true;
}

/** Forgets what reads observed of a write once it has decided (its journal record is made). */
function forgetObserved(ctx: MultiContext, spec: WriteSpec): void {
  const id = entryId(spec.version, spec.key);
  ctx.observedDeletes.delete(id);
  ctx.observedPuts.delete(id);
}

/**
 * Withdraws the intent of a write (a delete, or a parallel put) that reached no target. A journal
 * failure leaves it for repair (which drops a put's once its settle window has passed).
 */
async function withdrawIntent(ctx: MultiContext, spec: WriteSpec): Promise<void> {
  const id = entryId(spec.version, spec.key);
  // A read already answered "not found" because of it: the delete must take effect (repair
  // completes it), or that read would be undone.
  if (ctx.observedDeletes.delete(id)) return;
  // Reads stop seeing it now, in the same tick as the check above: none can observe it between
  // the check and the journal's records below. (A put a read observed is no intent any more.)
  const item = ctx.pending.item(id);
  if (item === undefined || item.entry.op !== spec.op || item.entry.intent !== true) return;
  if (item.entry.provisional === true) return; // 'primary' mode's record: ProvisionalPut's own
  const targets = [...item.missing];
  ctx.pending.forget(id);
  try {
    void ctx.deferredRecords.flush();
    const journal = ctx.journal;
    // Shared by a fleet, an intent is withdrawn atomically: another instance may have confirmed
    // it first (its repair, to delete a copy on its behalf; or its read, that returned the put).
    const shared =
      journal.settleIntent !== undefined && (spec.op === 'delete' || journal.pendingOf !== undefined);
    if (!shared) {
      for (const t of targets) await journal.resolve(id, t);
    } else if (!(await journal.settleIntent!(id, 'withdraw'))) {
      // Confirmed by another process first: the write takes effect everywhere (repair completes
      // it). This process's index follows the journal again.
      for (const e of (await journal.pendingOf?.(spec.key)) ?? []) if (e.id === id) ctx.pending.append(e);
      ctx.repairSoon();
    }
  } catch (err) {
    if (ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error: err });
  }
}

function reportDegraded(
  ctx: MultiContext,
  spec: WriteSpec,
  holders: readonly string[],
  missing: readonly string[],
): void {
  ctx.counts.degraded++;
  if (ctx.events.has('degraded')) {
    ctx.events.emit('degraded', {
      key: spec.key,
      op: spec.op,
      version: spec.version,
      holders: [...holders],
      missing: [...missing],
    });
  }
}

/** Keeps `upload` in `running` until it settles (its entry never rejects: the caller handles it). */
function track<R>(running: Set<Promise<unknown>>, upload: Promise<R>): Promise<R> {
  const settled = upload.then(
    () => undefined,
    () => undefined,
  );
  running.add(settled);
  void settled.then(() => running.delete(settled));
  return upload;
}
