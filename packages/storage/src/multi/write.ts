import {
  AllTargetsFailedError,
  classifyFailure,
  type FailureKind,
  isAvailabilityKind,
  type TargetFailure,
} from '@failover/core';
import type { BlobInfo, BlobStore } from '../types.js';
import { combine, type MultiContext, runOn } from './context.js';
import { QuorumNotReachedError } from './errors.js';
import { journalWrite, resolveEntry, type WriteRecord } from './journaling.js';

/** One write (a put or a delete) to make on the targets: what the journal records of it, and more. */
export interface WriteSpec extends Omit<WriteRecord, 'holders' | 'missing'> {
  readonly signal: AbortSignal | undefined;
  /** Makes the write on one target (may be called again on another, or more than once). */
  readonly perform: (store: BlobStore, signal: AbortSignal | undefined) => Promise<BlobInfo | undefined>;
  /**
   * Undoes the write on a target where it succeeded, used when another target refused it with a
   * precondition failure (`ifNoneMatch`). Only safe when the write itself was conditional.
   */
  readonly rollback?: ((store: BlobStore) => Promise<void>) | undefined;
  /** Called once no write of this spec runs any more (every straggler has ended). */
  readonly finished?: (() => void) | undefined;
}

/** Where a write landed first (the answer the caller gets). */
export interface WriteResult {
  readonly target: string;
  readonly info: BlobInfo | undefined;
}

/**
 * Makes a write as the store's `writes` mode says, journals the targets that lack it before
 * resolving, and serialises it with other writes and repairs of the same key. A failed write
 * rejects; copies it left behind are journaled so the targets converge.
 */
export function write(ctx: MultiContext, spec: WriteSpec): Promise<WriteResult> {
  if (ctx.options.writes === 'primary' || ctx.targets.length === 1) return writePrimary(ctx, spec);
  return writeParallel(ctx, spec);
}

async function writePrimary(ctx: MultiContext, spec: WriteSpec): Promise<WriteResult> {
  try {
    return await ctx.lock(spec.key, async () => {
      const res = await ctx.router.runDetailed(
        (t, c) => spec.perform(t.store, combine(c.signal, spec.signal)),
        { idempotent: true, ...(spec.signal === undefined ? {} : { signal: spec.signal }) },
      );
      const holder = res.target.name;
      await journalWrite(ctx, {
        ...spec,
        holders: [holder],
        missing: ctx.targets.map((t) => t.name).filter((n) => n !== holder),
      });
      return { target: holder, info: res.value };
    });
  } finally {
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
}

function writeParallel(ctx: MultiContext, spec: WriteSpec): Promise<WriteResult> {
  const need = ctx.options.quorum; // undefined: mirror
  const mirror = need === undefined;
  const names = ctx.targets.map((t) => t.name);
  return new Promise<WriteResult>((resolve, reject) => {
    void ctx
      .lock(spec.key, async () => {
        const succeeded = new Map<string, BlobInfo | undefined>();
        const failures: Failure[] = [];
        let acked: Promise<string | undefined> | undefined;

        const ack = (): void => {
          const holders = names.filter((n) => succeeded.has(n));
          const first = holders[0]!;
          acked = journalWrite(ctx, {
            ...spec,
            holders,
            missing: names.filter((n) => !succeeded.has(n)),
          }).then(
            (entry) => {
              resolve({ target: first, info: succeeded.get(first) });
              return entry?.id;
            },
            (err: unknown) => {
              reject(err);
              return undefined;
            },
          );
        };

        await Promise.all(
          names.map((name) =>
            runOn(ctx, name, spec.perform, spec.signal).then(
              (info) => {
                if (acked !== undefined) {
                  // A straggler of an acknowledged quorum write: the journal entry is now resolved for it.
                  return acked
                    .then((id) => (id === undefined ? undefined : resolveEntry(ctx, id, name)))
                    .catch((err: unknown) => {
                      if (ctx.events.has('error'))
                        ctx.events.emit('error', { during: 'journal', error: err });
                    });
                }
                succeeded.set(name, info);
                if (!mirror && failures.every((f) => !isFatal(f.kind, false)) && succeeded.size >= need)
                  ack();
                return undefined;
              },
              (error: unknown) => {
                failures.push({ name, kind: classifyFailure(error), error });
              },
            ),
          ),
        );
        if (acked !== undefined) {
          await acked;
          return;
        }
        try {
          resolve(await settle(ctx, spec, names, succeeded, failures, need));
        } catch (err) {
          reject(err);
        }
      })
      .catch(reject)
      .finally(() => spec.finished?.());
  });
}

/** Decides a parallel write once every target has answered (and no quorum was acknowledged early). */
async function settle(
  ctx: MultiContext,
  spec: WriteSpec,
  names: readonly string[],
  succeeded: ReadonlyMap<string, BlobInfo | undefined>,
  failures: readonly Failure[],
  need: number | undefined,
): Promise<WriteResult> {
  const mirror = need === undefined;
  const holders = names.filter((n) => succeeded.has(n));
  const missing = names.filter((n) => !succeeded.has(n));
  const ordered = [...failures].sort((a, b) => names.indexOf(a.name) - names.indexOf(b.name));
  const fatal = ordered.find((f) => isFatal(f.kind, mirror));
  if (fatal?.kind === 'precondition' && spec.rollback !== undefined) {
    // A conditional write another target refused: undo it where it was made, journal nothing.
    await Promise.all(holders.map((n) => spec.rollback!(ctx.byName.get(n)!.store).catch(() => undefined)));
    throw fatal.error;
  }
  const enough = holders.length >= (need ?? 1);
  if (fatal === undefined && enough) {
    await journalWrite(ctx, { ...spec, holders, missing });
    const first = holders[0]!;
    return { target: first, info: succeeded.get(first) };
  }
  // The write failed. Copies that landed are journaled, so every target converges on one version.
  if (holders.length > 0) await journalWrite(ctx, { ...spec, holders, missing });
  if (fatal !== undefined) throw fatal.error;
  const list: TargetFailure[] = ordered.map((f) =>
    // The router's own report for that target (a breaker rejection has 0 attempts).
    f.error instanceof AllTargetsFailedError && f.error.failures.length === 1
      ? f.error.failures[0]!
      : { target: f.name, kind: f.kind, cause: f.error, attempts: 1 },
  );
  if (holders.length === 0) {
    const last = ordered[ordered.length - 1];
    throw new AllTargetsFailedError(list, { kind: last?.kind, cause: last?.error });
  }
  throw new QuorumNotReachedError(spec.key, spec.op, need ?? 1, holders, list);
}
