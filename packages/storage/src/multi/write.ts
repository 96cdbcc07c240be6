import type { MultiContext } from './context.js';
import { writeParallel } from './parallel-write.js';
import { writePrimary } from './primary-write.js';
import type { WriteResult, WriteSpec } from './write-spec.js';

export type { WriteResult, WriteSpec } from './write-spec.js';

/**
 * Makes a write as the store's `writes` mode says, journals the targets that lack it before
 * resolving (and remembers it as acknowledged, `ctx.acked`), and serialises it with other writes
 * and repairs of the same key. A delete is journaled as an intent before it is sent. A failed write rejects; copies it left behind (or may
 * have left behind) are journaled so the targets converge. `'primary'` writes: primary-write.ts;
 * `quorum` and `'mirror'`: parallel-write.ts; the steps both share: write-steps.ts.
 */
export async function write(ctx: MultiContext, spec: WriteSpec): Promise<WriteResult> {
  const result =
    ctx.options.writes === 'primary' || ctx.targets.length === 1
      ? await writePrimary(ctx, spec)
      : await writeParallel(ctx, spec);
  ctx.acked.note(spec.key, { op: spec.op, version: spec.version, sha256: spec.sha256, size: spec.size });
  return result;
}
