import { pipeline, type Readable } from 'node:stream';
import { classifyFailure, type TargetFailure } from '@failover/core';
import { abortableStream } from '../abort.js';
import { streamOfBytes } from '../body.js';
import { checkCallOptions } from '../call-options.js';
import { JournalState } from '../journal/state.js';
import type { JournalEntry } from '../journal/types.js';
import { validateRange } from '../range.js';
import type { BlobInfo, GetOptions, OperationOptions } from '../types.js';
import { toleratingUnheardErrors } from '../unheard-errors.js';
import { within } from '../within.js';
import { olderThanAcked } from './acked.js';
import { appendEntry } from './appended.js';
import { attemptTimeoutOf } from './call-options.js';
import {
  admitOrProbeEarly,
  type CallSettings,
  combine,
  type MultiContext,
  type StoreTarget,
} from './context.js';
import { OPERATION, shortBody, watchDownload } from './download.js';
import { markerClock } from './epoch.js';
import { IntegrityError } from './errors.js';
import { isPlainPutIntent } from './intents.js';
import { damagedCopies, entryId, reportCorruptCopy } from './journaling.js';
import { lateCopyFound } from './late-copy.js';
import { newestOf, overlayShared, type PendingItem, SHARED_LOOKUP_MS } from './pending.js';
import { corruptCopyOf, endingAtContentMismatch, readForOwnCheck } from './provider-check.js';
import { floorFor } from './provisional.js';
import { MISSING, type Outcome, ReadTally, STALE, UNSURE } from './read-tally.js';
import { present, sha256Of, versionOf } from './reserved.js';
import { resumingBody } from './resume.js';
import { knownSha256, rememberSha256, unstampedSha256 } from './stamp.js';
import type { MultiCloudBlobInfo, MultiCloudCallOptions } from './types.js';
import { lastOf } from './unresponsive.js';
import { sha256Hex, verifyingStream } from './verify.js';
import { compareVersions } from './version.js';

type Attempt<R> = (
  target: StoreTarget,
  signal: AbortSignal | undefined,
  minVersion: string | undefined,
) => Promise<Outcome<R>>;

/**
 * Runs a read through the router and decides what the answers mean:
 *
 * - A key whose newest pending journal entry is a delete reads as missing, without a call.
 * - A key with a pending acknowledged put is read from the targets that hold that version first; a
 *   copy older than it, or "not found" from a target that still lacks it, is skipped as stale. (A
 *   pending intent, a write that was not acknowledged, only orders the targets; a provisional put
 *   that is not this process's write in flight may have been acknowledged: only its holder may
 *   answer with an older copy.)
 * - "Not found" from the highest target, with no target above it down, is final. From a lower
 *   target (a higher one failed or was skipped) it is not: the remaining targets are asked too.
 *   "Not found" from a target that lost its data (its epoch marker is gone) is never final.
 * - A corrupt copy is reported, queued for repair, and the read moves on.
 *
 * Returns `null` for a missing key. Throws the router's `AllTargetsFailedError` when every target
 * that could answer is down, or the `IntegrityError` when the only copies are corrupt.
 */
