import type { ReadResult } from './jepsen-protocol.js';

/**
 * The ground-truth model of the Jepsen-style soak and its checker (pure: no I/O).
 *
 * Every call gets a logical time when the parent learns it was invoked and when it completed
 * (the child reports both over one ordered channel), so "A completed before B started" is exact.
 * Writes of one key come from one worker at a time, so they are totally ordered by `seq`.
 */

/** `ok`: completed and acknowledged; `fail`: the call rejected; `crash`: invoked, then the writer was killed. */
export type OpStatus = 'pending' | 'ok' | 'fail' | 'crash';

export type OpKind = 'put' | 'delete' | 'get' | 'list';

/** One call of the soak. */
export interface Op {
  readonly id: number;
  readonly kind: OpKind;
  /** The key (for `list`: the prefix). */
  readonly key: string;
  /** Writes: 1, 2, ... per key, in the order they were made. Reads: 0. */
  readonly seq: number;
  /** Puts: the SHA-256 of the body. */
  readonly sha256?: string | undefined;
  /** Logical time of the invocation (-1: never invoked, it cannot have had any effect). */
  invokedAt: number;
  /** Logical time of the completion (Infinity while pending, and for crashed calls). */
  completedAt: number;
  invokedMs: number;
  completedMs: number;
  status: OpStatus;
  version?: string | undefined;
  read?: ReadResult | undefined;
  keys?: readonly string[] | undefined;
  /** For a listing: the target each listed key came from. */
  listedFrom?: Readonly<Record<string, string>> | undefined;
  errorKind?: string | undefined;
  message?: string | undefined;
  /** For failed calls: whether the failure was justified (see jepsen.ts), and why. */
  justified?: boolean | undefined;
  why?: string | undefined;
  /** Fleet mode: the app instance that made the call. */
  instance?: number | undefined;
  /**
   * Fleet mode: the process (its pid) of that instance: a restarted instance is a new process,
   * which knows what its killed predecessor wrote only through the shared journal.
   */
  process?: number | undefined;
}

/** The history of one soak: every call, indexed by key and by the SHA-256 of each put's body. */
export class History {
  readonly ops: Op[] = [];
  readonly #writes = new Map<string, Op[]>();
  readonly #sha = new Map<string, { key: string; seq: number }>();
  #tick = 0;

  /** The next logical time. */
  tick(): number {
    return ++this.#tick;
  }

  add(op: Op): Op {
    this.ops.push(op);
    if (op.kind === 'put' || op.kind === 'delete') {
      const list = this.#writes.get(op.key) ?? [];
      this.#writes.set(op.key, list);
      list.push(op);
      if (op.sha256 !== undefined) this.#sha.set(op.sha256, { key: op.key, seq: op.seq });
    }
    return op;
  }

  /** The writes of `key`, in `seq` order. */
  writesOf(key: string): readonly Op[] {
    return this.#writes.get(key) ?? [];
  }

  /** The next write sequence number of `key`. */
  nextSeq(key: string): number {
    return this.writesOf(key).length + 1;
  }

  /** Which put wrote these bytes. */
  putOf(sha256: string): { key: string; seq: number } | undefined {
    return this.#sha.get(sha256);
  }

  /** The newest acknowledged write of `key` that completed before logical time `t`. */
  acknowledgedBefore(key: string, t: number): Op | undefined {
    let best: Op | undefined;
    for (const w of this.writesOf(key)) if (w.status === 'ok' && w.completedAt < t) best = w;
    return best;
  }
}

export type ViolationKind = 'lost' | 'corrupt' | 'stale' | 'resurrected';

export interface Violation {
  readonly kind: ViolationKind;
  /** `store` (reads through the multi-cloud store) or a cloud's name (its bucket read directly). */
  readonly where: string;
  readonly key: string;
  readonly detail: string;
}

export type Tally = Record<ViolationKind, number>;

/** A read made after the soak: through the store, or of one cloud's bucket directly. */
export interface FinalRead {
  readonly where: string;
  readonly key: string;
  readonly result: ReadResult | { readonly error: string };
}

