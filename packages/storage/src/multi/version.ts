import { randomBytes } from 'node:crypto';

/** Digits of the wall-clock part of a version (milliseconds since the epoch, zero-padded). */
const MS_DIGITS = 15;
/** Digits of the logical counter that orders writes within one millisecond. */
const COUNTER_DIGITS = 6;
const MAX_COUNTER = 10 ** COUNTER_DIGITS - 1;
const VERSION = /^(\d{15})-(\d{6})-([a-z0-9_-]{1,64})$/;

/** What a writer id may be: lowercase letters, digits, `_` and `-`, 1 to 64 characters. */
export const WRITER_ID = /^[a-z0-9_-]{1,64}$/;

/** A random writer id: 8 lowercase hex digits. */
export function randomWriterId(): string {
  return randomBytes(4).toString('hex');
}

/** The parts of a version string. */
export interface ParsedVersion {
  readonly ms: number;
  readonly counter: number;
  readonly writer: string;
}

/** Parses a version made by {@link HybridClock}; `undefined` for anything else. */
export function parseVersion(version: string): ParsedVersion | undefined {
  const m = VERSION.exec(version);
  if (m === null) return undefined;
  return { ms: Number(m[1]), counter: Number(m[2]), writer: m[3]! };
}

/** A copy of a key older than the version looked for, and the target that holds it. */
export interface OlderCopy {
  readonly target: string;
  /** Its version; `undefined` for an object no multi-cloud store wrote. */
  readonly version: string | undefined;
}

/**
 * Whether a vanished version was replaced by another writer's write (a concurrent writer whose
 * older-stamped write landed last: a conflict, its copy stays) rather than lost (every copy gone,
 * or only this writer's older versions left: settled as a delete at the lost version). Only a
 * target that held the version (`holders`) can show it was replaced there: another writer's
 * older version on a target the write never reached is simply the version it was meant to
 * replace (in a fleet, the previous write of the key, most likely made by another instance), and
 * the write is lost, not in conflict. Repair and reconcile both decide by it.
 */
export function replacedByAnotherWriter(
  version: string,
  olderOn: readonly OlderCopy[],
  holders: readonly string[],
): boolean {
  const mine = parseVersion(version)?.writer;
  return olderOn.some(
    (o) =>
      holders.includes(o.target) && (o.version === undefined || parseVersion(o.version)?.writer !== mine),
  );
}

/** Formats the parts of a version: `<ms, 15 digits>-<counter, 6 digits>-<writer>`. */
export function formatVersion(ms: number, counter: number, writer: string): string {
  return `${String(ms).padStart(MS_DIGITS, '0')}-${String(counter).padStart(COUNTER_DIGITS, '0')}-${writer}`;
}

/**
 * Compares two versions as strings (the fixed-width clock parts make string order the clock's
 * order; the writer id breaks ties). `undefined` (an object no multi-cloud store wrote) sorts
 * before every version.
 */
export function compareVersions(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

/**
 * A hybrid logical clock: versions follow wall-clock time, never go backwards (even when the
 * clock does), are unique per writer, and come after every version this writer has seen
 * (`observe`), so a write made after reading a version always gets a newer one, whatever the
 * clock skew between writers.
 */
export class HybridClock {
  readonly writer: string;
  #ms = 0;
  #counter = 0;
  readonly #now: () => number;

  constructor(writer: string, now: () => number = Date.now) {
    this.writer = writer;
    this.#now = now;
  }

  /** A new version, greater than every version made or observed before. */
  next(): string {
    const now = this.#now();
    if (now > this.#ms) {
      this.#ms = now;
      this.#counter = 0;
    } else if (this.#counter < MAX_COUNTER) {
      this.#counter++;
    } else {
      // A million versions in one millisecond: move the logical time on.
      this.#ms++;
      this.#counter = 0;
    }
    return formatVersion(this.#ms, this.#counter, this.writer);
  }

  /** Moves the clock past a version seen elsewhere (a read, a listing, a repair). */
  observe(version: string | undefined): void {
    if (version === undefined) return;
    const v = parseVersion(version);
    if (v === undefined) return;
    if (v.ms > this.#ms || (v.ms === this.#ms && v.counter > this.#counter)) {
      this.#ms = v.ms;
      this.#counter = v.counter;
    }
  }
}
