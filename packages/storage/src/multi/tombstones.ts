import { createHash } from 'node:crypto';
import type { JournalEntry } from '../journal/types.js';
import { type MultiContext, runOn } from './context.js';
import { STORE_PREFIX } from './reserved.js';
import { compareVersions } from './version.js';

/**
 * Tombstones: what an acknowledged delete leaves on the clouds that took it while another cloud
 * missed it. A delete leaves no version behind, so only the journal knows that the copy the
 * missing cloud still holds is older than the delete. A journal that lost its data (a Redis
 * without persistence that restarted, a wiped directory) forgot it, and the reconcile that
 * follows took that copy for the newest version and copied it back everywhere: the acknowledged
 * delete was undone. So such a delete also writes `_failover/tombstones/<SHA-256 of the key>/<version>`
 * (an empty object: the name says everything, so a listing reads them all) on the clouds that
 * took it, once every cloud answered the delete; reconcile takes each tombstone as an
 * acknowledged delete of its key at its version (a floor, as a journal entry is), and the
 * tombstones of a key are removed once a delete at or after their version reached every cloud.
 * Best effort: a tombstone that could not be written leaves the journal as the only record (as
 * before); one left behind (its delete completed by another process) costs a small hidden object
 * until a later delete of the key that this process tombstoned completes, or a reconcile removes it.
 */
export const TOMBSTONE_PREFIX = `${STORE_PREFIX}tombstones/`;

/** The hash that names `key`'s tombstones: the hex SHA-256 of the key. */
export function tombstoneHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The tombstones' directory of the key whose hash is `hash`: `_failover/tombstones/<hash>/`. */
function tombstoneDir(hash: string): string {
  return `${TOMBSTONE_PREFIX}${hash}/`;
}

/** The tombstones reconcile read, by their key's hash: the newest version of each. */
export type Tombstones = ReadonlyMap<string, string>;

/**
 * Writes the tombstone of a delete of `key` at `version` (its journal entry: `id`) on `holders`
 * (the clouds that took it), when some other cloud missed it. Never throws; close() waits for it
 * (a straggler).
 */
export function leaveTombstones(
  ctx: MultiContext,
  { id, key, version }: Pick<JournalEntry, 'id' | 'key' | 'version'>,
  holders: readonly string[],
): void {
  if (holders.length === 0) return;
  let ids = left.get(ctx);
  if (ids === undefined) {
    ids = new Set();
    left.set(ctx, ids);
  }
  ids.add(id);
  // Deletes another process completed are never seen completing here: the oldest are forgotten.
  if (ids.size > MAX_REMEMBERED) ids.delete(ids.values().next().value as string);
  const name = `${tombstoneDir(tombstoneHash(key))}${version}`;
  const written = Promise.all(
    holders.map((target) =>
      runOn(
        ctx,
        target,
        (s, signal) => s.put(name, '', signal === undefined ? {} : { signal }),
        undefined,
      ).catch(() => undefined),
    ),
  );
  straggle(ctx, written);
}

/** Keeps `work` among the store's stragglers (close() waits for them) until it settles. */
function straggle(ctx: MultiContext, work: Promise<unknown>): void {
  ctx.stragglers.add(work);
  void work.finally(() => ctx.stragglers.delete(work));
}

/** How many delete entries with tombstones a store remembers (the rest: reconcile removes theirs). */
const MAX_REMEMBERED = 10_000;

/** Per store: the delete entries (by id) this process left tombstones for. */
const left = new WeakMap<MultiContext, Set<string>>();

/**
 * Called when the pending delete `entry` reached every target: its tombstones go, when this
 * process left some (those another process left, or one before a restart, go at the next
 * reconcile that finds the key in step everywhere).
 */
export function deleteCompleted(ctx: MultiContext, entry: JournalEntry): void {
  if (left.get(ctx)?.delete(entry.id) === true) dropTombstones(ctx, entry.key, entry.version);
}

/**
 * Removes the tombstones of `key` up to `version` from every target (a delete at or after them
 * reached every cloud). Best effort, in the background; a target that does not answer keeps them.
 */
export function dropTombstones(ctx: MultiContext, key: string, version: string): void {
  dropTombstonesOf(ctx, tombstoneHash(key), version);
}

/**
 * Removes the tombstones up to `version` of the key whose hash is `hash` (reconcile: the key is
 * on no target any more).
 */
export function dropTombstonesOf(ctx: MultiContext, hash: string, version: string): void {
  const dir = tombstoneDir(hash);
  const dropped = Promise.all(
    ctx.targets.map((t) =>
      runOn(
        ctx,
        t.name,
        async (s, signal) => {
          const doomed: string[] = [];
          for await (const e of s.list({ prefix: dir, ...(signal === undefined ? {} : { signal }) })) {
            if ('key' in e && compareVersions(e.key.slice(dir.length), version) <= 0) doomed.push(e.key);
          }
          for (const name of doomed) await s.delete(name, signal === undefined ? {} : { signal });
        },
        undefined,
      ).catch(() => undefined),
    ),
  );
  straggle(ctx, dropped);
}

/**
 * Every tombstone on `targets` (those reconcile compares), newest version per key hash. A target
 * whose listing fails is left out (its tombstones are on the clouds that took the same deletes).
 */
export async function readTombstones(
  ctx: MultiContext,
  targets: readonly string[],
  signal: AbortSignal | undefined,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  await Promise.all(
    targets.map((target) =>
      runOn(
        ctx,
        target,
        async (s, sig) => {
          for await (const e of s.list({
            prefix: TOMBSTONE_PREFIX,
            ...(sig === undefined ? {} : { signal: sig }),
          })) {
            if (!('key' in e)) continue;
            const [hash, version] = e.key.slice(TOMBSTONE_PREFIX.length).split('/');
            if (hash === undefined || version === undefined || version === '') continue;
            const known = found.get(hash);
            if (known === undefined || compareVersions(version, known) > 0) found.set(hash, version);
          }
        },
        signal,
      ).catch(() => undefined),
    ),
  );
  return found;
}

/**
 * The journal entry reconcile plans `key` (its tombstone hash: `hash`) with for its tombstone (an
 * acknowledged delete at the tombstone's version, in no journal: nothing resolves it), or
 * `undefined` when it has none.
 */
export function tombstoneEntry(tombstones: Tombstones, key: string, hash: string): JournalEntry | undefined {
  const version = tombstones.get(hash);
  if (version === undefined) return undefined;
  return { id: `tombstone:${version}`, op: 'delete', key, version, holders: [], missing: [], at: 0 };
}