export async function routedRead<R>(
  ctx: MultiContext,
  key: string,
  attempt: Attempt<R>,
  call: CallSettings,
  release: (value: R) => void = () => {},
): Promise<{ value: R; target: StoreTarget } | null> {
  await ctx.ready();
  ctx.checkOpen();
  const { signal, attemptTimeoutMs, operation } = call;
  /** The newest pending entry of the key, once known: a provisional put raises some targets' floor. */
  let newest: PendingItem | undefined;
  const run: Round<R> = (targets, min, sig) => {
    // A round left with one target (the others answered or failed): if its breaker is open, panic
    // routing's last resort may probe it (the router does so itself for a call over several).
    if (targets.length === 1) ctx.router.probeEarly(targets);
    return ctx.router.runDetailed(
      (t, c) => attempt(t, combine(c.signal, signal), floorFor(ctx, key, newest, t.name, min)),
      {
        idempotent: true,
        targets,
        // A half-open target's probe that lost the hedge race is left to finish (its answer lets
        // the target back in); what it found is released here.
        dispose: (late) => releaseOutcome(late as Outcome<R>, release),
        ...(operation === undefined ? {} : { operation }),
        ...(sig === undefined ? {} : { signal: sig }),
        ...(attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs }),
      },
    );
  };
  const start = await startingView(ctx, key, run, signal, release);
  if ('answer' in start) return start.answer;
  const view = start.view;
  let first = start.first;
  newest = view.latest;
  const minVersion = maxVersion(view.acknowledged?.entry.version, observedFloor(ctx, key, view));
  /** The newest write of the key acknowledged here: a copy older than it landed late. */
  const acked = ctx.acked.get(key);
  const tally = new ReadTally({
    targets: ctx.targets,
    key,
    minVersion,
    newest: minVersion ?? acked?.version,
    probeEarly: (names) => admitOrProbeEarly(ctx, names),
  });
  let order = readOrder(ctx, view.latest);
  while (order.length > 0) {
    let res: Awaited<ReturnType<typeof run>>;
    // The first round may be the one started beside the shared-journal lookup (same targets and
    // floor as this round would use: the journal had nothing pending for the key).
    const started = first;
    first = undefined;
    try {
      res = await (started ?? run(order, minVersion, signal));
    } catch (err) {
      const after = tally.roundFailed(err);
      if (after === 'missing') return null;
      order = after;
      continue;
    }
    tally.failed(res.failures);
    let outcome = res.value;
    if (outcome.type === 'found' && olderThanAcked(outcome.version, acked)) {
      // A request of an earlier write landed after its settle window: never returned, repaired.
      release(outcome.value);
      lateCopyFound(ctx, key, res.target.name, outcome.version, acked!);
      outcome = acked!.op === 'delete' ? MISSING : STALE;
    }
    if (outcome.type === 'found') {
      observe(ctx, key, view, outcome.version);
      await recordObserved(ctx, key, outcome, res.target.name, view.latest);
      return { value: outcome.value, target: res.target };
    }
    if (tally.answered(res.target, outcome)) return null;
    order = tally.next(order, res.target.name);
  }
  return tally.verdict();
}

/** Releases what a read's attempt found (a body) when nobody will take it. */
function releaseOutcome<R>(outcome: Outcome<R>, release: (value: R) => void): void {
  if (outcome.type === 'found') release(outcome.value);
}

/** Where a read starts: the journal's view of the key, or already its answer. */
type Start<R> =
  | { readonly view: PendingView; readonly first?: ReturnType<Round<R>> | undefined }
  | { readonly answer: { value: R; target: StoreTarget } | null };

/**
 * The journal's view of `key` a read starts from ({@link sharedRead} with a shared journal, with
 * the first round it may have started), past the pending deletes that do not stick; or the
 * read's answer already: `null` for a delete that sticks ({@link stickDelete}), the first round's
 * copy when the shared lookup accepted it.
 */