export interface CheckReport {
  /**
   * Stale reads during the soak that the guarantee allows (see {@link check}'s `excused`): not
   * violations, counted and shown apart.
   */
  readonly excusedStale: number;
  readonly excusedExamples: readonly Violation[];
  /** Violations by where they were seen. */
  readonly byWhere: Readonly<Record<string, Tally>>;
  readonly total: Tally;
  /** The first violations, for the failure message. */
  readonly examples: readonly Violation[];
  /** Reads checked during the soak (gets and per-key list entries). */
  readonly soakReads: number;
  /** Keys whose clouds hold different writes after repair and reconcile. */
  readonly divergentKeys: readonly string[];
  /** Of `total.stale`, the stale reads made during the soak (through the store). */
  readonly soakStale: number;
  /**
   * Reads that missed an acknowledged put because every copy of it was destroyed (a cloud lost
   * its data while it held the only copy, e.g. a degraded write): justified losses, not
   * violations (the store reports them as `lost`). Only "not found" is justified: an older
   * version served instead would still be a violation.
   */
  readonly justifiedLosses: number;
  /** The first justified losses, for the report. */
  readonly justifiedExamples: readonly Violation[];
  /** The keys of every justified loss (each once). */
  readonly justifiedKeys: readonly string[];
}

const emptyTally = (): Tally => ({ lost: 0, corrupt: 0, stale: 0, resurrected: 0 });

/** What a read returned, in terms of the model. */
type Seen = { type: 'absent' } | { type: 'write'; seq: number } | { type: 'corrupt'; why: string };

function seen(history: History, key: string, r: ReadResult): Seen {
  if (!r.found) return { type: 'absent' };
  const put = r.sha256 === undefined ? undefined : history.putOf(r.sha256);
  if (put === undefined) return { type: 'corrupt', why: `bytes (sha256 ${r.sha256}) match no write` };
  if (put.key !== key) return { type: 'corrupt', why: `bytes of ${put.key} #${put.seq}` };
  return { type: 'write', seq: put.seq };
}

interface Verdict {
  readonly ok: boolean;
  /** The write this read proves happened (the floor later reads must not go below). */
  readonly floor: number;
  /** The write the read may not go below (0: none): the newest acknowledged one, or the floor's. */
  readonly bound?: number;
  readonly kind?: ViolationKind;
  readonly detail?: string;
}

/**
 * Judges one read of `key` invoked at `invokedAt` and completed at `completedAt`, given `floor`
 * (the newest write earlier completed reads observed). Allowed: any write invoked before the read
 * completed that is not older than the newest acknowledged write completed before the read
 * started, nor than `floor`. "Absent" stands for the newest admissible delete (or the initial
 * state, seq 0). `final` reads (after the soak) name the violation precisely.
 */
export function judge(
  history: History,
  key: string,
  result: Seen,
  invokedAt: number,
  completedAt: number,
  floor: number,
  final: boolean,
): Verdict {
  const acked = history.acknowledgedBefore(key, invokedAt);
  const bound = Math.max(acked?.seq ?? 0, floor);
  const writes = history.writesOf(key);
  const possible = (w: Op): boolean => w.invokedAt >= 0 && w.invokedAt < completedAt;
  if (result.type === 'corrupt') return { ok: false, floor, kind: 'corrupt', detail: result.why };
  if (result.type === 'write') {
    const w = writes[result.seq - 1];
    if (w === undefined || w.kind !== 'put' || !possible(w)) {
      return {
        ok: false,
        floor,
        kind: 'corrupt',
        detail: `#${result.seq} was not written before the read ended`,
      };
    }
    if (w.seq >= bound) return { ok: true, floor: w.seq };
  } else {
    const candidates = [0, ...writes.filter((w) => w.kind === 'delete' && possible(w)).map((w) => w.seq)];
    const admissible = candidates.filter((s) => s >= bound);
    if (admissible.length > 0) return { ok: true, floor: Math.min(...admissible) };
  }
  const got = result.type === 'write' ? `#${result.seq}` : 'nothing';
  const want = acked === undefined ? 'none' : `${acked.kind} #${acked.seq} (op ${acked.id})`;
  const seenOp = floor > 0 ? writes[floor - 1] : undefined;
  const observed =
    seenOp === undefined
      ? ''
      : `; an earlier read saw #${floor} (${seenOp.kind} op ${seenOp.id}, ${seenOp.status}${seenOp.errorKind ? ` ${seenOp.errorKind}` : ''}${seenOp.completedAt < invokedAt ? '' : ', not completed when this read began'})`;
  const detail = `read ${got}; newest acknowledged before the read: ${want}${observed}`;
  if (!final || acked === undefined) return { ok: false, floor, bound, kind: 'stale', detail };
  // Below the floor only (not below the newest acknowledged write): it went backwards, stale.
  const belowAcked =
    result.type === 'write'
      ? result.seq < acked.seq
      : !writes.some((w) => w.kind === 'delete' && possible(w) && w.seq >= acked.seq);
  if (!belowAcked) return { ok: false, floor, bound, kind: 'stale', detail };
  // An older value is back (resurrected); or the newest acknowledged put is unreadable (lost).
  if (result.type === 'write') return { ok: false, floor, bound, kind: 'resurrected', detail };
  return { ok: false, floor, bound, kind: acked.kind === 'put' ? 'lost' : 'stale', detail };
}

