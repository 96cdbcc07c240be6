import type { TargetFailure } from '@failover/core';
import type { JournalEntry } from '../journal/types.js';
import type { BlobInfo } from '../types.js';
import { appendEntry } from './appended.js';
import { type MultiContext, runOn } from './context.js';
import { putIntentEntry } from './journaling.js';
import type { PendingItem } from './pending.js';
import { sha256Of, versionOf } from './reserved.js';
import { compareVersions } from './version.js';

/** What a provisional record needs to know of its put. */
export interface ProvisionalSpec {
  readonly op: 'put' | 'delete';
  readonly key: string;
  readonly version: string;
  readonly sha256?: string | undefined;
  readonly size?: number | undefined;
  readonly unstamped?: boolean | undefined;
}

/**
 * The journal record of a `'primary'` put, made *beside* its upload rather than after it: the put
 * then waits for the later of the upload and the record's fsync, not for their sum.
 *
 * The record (`intent` and `provisional`) names the target the upload goes to as its holder, the
 * others as missing. Nothing is acknowledged before both are there: the upload answered and the
 * record is durable. Then the acknowledged entry (same id, no flags) replaces it in the store's
 * index at once and in the journal with its next append ({@link DeferredRecords}); until then the
 * provisional record plus the copy on its holder are the durable record of the write, and after
 * a crash readers and repair treat them so (see `floorFor` and `confirmProvisional`).
 *
 * Only the plain case takes this path: the first attempt of the put went to one target and that
 * target took it, with no other attempt (retry, failover, hedge) and no request of the key still
 * in the air. Anything else is journaled after the upload as before (the same id replaces the
 * provisional record), or the record is withdrawn when the put reached no target.
 */
export class ProvisionalPut {
  readonly #ctx: MultiContext;
  readonly #spec: ProvisionalSpec;
  readonly #names: readonly string[];
  #entry: JournalEntry | undefined;
  #durable: Promise<boolean> | undefined;
  /** Set when the put made more than one attempt: the record may name the wrong target. */
  #more = false;

  constructor(ctx: MultiContext, spec: ProvisionalSpec) {
    this.#ctx = ctx;
    this.#spec = spec;
    this.#names = ctx.targets.map((t) => t.name);
  }

  /**
   * Whether a put may take this path: a put of a spooled body (a streamed one carries no SHA-256
   * yet) over several targets, with no request of the key that may still land on any of them.
   */
  static fits(ctx: MultiContext, spec: ProvisionalSpec): boolean {
    if (spec.op !== 'put' || spec.unstamped === true || spec.sha256 === undefined) return false;
    if (ctx.targets.length < 2) return false;
    return ctx.targets.every((t) => ctx.uncertain.until(spec.key, t.name) === undefined);
  }

  /** An attempt of the put starts on `target` (call it before the attempt sends anything). */
  sending(target: string): void {
    if (this.#durable !== undefined || this.#more) {
      this.#more = true;
      return;
    }
    const ctx = this.#ctx;
    const spec = this.#spec;
    const entry: JournalEntry = {
      ...putIntentEntry(
        ctx,
        spec,
        [target],
        this.#names.filter((n) => n !== target),
      ),
      provisional: true,
    };
    this.#entry = entry;
    void ctx.deferredRecords.flush(); // records the store made earlier go first
    this.#durable = appendEntry(ctx, entry).then(
      () => {
        // Unless something newer of this write got there first (a read that observed it).
        if (ctx.pending.item(entry.id) === undefined) ctx.pending.append(entry);
        return true;
      },
      () => false,
    );
  }

  /** Waits until the record is durable or failed (no-op when none was made). */
  async settled(): Promise<void> {
    await this.#durable;
  }

  /**
   * The put was taken by `holder`: when that is the record's holder, at the first and only
   * attempt, and the record is durable, the write is acknowledged now: the acknowledged entry
   * replaces the record in the index at once and in the journal soon. Returns false when the
   * write must be journaled the usual way (the record, if any, is settled by then).
   */
  async acknowledge(holder: string, failures: readonly TargetFailure[]): Promise<boolean> {
    const durable = await this.#durable;
    const entry = this.#entry;
    if (durable !== true || entry === undefined || this.#more || failures.length > 0) return false;
    if (entry.holders[0] !== holder) return false;
    const ctx = this.#ctx;
    const acknowledged: JournalEntry = {
      id: entry.id,
      op: 'put',
      key: entry.key,
      version: entry.version,
      sha256: entry.sha256!,
      ...(entry.size === undefined ? {} : { size: entry.size }),
      holders: entry.holders,
      missing: entry.missing,
      at: Date.now(),
    };
    ctx.pending.append(acknowledged);
    ctx.deferredRecords.append(acknowledged);
    ctx.counts.journaled++;
    if (ctx.events.has('journaled')) {
      ctx.events.emit('journaled', {
        key: acknowledged.key,
        op: 'put',
        version: acknowledged.version,
        holders: acknowledged.holders,
        missing: acknowledged.missing,
      });
    }
    ctx.repairSoon();
    return true;
  }

  /**
   * The put failed and reached no target (nor may it still): the record is withdrawn, so that
   * reads do not wait for its version and repair has nothing to settle. A record a read replaced
   * (it observed the version) stays.
   */
  async withdraw(): Promise<void> {
    const durable = await this.#durable;
    const entry = this.#entry;
    if (durable !== true || entry === undefined) return;
    const ctx = this.#ctx;
    const item = ctx.pending.item(entry.id);
    if (item === undefined || item.entry.provisional !== true) return;
    const targets = [...item.missing];
    ctx.pending.forget(entry.id);
    try {
      void ctx.deferredRecords.flush();
      for (const t of targets) await ctx.journal.resolve(entry.id, t);
    } catch (err) {
      // Left in the journal: repair drops it once `notBefore` has passed (its version is nowhere).
      if (ctx.events.has('error')) ctx.events.emit('error', { during: 'journal', error: err });
    }
  }
}