async function startingView<R>(
  ctx: MultiContext,
  key: string,
  run: Round<R>,
  signal: AbortSignal | undefined,
  release: (value: R) => void,
): Promise<Start<R>> {
  let view: PendingView;
  let first: ReturnType<Round<R>> | undefined;
  if (ctx.journal.pendingOf === undefined) {
    view = localView(ctx, key);
  } else {
    const shared = await sharedRead(ctx, key, run, signal, release);
    if (shared.accepted !== undefined) return { answer: shared.accepted };
    view = shared.view;
    first = shared.first;
  }
  // A delete, also one a newer put's intent follows (that put is in flight or failed, unobserved).
  const passed = new Set<string>();
  for (let looks = 1; view.effective?.entry.op === 'delete'; looks++) {
    const intent = view.effective.entry;
    // Once a read has said "not found" for a delete still in flight, the delete must stick. An
    // intent still there after looking again (one a fallback journal keeps locally, its
    // withdrawal under way) is read past as one that cannot be confirmed.
    const answer = await stickDelete(ctx, key, intent);
    if (answer === 'stick') return { answer: null };
    if (answer === 'again' && looks < 3) {
      // Another instance's delete, no intent any more: recorded (it took effect) or withdrawn.
      view = await sharedView(ctx, key);
    } else {
      // Another instance's delete that could not be confirmed (the shared journal is away): the
      // read goes by what the clouds hold, as if it were not there (it may yet be withdrawn), and
      // by the rest of what the last look found pending (another instance's newer put, say).
      passed.add(intent.id);
      view = viewOf(view.items.filter((i) => !passed.has(i.entry.id)));
    }
  }
  return { view, first };
}

/**
 * The newest version an earlier read of `key` returned while a write of it was in flight or not
 * acknowledged, if that still matters: reads never go back behind it. Forgotten once the key has
 * no write in flight and nothing pending (every target then holds the newest version).
 */
function observedFloor(ctx: MultiContext, key: string, view: PendingView): string | undefined {
  const floor = ctx.observed.get(key);
  if (floor === undefined) return undefined;
  if (!ctx.inflight.has(key) && view.latest === undefined) {
    ctx.observed.delete(key);
    return undefined;
  }
  return floor;
}

/** Most keys whose read floor is remembered at once; the oldest are forgotten first. */
const MAX_OBSERVED = 10_000;

/** Remembers the version a read returned when a write of the key is in flight or unacknowledged. */
function observe(ctx: MultiContext, key: string, view: PendingView, version: string | undefined): void {
  if (version === undefined) return;
  const unsettled = ctx.inflight.has(key) || (view.latest !== undefined && view.latest.entry.intent === true);
  if (!unsettled) return;
  const known = ctx.observed.get(key);
  if (known !== undefined && compareVersions(known, version) >= 0) return;
  ctx.observed.delete(key);
  ctx.observed.set(key, version);
  if (ctx.observed.size > MAX_OBSERVED) {
    const oldest = ctx.observed.keys().next().value;
    if (oldest !== undefined) ctx.observed.delete(oldest);
  }
}

/**
 * A read returned the version of a write still in flight (not acknowledged yet), or of a put whose
 * intent is the key's newest pending entry while no write of it runs here (its writer died before
 * the put was journaled as acknowledged or failed: `latest`; with a journal of this process only):
 * before the read returns, the version is journaled as held by the target that served it (and
 * lacked by the others), so no later read goes back behind it, also after a crash of this process
 * (the memory floor of {@link observe} dies with it), and repair copies it everywhere. If the
 * write then fails, it stays recorded as observed (write-steps.ts), never demoted to an intent. A
 * journal failure is reported as an `error` event; the read still returns.
 */
async function recordObserved(
  ctx: MultiContext,
  key: string,
  outcome: {
    readonly version?: string | undefined;
    readonly sha256?: string | undefined;
    readonly size?: number | undefined;
  },
  target: string,
  latest?: PendingItem,
): Promise<void> {
  const version = outcome.version;
  if (version === undefined || ctx.targets.length < 2) return;
  const id = entryId(version, key);
  const own = ctx.inflight.get(key) === version;
  const orphan = !ctx.inflight.has(key) && latest?.entry.id === id && isPlainPutIntent(latest.entry);
  if (orphan && ctx.journal.pendingOf !== undefined) {
    await confirmObserved(ctx, latest.entry);
    return;
  }
  if (!own && !orphan) return;
  // Already recorded by this read's peers, or acknowledged (its stragglers still writing).
  const known = ctx.pending.item(id);
  if (ctx.observedPuts.has(id) || (known !== undefined && known.entry.intent !== true)) return;
  ctx.observedPuts.add(id);
  const entry: JournalEntry = {
    id,
    op: 'put',
    key,
    version,
    ...(outcome.sha256 === undefined ? {} : { sha256: outcome.sha256 }),
    ...(outcome.size === undefined ? {} : { size: outcome.size }),
    holders: [target],
    missing: ctx.targets.map((t) => t.name).filter((n) => n !== target),
    at: Date.now(),
  };
  try {
    void ctx.deferredRecords.flush(); // records the store made earlier go first
    await appendEntry(ctx, entry);
    // The index follows the journal (if the write settled meanwhile, this record replaced its
    // own; repair finds the targets that hold it and resolves them).
    ctx.pending.append(entry);
    ctx.repairSoon();
  } catch (err) {
    if (ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error: err });
  }
}

