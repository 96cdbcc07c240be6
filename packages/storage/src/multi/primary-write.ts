import { AllTargetsFailedError } from '@failover/core';
import type { BlobInfo } from '../types.js';
import { combine, type MultiContext, mayHaveLanded } from './context.js';
import { journalWrite } from './journaling.js';
import { ProvisionalPut } from './provisional.js';
import type { WriteResult, WriteSpec } from './write-spec.js';
import { forgetObserved, journalFailed, recordIntent } from './write-steps.js';

/**
 * `'primary'`: the first healthy target takes the write, the journal records every other one. A
 * put's record is made beside its upload (see {@link ProvisionalPut}), so the answer waits for the
 * later of the two; a put that needed more than one attempt is journaled after it, as a delete is.
 */
export async function writePrimary(ctx: MultiContext, spec: WriteSpec): Promise<WriteResult> {
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