/**
 * Checks the whole history: every read during the soak (gets, and each key of every listing),
 * then the final reads through the store and of each cloud directly.
 */
export function check(
  history: History,
  keys: readonly string[],
  finals: readonly FinalRead[],
  endTick: number,
  destroyedAt: (write: Op) => number | undefined = () => undefined,
  excused: (read: Op, missed: Op, floorRead: Op | undefined) => boolean = () => false,
): CheckReport {
  const byWhere: Record<string, Tally> = {};
  const examples: Violation[] = [];
  const total = emptyTally();
  let soakStale = 0;
  let justifiedLosses = 0;
  const justifiedExamples: Violation[] = [];
  const justifiedKeys = new Set<string>();
  /** A read that found nothing after every copy of the write it may not go below was destroyed. */
  const destroyed = (key: string, v: Verdict, result: Seen, completedMs: number): boolean => {
    if (result.type !== 'absent' || v.bound === undefined || v.bound === 0) return false;
    const w = history.writesOf(key)[v.bound - 1];
    const at = w === undefined || w.kind !== 'put' ? undefined : destroyedAt(w);
    return at !== undefined && at < completedMs;
  };
  let excusedStale = 0;
  const excusedExamples: Violation[] = [];
  /** A stale read of the soak the guarantee allows: the write it missed, as `excused` judges. */
  const allowed = (key: string, v: Verdict, read: Op, floorRead?: Op): boolean => {
    if (v.kind !== 'stale' || v.bound === undefined || v.bound === 0) return false;
    const missed = history.writesOf(key)[v.bound - 1];
    return missed !== undefined && excused(read, missed, floorRead);
  };
  const excuse = (v: Violation): void => {
    excusedStale++;
    if (excusedExamples.length < 10) excusedExamples.push(v);
  };
  const report = (v: Violation, justified = false): void => {
    if (justified) {
      justifiedLosses++;
      justifiedKeys.add(v.key);
      if (justifiedExamples.length < 10) justifiedExamples.push(v);
      return;
    }
    byWhere[v.where] ??= emptyTally();
    byWhere[v.where]![v.kind]++;
    total[v.kind]++;
    if (examples.length < 20) examples.push(v);
    if (v.kind === 'stale' && !v.detail.startsWith('final read')) soakStale++;
  };
  byWhere.store = emptyTally();
  let soakReads = 0;
  const floors = new Map<string, number>();
  for (const key of keys) {
    // Gets in completion order, so each read's floor comes from reads completed before it began.
    const reads = history.ops
      .filter((o) => o.kind === 'get' && o.key === key && o.status === 'ok' && o.read !== undefined)
      .sort((a, b) => a.completedAt - b.completedAt);
    const doneAt: number[] = [];
    const maxFloor: number[] = [];
    /** The read that set each `maxFloor` (the first to prove that write). */
    const floorBy: (Op | undefined)[] = [];
    for (const r of reads) {
      soakReads++;
      const at = floorIndex(doneAt, r.invokedAt);
      const floor = at < 0 ? 0 : maxFloor[at]!;
      const s = seen(history, key, r.read!);
      let v = judge(history, key, s, r.invokedAt, r.completedAt, floor, false);
      if (
        v.ok &&
        staleReadingAllowed(history, key, s, r, v.floor, (acked) => excused(r, acked, floorBy[at]))
      ) {
        // "Not found" made fresh only by a write never acknowledged, while the read may miss the
        // acknowledged put before it (`excused`: another instance's, Redis away) and the key was
        // absent before that put: the allowed stale reading. It proves nothing of the unacknowledged
        // write (seen in a loaded fleet soak: an instance read right after Redis came back, before
        // it knew the other's put, and its failed delete, which reached no cloud, became the floor
        // of every later read).
        excuse({
          kind: 'stale',
          where: 'store',
          key,
          detail: `get op ${r.id}: read nothing; the newest write it could see is not acknowledged, and it may miss the put before (Redis away)`,
        });
        v = { ok: true, floor };
      }
      if (!v.ok) {
        const violation = { kind: v.kind!, where: 'store', key, detail: `get op ${r.id}: ${v.detail}` };
        if (allowed(key, v, r, at < 0 ? undefined : floorBy[at])) excuse(violation);
        else report(violation, destroyed(key, v, s, r.completedMs));
      }
      const before = maxFloor[maxFloor.length - 1] ?? 0;
      doneAt.push(r.completedAt);
      maxFloor.push(Math.max(before, v.floor));
      floorBy.push(v.floor > before ? r : floorBy[floorBy.length - 1]);
    }
    floors.set(key, maxFloor[maxFloor.length - 1] ?? 0);
  }
  // Listings: each key's presence is a read of it (no floor: a listing is not a snapshot).
  for (const l of history.ops) {
    if (l.kind !== 'list' || l.status !== 'ok' || l.keys === undefined) continue;
    const present = new Set(l.keys);
    for (const key of keys) {
      if (!key.startsWith(l.key)) continue;
      soakReads++;
      const result: Seen = present.has(key) ? newestPutSeen(history, key, l.completedAt) : { type: 'absent' };
      const v = judge(history, key, result, l.invokedAt, l.completedAt, 0, false);
      if (!v.ok) {
        const violation = { kind: v.kind!, where: 'store', key, detail: `list op ${l.id}: ${v.detail}` };
        if (allowed(key, v, l)) excuse(violation);
        else report(violation, destroyed(key, v, result, l.completedMs));
      }
    }
  }
  const byKeyCloud = new Map<string, Set<string>>();
  for (const f of finals) {
    byWhere[f.where] ??= emptyTally();
    if ('error' in f.result) {
      const acked = history.acknowledgedBefore(f.key, endTick);
      if (acked?.kind === 'put') {
        report({
          kind: 'lost',
          where: f.where,
          key: f.key,
          detail: `unreadable after repair: ${f.result.error}`,
        });
      }
      continue;
    }
    const s = seen(history, f.key, f.result);
    const v = judge(history, f.key, s, endTick, endTick, floors.get(f.key) ?? 0, true);
    if (!v.ok) {
      report(
        { kind: v.kind!, where: f.where, key: f.key, detail: `final read: ${v.detail}` },
        destroyed(f.key, v, s, Number.POSITIVE_INFINITY),
      );
    }
    if (f.where !== 'store') {
      const set = byKeyCloud.get(f.key) ?? new Set<string>();
      byKeyCloud.set(f.key, set);
      set.add(s.type === 'write' ? `#${s.seq}` : s.type);
    }
  }
  const divergentKeys = [...byKeyCloud].filter(([, s]) => s.size > 1).map(([k]) => k);
  return {
    excusedStale,
    excusedExamples,
    byWhere,
    total,
    examples,
    soakReads,
    divergentKeys,
    soakStale,
    justifiedLosses,
    justifiedExamples,
    justifiedKeys: [...justifiedKeys],
  };
}

