/**
 * The fleet's decisions, as pure functions (no Redis, no clock), table-tested in
 * test/fleet-decide.test.ts; fleet.ts applies them.
 *
 * @internal
 */

/** What the fleet does with one of its router's own `open` events. */
export type LocalOpening =
  /** A remote trip or the fleet's own: nothing to publish. */
  | 'remote'
  /**
   * An ejection by judgement, or an opening by calls that timed out: counted towards
   * `ejectionQuorum` (EJECTED), published at the quorum.
   */
  | 'judgement'
  /** Failed calls opened it: published at once (OPENED). */
  | 'failures';

/**
 * Classifies an `open` event of this instance's router. Published at once (`'failures'`): an
 * opening by calls that failed with an answer or a proof that the target is unreachable (a
 * refused connection, an unknown name, a reset, a 5xx, a 429). Counted towards the quorum
 * (`'judgement'`): an opening with a `reason` (`Failover.eject` always gives one; failed calls
 * never do), and one whose last failure is a `timeout`. A timeout is no answer, the same evidence
 * as a judged silence: a process starved of CPU, or behind a stalled proxy or a saturated
 * connection pool, sees every target time out while the others answer the rest of the fleet.
 * With `ejectionQuorum` 1 everything is published at once.
 */
export function classifyOpening(
  event: {
    readonly remote: boolean;
    readonly reason?: string | undefined;
    readonly kind?: string | undefined;
  },
  ejectionQuorum: number,
): LocalOpening {
  if (event.remote) return 'remote';
  if (ejectionQuorum <= 1) return 'failures';
  return event.reason !== undefined || event.kind === 'timeout' ? 'judgement' : 'failures';
}

/** What a subscriber that (re)connected must apply: trips to make, targets to recover. */
export interface Resync {
  /** Targets open fleet-wide by another instance that this router has not tripped on its word yet. */
  readonly trip: readonly { readonly target: string; readonly from: string | undefined }[];
  /** Targets this router has open on the fleet's word that are open fleet-wide no more. */
  readonly recover: readonly string[];
}

/**
 * Compares what is open fleet-wide now (`open`: the breakers hash, target -> record JSON, as
 * OPEN_NOW answers it) with what this instance has open on the fleet's word (`remoteOpen`).
 * Openings this instance published itself (`from` is `me`) are its own: neither tripped nor
 * counted as open fleet-wide. A record that is not JSON counts as open, from an unknown instance.
 */
export function decideResync(
  open: readonly (readonly [target: string, record: string])[],
  me: string,
  remoteOpen: ReadonlySet<string>,
): Resync {
  const openNow = new Set<string>();
  const trip: { target: string; from: string | undefined }[] = [];
  for (const [target, record] of open) {
    const from = recordFrom(record);
    if (from === me) continue;
    openNow.add(target);
    if (!remoteOpen.has(target)) trip.push({ target, from });
  }
  const recover = [...remoteOpen].filter((target) => !openNow.has(target));
  return { trip, recover };
}

/** The `from` of a breakers-hash record; `undefined` when it has none or is not JSON. */
function recordFrom(record: string): string | undefined {
  try {
    const from = (JSON.parse(record) as { from?: unknown }).from;
    return typeof from === 'string' ? from : undefined;
  } catch {
    return undefined;
  }
}

/** Pairs a flat `[key, value, key, value...]` reply (HGETALL, OPEN_NOW) into entries. */
export function pairs(reply: readonly unknown[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), String(reply[i + 1])]);
  return out;
}
