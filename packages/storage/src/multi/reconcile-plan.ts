import type { JournalEntry } from '../journal/types.js';
import { isPlainPutIntent } from './intents.js';
import { compareVersions, replacedByAnotherWriter } from './version.js';

/** One target's copy of a key, as reconcile found it. */
export interface KeyCopy {
  readonly target: string;
  readonly version: string | undefined;
  readonly sha256: string | undefined;
}

/** A copy left alone although it differs (reported as a conflict). */
export interface PlannedConflict {
  readonly target: string;
  /** The version that was not applied there. */
  readonly version: string | undefined;
  /** What the target holds. */
  readonly found: string | undefined;
}

/** What reconcile does with one key. */
export type KeyAction =
  /** Every compared target agrees. */
  | { readonly type: 'none' }
  /** Nothing can be decided now (the version to keep may be on a target that was not compared). */
  | { readonly type: 'skip'; readonly reason: string }
  /** Copy `version` from `from` to `targets`. */
  | {
      readonly type: 'copy';
      readonly version: string | undefined;
      readonly from: string;
      readonly targets: readonly string[];
    }
  /**
   * Delete the copies on `targets` (all older than `version`): a journaled delete, or (`lost`) an
   * acknowledged version that is on no target any more, settled as a delete at that version.
   */
  | {
      readonly type: 'delete';
      readonly version: string;
      readonly targets: readonly string[];
      readonly lost: boolean;
    };

/** The plan for one key. */
export interface KeyPlan {
  readonly action: KeyAction;
  /** Conflicts to report (concurrent writers: same version with other bytes, a delete older than a copy). */
  readonly conflicts: readonly PlannedConflict[];
  /**
   * Once the action is done, pending entries of the key up to this version are satisfied on the
   * compared targets (`undefined`: none).
   */
  readonly settle: string | undefined;
}

/**
 * Decides what reconcile does with one key (pure; table-tested). `copies` are the compared
 * targets' copies in order of preference, `compared` every target compared (in order), `entries`
 * the key's pending journal entries, `allCompared` whether every target of the store was compared.
 *
 * Rules:
 * - The newest acknowledged journal entry is a floor: no target ever gets an older version of the
 *   same writer. A journaled delete newer than every copy is applied. An acknowledged put newer
 *   than every copy is on no target: lost when every target was compared (settled as a delete at
 *   that version, never as the older copy), otherwise left for later (the skipped target may hold
 *   it). When the newest copy is another writer's (a concurrent writer whose older-stamped write
 *   landed last), found on a target that held the put, it is a conflict instead: that copy wins.
 *   Found only on targets the put never reached, it is the version the put replaced: lost.
 * - A delete intent newer than every copy is completed (it may have reached some targets), also
 *   when a newer put's intent follows it (that put reached no target, or no copy shows it).
 * - Otherwise the newest copy wins and is copied to targets that lack it or hold an older one; the
 *   same version with other bytes is a conflict, settled for the highest-priority copy.
 */