/**
 * With a journal shared by a fleet: a read returned the version of a put whose intent is the key's
 * newest pending entry, and no write of it runs in this process. Its writer may be another
 * instance, still writing, failed, or dead: the intent is confirmed in the journal, atomically
 * against every instance ({@link Journal.settleIntent}), before the read returns, so no read of
 * any instance goes back behind it, also after this process restarts. The writer's own record
 * replaces it when the put is acknowledged; a failure record (an intent) no longer can. Nothing
 * is done when the journal cannot settle intents, or the entry is no intent any more (its writer
 * recorded it, or withdrew it: then it reached no cloud the writer knows of). A journal failure
 * is reported as an `error` event; the read still returns.
 */
async function confirmObserved(ctx: MultiContext, intent: JournalEntry): Promise<Confirmation> {
  // A read confirming it already: this one returns once that is done too.
  const running = confirming.get(intent.id);
  if (running !== undefined) return running;
  const done = confirmIntent(ctx, intent).finally(() => confirming.delete(intent.id));
  confirming.set(intent.id, done);
  return done;
}

/**
 * How confirming an intent went: `confirmed` (it is a record now), `settled` (no intent any more:
 * its writer recorded or withdrew it first), `failed` (the journal could not say: an `error` event).
 */
type Confirmation = 'confirmed' | 'settled' | 'failed';

async function confirmIntent(ctx: MultiContext, intent: JournalEntry): Promise<Confirmation> {
  const journal = ctx.journal;
  if (journal.settleIntent === undefined) return 'failed';
  try {
    void ctx.deferredRecords.flush(); // records the store made earlier go first
    if (!(await journal.settleIntent(intent.id, 'confirm'))) return 'settled';
    const { intent: _intent, ...confirmed } = intent;
    ctx.pending.append(confirmed);
    ctx.repairSoon();
    return 'confirmed';
  } catch (err) {
    if (ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error: err });
    return 'failed';
  }
}

/** Intents reads of this process are confirming now, by id (unique per write, across stores). */
const confirming = new Map<string, Promise<Confirmation>>();

/**
 * Whether `entry` is a delete intent of another instance of a fleet (on a shared journal that can
 * settle intents): one a read must confirm before it answers "not found" ({@link stickDelete}).
 */
export function foreignDeleteIntent(ctx: MultiContext, key: string, entry: JournalEntry): boolean {
  const journal = ctx.journal;
  return (
    entry.op === 'delete' &&
    entry.intent === true &&
    ctx.inflight.get(key) !== entry.version &&
    journal.pendingOf !== undefined &&
    journal.settleIntent !== undefined
  );
}

