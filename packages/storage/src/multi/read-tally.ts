import {
  AllTargetsFailedError,
  failedBeforeSending,
  isAvailabilityKind,
  type TargetFailure,
} from '@failover/core';
import { StorageError } from '../errors.js';
import type { IntegrityError } from './errors.js';

/** What one target said to a read. */
export type Outcome<R> =
  | {
      readonly type: 'found';
      readonly value: R;
      readonly version?: string | undefined;
      /** The copy's SHA-256 and size, for the journal when the read observed a write in flight. */
      readonly sha256?: string | undefined;
      readonly size?: number | undefined;
    }
  | { readonly type: 'missing' }
  /** "Not found" from a target that lost its data: not final. */
  | { readonly type: 'unsure' }
  | { readonly type: 'stale' }
  | { readonly type: 'corrupt'; readonly error: IntegrityError };

/** A target's answer that is not a copy the read returns. */
export type NoCopy = Exclude<Outcome<unknown>, { readonly type: 'found' }>;

export const MISSING: Outcome<never> = Object.freeze({ type: 'missing' });
export const UNSURE: Outcome<never> = Object.freeze({ type: 'unsure' });
export const STALE: Outcome<never> = Object.freeze({ type: 'stale' });

/** A target as a read's tally knows it: its name and its place in the store's order (0 first). */
export interface TallyTarget {
  readonly name: string;
  readonly rank: number;
}

/** What a {@link ReadTally} is told of the read it keeps. */
export interface TallyOptions {
  /** The store's targets, in order. */
  readonly targets: readonly TallyTarget[];
  readonly key: string;
  /** The oldest version the read may return (the journal's, or an earlier read's), if any. */
  readonly minVersion: string | undefined;
  /** The newest version the read knows of, for its error when only older copies answered. */
  readonly newest: string | undefined;
  /**
   * Panic routing's last resort: the one of `names` (skipped by open breakers) to ask now (one
   * that admits calls meanwhile, else one readied for an early probe), if any.
   */
  readonly probeEarly: (names: readonly string[]) => string | undefined;
}

/**
 * The decide step of a read's rounds (`routedRead` in read.ts does the I/O): what the answers and
 * failures so far mean, which targets the next round asks, and how the read ends when no copy
 * was returned. No I/O; one per read.
 *
 * - "Not found" from a target with every target above it answering "not found" too (none of
 *   them down), and no floor, is final.
 * - A round in which every target failed after a live target said "not found" (and none had an
 *   older or corrupt copy) ends the read with "not found".
 * - When only older copies answered, the targets that failed for a passing reason are asked once
 *   more ({@link askAgain}); then, if targets were skipped by their open breakers, one of them is
 *   probed early (also when the round after the older copies failed as a whole, and after
 *   "not found" from targets that lost their data).
 * - At the end: a corrupt copy throws its `IntegrityError`; older copies only, or "not found" only
 *   from targets that lost their data, throw `unavailable`, listing what each target said.
 */
export class ReadTally {
  readonly #o: TallyOptions;
  readonly #failed = new Set<string>();
  /** Targets an attempt failed on for a passing reason (not skipped by their breaker). */
  readonly #mayAnswer = new Set<string>();
  /** Whether the targets in `#mayAnswer` were asked once more. */
  #askedAgain = false;
  /** Targets skipped by their open breaker (no attempt), for panic routing's last resort. */
  readonly #skipped = new Set<string>();
  #probedEarly = false;
  readonly #answeredMissing = new Set<string>();
  /** What each target said last (its answer, or its failure), for the error when none can answer. */
  readonly #said = new Map<string, Said>();
  #sawMissing = false;
  #sawUnsure = false;
  #sawStale = false;
  #corrupt: IntegrityError | undefined;

  constructor(options: TallyOptions) {
    this.#o = options;
  }

  /** The targets a round failed on (its `failures`). */
  failed(failures: readonly TargetFailure[]): void {
    this.#note(failures, true);
  }