export function planKey(
  copies: readonly KeyCopy[],
  compared: readonly string[],
  entries: readonly JournalEntry[],
  allCompared: boolean,
): KeyPlan {
  let winner: KeyCopy | undefined;
  for (const c of copies)
    if (winner === undefined || compareVersions(c.version, winner.version) > 0) winner = c;
  const floor = newest(entries.filter((e) => e.intent !== true));
  // A put's plain intent (unobserved, in flight or failed) does not hide an older delete's intent.
  const newestEntry = newest(entries.filter((e) => !isPlainPutIntent(e)));
  const holding = copies.map((c) => c.target);

  const beyond = (e: JournalEntry | undefined): e is JournalEntry =>
    e !== undefined && (winner === undefined || compareVersions(e.version, winner.version) > 0);

  // Another writer's older-stamped copy replaced the floor's put only where that put had landed
  // (its holders); found only elsewhere, it is the version the put replaced. Every copy found
  // counts, not only the newest: the same rule as repair's (`replacedByAnotherWriter`), so the two
  // never settle one key differently.
  const replaced = (f: JournalEntry): boolean =>
    winner !== undefined && replacedByAnotherWriter(f.version, copies, f.holders);
  if (beyond(floor) && !(floor.op === 'put' && replaced(floor))) {
    if (floor.op === 'put') {
      if (!allCompared) {
        return {
          action: { type: 'skip', reason: `version ${floor.version} may be on a target not compared` },
          conflicts: [],
          settle: undefined,
        };
      }
      return {
        action: { type: 'delete', version: floor.version, targets: holding, lost: true },
        conflicts: [],
        settle: floor.version,
      };
    }
    if (holding.length === 0) return { action: { type: 'none' }, conflicts: [], settle: floor.version };
    return {
      action: { type: 'delete', version: floor.version, targets: holding, lost: false },
      conflicts: [],
      settle: floor.version,
    };
  }
  if (beyond(newestEntry) && newestEntry.op === 'delete') {
    // A delete that was sent but not acknowledged: completing it is one of its allowed outcomes.
    if (holding.length === 0) return { action: { type: 'none' }, conflicts: [], settle: newestEntry.version };
    return {
      action: { type: 'delete', version: newestEntry.version, targets: holding, lost: false },
      conflicts: [],
      settle: newestEntry.version,
    };
  }
  if (winner === undefined) return { action: { type: 'none' }, conflicts: [], settle: undefined };
  const w = winner;
  const conflicts: PlannedConflict[] = [];
  // A journaled delete older than the newest copy: the newer write won.
  const tombstone = newest(entries.filter((e) => e.op === 'delete' && e.intent !== true));
  if (tombstone !== undefined) {
    conflicts.push({ target: w.target, version: tombstone.version, found: w.version });
  }
  // Same version, other bytes: the highest-priority copy (first listed) wins.
  for (const c of copies) {
    if (c.version === w.version && c.sha256 !== w.sha256) {
      conflicts.push({ target: c.target, version: w.version, found: c.version });
    }
  }
  const behind = compared.filter((t) => {
    const c = copies.find((x) => x.target === t);
    return c === undefined || compareVersions(c.version, w.version) < 0 || c.sha256 !== w.sha256;
  });
  if (behind.length === 0) return { action: { type: 'none' }, conflicts, settle: w.version };
  return {
    action: { type: 'copy', version: w.version, from: w.target, targets: behind },
    conflicts,
    settle: w.version,
  };
}

function newest(entries: readonly JournalEntry[]): JournalEntry | undefined {
  let best: JournalEntry | undefined;
  for (const e of entries) if (best === undefined || compareVersions(e.version, best.version) > 0) best = e;
  return best;
}

/**
 * What a target holds now, after reconcile's copy of `wanted` there was refused because the target
 * changed since reconcile looked (pure; table-tested):
 * - `'newer'`: a newer version landed there meanwhile: it stays (newest wins; a conflict);
 * - `'held'`: the wanted version itself is there now (another repair or reconcile copied it);
 * - `'copy'`: nothing, an older version, or the same version with other bytes: copy again, under
 *   a condition on what is there now.
 */
export function recheckCopy(
  wanted: Pick<KeyCopy, 'version' | 'sha256'>,
  now: Pick<KeyCopy, 'version' | 'sha256'> | null,
): 'newer' | 'held' | 'copy' {
  if (now === null) return 'copy';
  const order = compareVersions(now.version, wanted.version);
  if (order > 0) return 'newer';
  if (order === 0 && now.sha256 === wanted.sha256) return 'held';
  return 'copy';
}

/**
 * What a target holds now, after reconcile's delete at `version` there was refused because the
 * target changed since reconcile looked (pure; table-tested):
 * - `'gone'`: nothing (someone else deleted it): done;
 * - `'newer'`: a version newer than the delete landed there meanwhile (another writer, a late
 *   request of a newer write): it stays (newest wins; a conflict);
 * - `'delete'`: an older version (a late request of an older write landing again) or an object no
 *   multi-cloud store wrote: delete again, under a condition on what is there now.
 */
export function recheckDelete(
  version: string,
  now: Pick<KeyCopy, 'version'> | null,
): 'gone' | 'newer' | 'delete' {
  if (now === null) return 'gone';
  return compareVersions(now.version, version) > 0 ? 'newer' : 'delete';
}