/**
 * A read (or a listing) is about to answer "not found" because of a pending delete: whether it
 * may (`stick`). A recorded delete: yes. The intent of a delete still in flight in this process,
 * or left by an earlier process on a journal of this process only: yes, and the delete must then
 * stick (`observedDeletes`: its writer does not withdraw it, repair completes it). With a journal
 * shared by a fleet, another instance's delete intent (still writing, failed, or dead) is first
 * confirmed in the journal, atomically against its writer's withdrawal
 * ({@link Journal.settleIntent}), so the delete takes effect everywhere and no read of any
 * instance finds the object again: yes once confirmed. When it was no intent any more by then
 * (its writer recorded it, or withdrew it: it reached no cloud): `again`, the caller looks again.
 * When the journal cannot say (Redis away): `ignore`, the caller reads as if the intent were not
 * there (answering "not found" by it could be undone by its writer's withdrawal). This process's
 * own intent that its index no longer holds (withdrawn after a shared answer named it): `again`.
 */
export async function stickDelete(
  ctx: MultiContext,
  key: string,
  entry: JournalEntry,
): Promise<'stick' | 'again' | 'ignore'> {
  if (entry.intent !== true) return 'stick';
  if (!foreignDeleteIntent(ctx, key, entry)) return stickOwnDelete(ctx, entry);
  const confirmed = await confirmObserved(ctx, entry);
  return confirmed === 'confirmed' ? 'stick' : confirmed === 'settled' ? 'again' : 'ignore';
}

/**
 * This process's own delete intent (in flight here, or left by an earlier process on a journal of
 * this process only) is about to make a read or listing answer "not found": `stick`, and it is
 * recorded as observed (`observedDeletes`: its writer does not withdraw it, repair completes it).
 * But a shared journal's answer, taken while the delete was in flight, may name an intent the
 * delete has withdrawn since (it reached no target; the write is still in flight until the
 * withdrawal returns): the index, which the withdrawal left in the same tick as its check of
 * `observedDeletes`, says whether it is still there. Gone: `again`, look again. Synchronous, so
 * the check and the record cannot be split by the withdrawal.
 */
export function stickOwnDelete(ctx: MultiContext, entry: JournalEntry): 'stick' | 'again' {
  if (ctx.pending.item(entry.id) === undefined) return 'again';
  ctx.observedDeletes.add(entry.id);
  return 'stick';
}

function maxVersion(a: string | undefined, b: string | undefined): string | undefined {
  return compareVersions(a, b) >= 0 ? a : b;
}

/** What the journal says of a key: its newest pending entry, and its newest acknowledged one. */
interface PendingView {
  readonly latest: PendingItem | undefined;
  readonly acknowledged: PendingItem | undefined;
  /** The newest that may have taken effect (see {@link newestOf}). */
  readonly effective: PendingItem | undefined;
  /** Every pending entry of the key the view was made of. */
  readonly items: readonly PendingItem[];
}

function viewOf(items: readonly PendingItem[]): PendingView {
  return { ...newestOf(items), items };
}

function localView(ctx: MultiContext, key: string): PendingView {
  return viewOf(ctx.pending.entriesOf(key));
}

/** One round of a read over `targets` with the floor `min` (the router's detailed result). */
type Round<R> = (
  targets: readonly string[],
  min: string | undefined,
  signal: AbortSignal | undefined,
) => Promise<{ value: Outcome<R>; target: StoreTarget; failures: readonly TargetFailure[] }>;

/** What a read learned from a shared journal, and the first round it started beside the lookup. */
interface SharedRead<R> {
  readonly view: PendingView;
  /** The first round, when it is the one the read would start now (the journal had nothing pending). */
  readonly first?: ReturnType<Round<R>> | undefined;
  /** The first round's answer, when it already holds the newest version the journal knows of. */
  readonly accepted?: { value: R; target: StoreTarget } | undefined;
}

/**
 * With a journal shared by a fleet, the lookup and the first round of the read run side by side
 * (when this process has nothing pending for the key, so the round's targets and floor do not
 * depend on the journal): nothing reaches the caller before the journal has answered (or its
 * {@link SHARED_LOOKUP_MS} cap has passed).
 *
 * - The journal has nothing pending for the key: the round is the read's first round, as if it
 *   had started after the lookup.
 * - The journal names a pending put no newer than the version the round already found (and the
 *   read's floor allows it): that answer is the read's.
 * - Otherwise (a newer pending version, a pending delete, the round not done or not found): the
 *   round is abandoned, a body it opened is released, and the read starts over with the view.
 */