/**
 * Whether a read that `judge` found fresh at `floor` only thanks to a write never acknowledged
 * (failed, or cut by a crash) may rather be the stale reading the guarantee allows: it found
 * nothing, the newest put acknowledged before it began is one it may miss (`mayMiss`), and the key
 * was absent before that put (its newest acknowledged write before was a delete, or none).
 */
function staleReadingAllowed(
  history: History,
  key: string,
  result: Seen,
  read: Op,
  floor: number,
  mayMiss: (acked: Op) => boolean,
): boolean {
  if (result.type !== 'absent') return false;
  const writes = history.writesOf(key);
  const proven = writes[floor - 1];
  const acked = history.acknowledgedBefore(key, read.invokedAt);
  if (proven === undefined || proven.status === 'ok' || acked?.kind !== 'put' || floor <= acked.seq)
    return false;
  const before = writes.filter((w) => w.seq < acked.seq && w.status === 'ok').at(-1);
  return (before === undefined || before.kind === 'delete') && mayMiss(acked);
}

/**
 * The index (in completion order) of the last read completed before logical time `t`, -1 for none
 * (binary search): its `maxFloor` is the highest floor among reads completed before `t`.
 */
function floorIndex(doneAt: readonly number[], t: number): number {
  let lo = 0;
  let hi = doneAt.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (doneAt[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * A listing that shows a key says "some put of it is in effect" without naming which: judged as
 * the newest put invoked before the listing ended (the most favourable reading).
 */
function newestPutSeen(history: History, key: string, completedAt: number): Seen {
  let seq = 0;
  for (const w of history.writesOf(key)) {
    if (w.kind === 'put' && w.invokedAt >= 0 && w.invokedAt < completedAt) seq = w.seq;
  }
  return seq === 0 ? { type: 'corrupt', why: 'listed, but no put of it was made' } : { type: 'write', seq };
}