  /**
   * Notes targets that failed: not asked again in this read's rounds, except those that `mayAnswer`
   * later (asked again, once, when only older copies answered), or the one probed early if the
   * breaker skipped it.
   */
  #note(failures: readonly TargetFailure[], mayAnswer: boolean): void {
    for (const f of failures) {
      this.#failed.add(f.target);
      this.#said.set(f.target, f);
      if (mayAnswer && mayAnswerLater(f)) this.#mayAnswer.add(f.target);
      if (f.attempts === 0 && isAvailabilityKind(f.kind)) this.#skipped.add(f.target);
    }
  }

  /**
   * `target` answered without a copy to return. True when that makes "not found" the read's
   * final answer.
   */
  answered(target: TallyTarget, outcome: NoCopy): boolean {
    this.#said.set(target.name, OUTCOME_WORDS[outcome.type]);
    switch (outcome.type) {
      case 'missing': {
        this.#sawMissing = true;
        this.#answeredMissing.add(target.name);
        if (this.#o.minVersion !== undefined) return false;
        return this.#o.targets.slice(0, target.rank).every((t) => this.#answeredMissing.has(t.name));
      }
      case 'unsure':
        this.#sawUnsure = true;
        return false;
      case 'stale':
        this.#sawStale = true;
        return false;
      case 'corrupt':
        this.#corrupt = outcome.error;
        return false;
    }
  }

  /**
   * The targets of the next round, after `answeredBy` answered a round over `order` (empty: no
   * round more).
   */
  next(order: readonly string[], answeredBy: string): readonly string[] {
    let next = order.filter((n) => n !== answeredBy && !this.#failed.has(n));
    if (next.length === 0 && !this.#askedAgain && askAgain(this.#sawStale, this.#mayAnswer)) {
      this.#askedAgain = true;
      next = this.#o.targets.map((t) => t.name).filter((n) => this.#mayAnswer.has(n));
    }
    return next.length === 0 ? this.#probe() : next;
  }

  /**
   * A round failed as a whole with `err`: `missing` (the read answers "not found": a live target
   * said so, every other one is down), the targets of one more round, or none (the rounds end:
   * {@link ReadTally.verdict} says how), or throws the read's error.
   *
   * After older copies only (or "not found" from targets that lost their data), a target the
   * round skipped (its breaker open) may hold the newest version: it is probed early, once,
   * before the read gives up.
   */
  roundFailed(err: unknown): 'missing' | readonly string[] {
    if (!(err instanceof AllTargetsFailedError)) throw err;
    if (this.#sawMissing && !this.#sawStale && this.#corrupt === undefined) return 'missing';
    if (this.#sawStale || this.#sawUnsure) {
      // Not asked again: a round that failed as a whole already came after the others.
      this.#note(err.failures, false);
      const early = this.#probe();
      if (early.length > 0) return early;
      // Asked again and failed again: the older copies decide.
      if (this.#askedAgain) return [];
    }
    throw wholeStory(this.#o.targets, this.#o.key, err, this.#said);
  }

  /**
   * Only older copies (or "not found" from targets that lost their data) answered and no target
   * is left to ask: when targets that may hold the newest version were skipped by their open
   * breakers, panic routing's last resort probes the one most likely back (once per read).
   */
  #probe(): readonly string[] {
    if (!(this.#sawStale || this.#sawUnsure) || this.#probedEarly || this.#skipped.size === 0) return [];
    this.#probedEarly = true;
    const early = this.#o.probeEarly([...this.#skipped]);
    return early === undefined ? [] : [early];
  }

  /** How a read ends when the rounds are over without a copy: `null` ("not found"), or throws. */
  verdict(): null {
    const { targets, key } = this.#o;
    if (this.#corrupt !== undefined) throw this.#corrupt;
    if (this.#sawStale) {
      throw noAnswer(
        targets,
        key,
        this.#said,
        `holds the newest version (${this.#o.newest}) of ${JSON.stringify(key)}`,
      );
    }
    if (this.#sawUnsure && !this.#sawMissing) {
      throw noAnswer(
        targets,
        key,
        this.#said,
        `can tell whether ${JSON.stringify(key)} exists: the targets that answered lost their data and are being restored`,
      );
    }
    return null;
  }
}

/**
 * Whether a read that found only copies older than the newest acknowledged version (`sawStale`)
 * asks the targets in `mayAnswer` (see {@link mayAnswerLater}) once more before failing: one of
 * them may hold the newest version and answer now (a loaded machine, a cloud just back).
 */
export function askAgain(sawStale: boolean, mayAnswer: ReadonlySet<string>): boolean {
  return sawStale && mayAnswer.size > 0;
}

/**
 * Whether a target that failed a read may answer if asked again at once: an attempt on it failed
 * for a passing reason (a timeout, a reset, a 503, a 429). Not a target skipped by its open breaker
 * (no attempt), nor one whose connection was refused or whose name did not resolve (it is down:
 * asking again would only count against its breaker), nor a failure that is not about availability
 * (a bad request, a precondition).
 */
export function mayAnswerLater(f: TargetFailure): boolean {
  return f.attempts > 0 && isAvailabilityKind(f.kind) && !failedBeforeSending(f.cause);
}

/** How a target's answer reads in an error's list of what each target said. */
const OUTCOME_WORDS: Readonly<Record<Outcome<unknown>['type'], string>> = {
  found: 'found',
  missing: 'not found',
  unsure: 'not found, lost its data',
  stale: 'an older copy',
  corrupt: 'a corrupt copy',
};

/** What a target said to a read: its answer in words ({@link OUTCOME_WORDS}), or its failure. */
type Said = string | TargetFailure;

/** "No reachable target `what`", followed by what each target said ({@link describeSaid}). */
function noAnswer(
  targets: readonly TallyTarget[],
  key: string,
  said: ReadonlyMap<string, Said>,
  what: string,
): StorageError {
  return new StorageError('unavailable', `No reachable target ${what} (${describeSaid(targets, said)})`, {
    key,
  });
}

/**
 * The error of a read whose last round found every target down, told for the whole read: a
 * target that answered (an older copy, "not found") or failed in an earlier round is listed
 * too, in target order, where the router's error lists only the last round's targets.
 */
function wholeStory(
  targets: readonly TallyTarget[],
  key: string,
  last: AllTargetsFailedError,
  said: ReadonlyMap<string, Said>,
): AllTargetsFailedError {
  const inLast = new Map(last.failures.map((f) => [f.target, f]));
  if (targets.every((t) => inLast.has(t.name) || !said.has(t.name))) return last;
  const failures: TargetFailure[] = [];
  for (const t of targets) {
    const s = inLast.get(t.name) ?? said.get(t.name);
    if (s === undefined) continue;
    if (typeof s !== 'string') failures.push(s);
    else {
      const cause = new StorageError('unavailable', `${t.name} answered ${s} for ${JSON.stringify(key)}`, {
        key,
        target: t.name,
      });
      failures.push({ target: t.name, kind: 'unavailable', cause, attempts: 1 });
    }
  }
  return new AllTargetsFailedError(failures, { kind: last.kind, cause: last.cause });
}

/** `aws: an older copy; gcp: skipped (unavailable); azure: timeout`, in target order (kinds only, no causes). */
function describeSaid(targets: readonly TallyTarget[], said: ReadonlyMap<string, Said>): string {
  const words = (s: Said | undefined): string =>
    s === undefined
      ? 'not asked'
      : typeof s === 'string'
        ? s
        : s.attempts === 0
          ? `skipped (${s.kind})`
          : s.kind;
  return targets.map((t) => `${t.name}: ${words(said.get(t.name))}`).join('; ');
}