async function sharedRead<R>(
  ctx: MultiContext,
  key: string,
  round: Round<R>,
  signal: AbortSignal | undefined,
  release: (value: R) => void,
): Promise<SharedRead<R>> {
  if (ctx.journal.mayHavePending?.(key) === false || localView(ctx, key).latest !== undefined) {
    return { view: await sharedView(ctx, key) };
  }
  // The first round's targets and floor with nothing pending (see routedRead / observedFloor).
  const floor = ctx.inflight.has(key) ? ctx.observed.get(key) : undefined;
  const stop = new AbortController();
  let done: Awaited<ReturnType<Round<R>>> | undefined;
  const first = round(readOrder(ctx, undefined), floor, combine(stop.signal, signal)).then((res) => {
    done = res;
    return res;
  });
  // Awaited later, or abandoned: never an unhandled rejection.
  first.catch(() => {});
  const view = await sharedView(ctx, key);
  const latest = view.latest;
  if (latest === undefined) return { view, first };
  const found = done?.value;
  if (found?.type === 'found' && done !== undefined && latest.entry.op === 'put') {
    const min = maxVersion(
      latest.entry.version,
      maxVersion(view.acknowledged?.entry.version, observedFloor(ctx, key, view)),
    );
    if (found.version !== undefined && compareVersions(found.version, min) >= 0) {
      observe(ctx, key, view, found.version);
      await recordObserved(ctx, key, found, done.target.name, latest);
      return { view, accepted: { value: found.value, target: done.target } };
    }
  }
  // A newer version may be pending: this round's answer is not the read's.
  stop.abort();
  first.then(
    (res) => {
      if (res.value.type === 'found') release(res.value.value);
    },
    () => {},
  );
  return { view };
}

/**
 * With a journal shared by a fleet: the key's pending entries as every instance wrote them, so no
 * instance reads a version older than one any instance acknowledged. Keys the journal says have
 * nothing pending cost nothing; a journal that does not answer in time (Redis down or slow) leaves
 * the read with this process's own view.
 */
async function sharedView(ctx: MultiContext, key: string): Promise<PendingView> {
  const journal = ctx.journal;
  const local = ctx.pending.entriesOf(key);
  if (local.length === 0 && journal.mayHavePending?.(key) === false) return localView(ctx, key);
  // Pending here before the lookup is sent: each was appended to the journal before (the index
  // follows a durable append), so the journal's answer names it unless it was settled since.
  const before = new Set(local.map((i) => i.entry.id));
  try {
    const entries = await within(journal.pendingOf!(key), SHARED_LOOKUP_MS);
    if (entries === undefined) return localView(ctx, key);
    const state = new JournalState();
    // Entries settled by another instance (its repair, or a newer write that superseded them) are
    // forgotten: this process's index no longer holds the key back (its reads would answer
    // `unavailable`). `pendingOf` rejects rather than answer partly: its answer is whole.
    overlayShared(ctx.pending, entries, [key], before, true, state);
    // Another instance's streamed write: its copies not yet stamped verify against its hash.
    for (const e of entries) rememberSha256(ctx, e);
    return viewOf(state.entriesOf(key));
  } catch {
    return localView(ctx, key);
  }
}

/**
 * The order to ask the targets in: the holders of the newest pending write first; targets on hold
 * (silent while the others answer, see `UnresponsiveWatch.held`) after the others; targets that
 * lost their data (not yet restored) last.
 */
