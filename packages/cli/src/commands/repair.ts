import { oneLine } from '../failure.js';
import { type CommandContext, type CommandResult, capped } from './types.js';

/**
 * `failover repair [--target name...]`: replays the journal now and reports what was copied or
 * deleted. Progress counts the `repaired` and `conflict` events against what the journal still
 * holds. Problems: copies that failed, copies skipped because their target is down, and any
 * backlog left.
 */
export async function repairCommand(
  ctx: CommandContext,
  targets: readonly string[] | undefined,
): Promise<CommandResult> {
  const progress = ctx.progress('repair');
  let done = 0;
  const onDone = (): void => {
    done++;
    progress.setTotal(done + ctx.store.status().journal.backlog);
    progress.tick();
  };
  const offs = [ctx.store.on('repaired', onDone), ctx.store.on('conflict', onDone)];
  let report: Awaited<ReturnType<typeof ctx.store.repair>>;
  try {
    report = await ctx.store.repair(targets === undefined ? {} : { targets });
  } finally {
    for (const off of offs) off();
    progress.done();
  }
  const failed = report.failed.map((f) => ({ ...f, message: oneLine(f.message) }));
  const problems = capped(
    failed.map((f) => `${f.target}: repair ${f.op} ${f.key} failed: ${f.kind}: ${f.message}`),
  );
  if (report.skipped > 0)
    problems.push(`${report.skipped} copies skipped: their target is down (breaker open)`);
  if (report.backlog > 0) problems.push(`journal backlog: ${report.backlog} copies still pending`);
  const lines = [
    `repair: ${report.attempted} pending, ${report.repaired} repaired, ${report.conflicts} conflicts (newer version kept), ${report.skipped} skipped, ${failed.length} failed`,
    `journal backlog after: ${report.backlog}`,
  ];
  return {
    problems,
    lines,
    data: {
      targets: targets ?? null,
      attempted: report.attempted,
      repaired: report.repaired,
      conflicts: report.conflicts,
      skipped: report.skipped,
      failed,
      backlog: report.backlog,
      durationMs: report.durationMs,
    },
  };
}