/**
 * The floor a read applies on `target` for a key whose newest pending entry is `latest`: a
 * provisional put that is not this process's own write in flight may have been acknowledged (its
 * writer answered, then died before its acknowledged entry was durable), so no target but its
 * holder may serve an older copy; the holder's own answer says whether the put landed.
 */
export function floorFor(
  ctx: MultiContext,
  key: string,
  latest: PendingItem | undefined,
  target: string,
  floor: string | undefined,
): string | undefined {
  if (latest === undefined || latest.entry.provisional !== true || latest.entry.op !== 'put') return floor;
  if (ctx.inflight.get(key) === latest.entry.version) return floor; // this process's write, not acknowledged
  if (latest.entry.holders.includes(target)) return floor;
  const version = latest.entry.version;
  return compareVersions(version, floor) > 0 ? version : floor;
}

/** True when a provisional put of the entry's key newer than it is pending (not yet confirmed). */
export function provisionalNewer(ctx: MultiContext, entry: JournalEntry): boolean {
  return ctx.pending
    .entriesOf(entry.key)
    .some(
      (i) =>
        i.entry.provisional === true &&
        i.entry.op === 'put' &&
        i.entry.id !== entry.id &&
        compareVersions(i.entry.version, entry.version) > 0,
    );
}

/**
 * Repair's first step for a provisional put (one this process did not acknowledge: its writer
 * died, or another instance of a fleet wrote it): when its holder has the version, the put
 * happened and may have been acknowledged. Its acknowledged entry then replaces the provisional
 * one, superseding the key's older entries, and repair copies it as any other. Returns that entry,
 * or `undefined` when the holder lacks the version or could not be asked (repair then treats it as
 * an intent: copied from wherever it is, dropped once `notBefore` has passed and it is nowhere).
 */
export async function confirmProvisional(
  ctx: MultiContext,
  id: string,
  signal: AbortSignal | undefined,
): Promise<JournalEntry | undefined> {
  const item = ctx.pending.item(id);
  if (item === undefined || item.entry.provisional !== true) return undefined;
  const entry = item.entry;
  for (const holder of [...item.holders]) {
    let info: BlobInfo | null;
    try {
      info = await runOn(
        ctx,
        holder,
        (s, sig) => s.head(entry.key, sig === undefined ? {} : { signal: sig }),
        signal,
      );
    } catch {
      continue; // down: another pass asks again
    }
    if (info === null) continue;
    const version = versionOf(info);
    ctx.clock.observe(version);
    if (version !== entry.version || sha256Of(info) !== entry.sha256) continue;
    if (entry.size !== undefined && info.size !== entry.size) continue;
    const live = ctx.pending.item(id);
    if (live === undefined || live.entry.provisional !== true) return undefined;
    const acknowledged: JournalEntry = {
      id,
      op: 'put',
      key: entry.key,
      version: entry.version,
      sha256: entry.sha256!,
      ...(entry.size === undefined ? {} : { size: entry.size }),
      holders: [...live.holders],
      missing: [...live.missing],
      at: entry.at,
    };
    void ctx.deferredRecords.flush(); // records the store made earlier go first
    await appendEntry(ctx, acknowledged);
    ctx.pending.append(acknowledged);
    return acknowledged;
  }
  return undefined;
}