function readOrder(ctx: MultiContext, latest: PendingItem | undefined): readonly string[] {
  let order: readonly string[] = ctx.targets.map((t) => t.name);
  if (latest !== undefined) {
    const holders = order.filter((n) => latest.holders.includes(n));
    order = [...holders, ...order.filter((n) => !latest.holders.includes(n))];
    // Copies a read or a repair found damaged, until repaired: asked last (they may be the only
    // copies of a degraded write, so never skipped).
    const damaged = damagedCopies(ctx, latest.entry.key);
    if (damaged.size > 0) order = lastOf(order, (n) => damaged.has(n));
  }
  order = ctx.unresponsive.heldLast(order);
  if (ctx.epochs.enabled) order = lastOf(order, (n) => ctx.epochs.isAmnesiac(n));
  return order;
}

/** `get` over the targets: verified whole-object reads, streamed reads verified as they end. */
export async function getObject(
  ctx: MultiContext,
  key: string,
  options: GetOptions & MultiCloudCallOptions,
): Promise<{ info: MultiCloudBlobInfo; body: Readable } | null> {
  const { range, signal } = checkCallOptions(options, { key, target: ctx.name });
  const attemptTimeoutMs = attemptTimeoutOf(options);
  validateRange(range, key);
  const attempt: Attempt<{ info: MultiCloudBlobInfo; body: Readable }> = async (
    t,
    attemptSignal,
    minVersion,
  ) => {
    const sent = markerClock();
    let result: Awaited<ReturnType<typeof t.store.get>>;
    try {
      result = await ctx.unresponsive.track(t.name, () =>
        t.store.get(key, { ...(range === undefined ? {} : { range }), signal: attemptSignal }),
      );
    } catch (err) {
      if (classifyFailure(err) === 'not_found') return absent(ctx, t.name, minVersion, sent, attemptSignal);
      // Its store's own checksum (GCS's MD5) rejected the copy: damaged, as if ours had.
      const damaged = corruptCopyOf(ctx, err, key, t.name);
      if (damaged === undefined) throw err;
      if (minVersion !== undefined && compareVersions(damaged.error.version, minVersion) < 0) return STALE;
      reportCorruptCopy(ctx, damaged.error, damaged.sha256);
      return { type: 'corrupt', error: damaged.error };
    }
    const { info, body } = result;
    if (attemptSignal?.aborted) {
      // The router gave up on this attempt (its time limit): nobody will read this body. Left
      // open, a later failure of it (a stalled download) would be an unhandled 'error' event.
      body.destroy();
      throw attemptSignal.reason;
    }
    const version = versionOf(info);
    ctx.clock.observe(version);
    if (minVersion !== undefined && compareVersions(version, minVersion) < 0) {
      body.destroy();
      return STALE;
    }
    // A copy written from a stream and not yet stamped is checked against the journal's hash, or
    // against a stamped copy of the same version on another target.
    const expected =
      knownSha256(ctx, key, info) ??
      (range === undefined ? await unstampedSha256(ctx, key, info, t.name, attemptSignal) : undefined);
    const shown = present(info, t.name);
    if (range !== undefined || expected === undefined) {
      return {
        type: 'found',
        version,
        sha256: expected,
        size: info.size,
        value: { info: shown, body: guard(body, attemptSignal, signal) },
      };
    }
    if (info.size <= ctx.options.readBufferBytes) {
      // Small enough to check before answering: a bad copy moves the read on.
      let bytes: Buffer;
      try {
        bytes = await readForOwnCheck(body, attemptSignal);
      } catch (err) {
        body.destroy();
        throw err;
      }
      // Short: cut (an adapter that missed it), not corrupt; the read moves on and it counts.
      if (bytes.length !== info.size) throw shortBody(key, t.name);
      const actual = sha256Hex(bytes);
      if (actual !== expected) {
        const error = new IntegrityError(key, t.name, expected, actual, version);
        reportCorruptCopy(ctx, error, expected);
        return { type: 'corrupt', error };
      }
      return {
        type: 'found',
        version,
        sha256: expected,
        size: info.size,
        value: { info: shown, body: guard(streamOfBytes(bytes), undefined, signal) },
      };
    }
    // Its end comes after this attempt's: reported to the target's breaker (download.ts). A
    // stamped version is gone on with from another target if its source is cut (resume.ts).
    const download =
      version === undefined
        ? { stream: endingAtContentMismatch(body), ...watchDownload(ctx, t.name, body), joined: () => false }
        : resumingBody(ctx, {
            key,
            version,
            size: info.size,
            sha256: expected,
            target: t.name,
            body,
            signal,
            order: () => readOrder(ctx, undefined),
          });
    // A body held while the read records what it found (or dropped by its caller) may fail unheard.
    const verifier = toleratingUnheardErrors(
      verifyingStream({
        key,
        target: t.name,
        expected,
        version,
        size: info.size,
        // Bytes joined from two targets that do not match: which copy is bad is unknown, so the
        // mismatch is reported (the event, the count) but no copy is queued for repair.
        onMismatch: (error) => reportCorruptCopy(ctx, error, expected, !download.joined()),
        onEnd: download.ended,
        onDestroy: download.stopped,
      }),
    );
    pipeline(download.stream, verifier, () => {
      // Errors reach the reader through `verifier`.
    });
    return {
      type: 'found',
      version,
      sha256: expected,
      size: info.size,
      value: { info: shown, body: guard(verifier, attemptSignal, signal) },
    };
  };
  const res = await routedRead(
    ctx,
    key,
    attempt,
    { signal, attemptTimeoutMs, operation: OPERATION.get },
    (v) => v.body.destroy(),
  );
  return res === null ? null : res.value;
}

/** `head` over the targets. */
export async function headObject(
  ctx: MultiContext,
  key: string,
  options: OperationOptions & MultiCloudCallOptions,
): Promise<MultiCloudBlobInfo | null> {
  checkCallOptions(options, { key, target: ctx.name });
  const attemptTimeoutMs = attemptTimeoutOf(options);
  const attempt: Attempt<BlobInfo> = async (t, attemptSignal, minVersion) => {
    const sent = markerClock();
    const info = await ctx.unresponsive.track(t.name, () => t.store.head(key, { signal: attemptSignal }));
    if (info === null) return absent(ctx, t.name, minVersion, sent, attemptSignal);
    const version = versionOf(info);
    ctx.clock.observe(version);
    if (minVersion !== undefined && compareVersions(version, minVersion) < 0) return STALE;
    return { type: 'found', version, sha256: sha256Of(info), size: info.size, value: info };
  };
  const res = await routedRead(ctx, key, attempt, {
    signal: options.signal,
    attemptTimeoutMs,
    operation: OPERATION.head,
  });
  return res === null ? null : present(res.value, res.target.name);
}

/**
 * What "not found" from a target means. With an acknowledged put pending (`minVersion` set) the
 * target merely lacks that version: it is stale, not missing, and the read must not answer "not
 * found" while the targets that hold it are down. From a target that lost its data (its epoch
 * marker is gone; checked at most every `amnesia.recheckMs`), it is not final either.
 */
function absent(
  ctx: MultiContext,
  target: string,
  minVersion: string | undefined,
  sent: number,
  attemptSignal: AbortSignal | undefined,
): Outcome<never> | Promise<Outcome<never>> {
  if (minVersion !== undefined) return STALE;
  // The marker read, if one is needed, is part of this attempt on the target.
  const trusted = ctx.epochs.trusted(ctx, target, sent, { signal: attemptSignal });
  if (trusted === true) return MISSING;
  if (trusted === false) return UNSURE;
  return trusted.then((ok) => (ok ? MISSING : UNSURE));
}

/** The body, also aborted by the caller's signal when the attempt had a signal of its own. */
function guard(
  body: Readable,
  attemptSignal: AbortSignal | undefined,
  signal: AbortSignal | undefined,
): Readable {
  return signal === undefined || attemptSignal === signal ? body : abortableStream(body, signal);
}
