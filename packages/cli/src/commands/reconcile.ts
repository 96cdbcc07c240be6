import { oneLine } from '../failure.js';
import { type CommandContext, type CommandResult, capped } from './types.js';

/** Options of `failover reconcile`. */
export interface ReconcileCommandOptions {
  readonly prefix: string;
  readonly dryRun: boolean;
  readonly verify: boolean;
}

/**
 * `failover reconcile [--prefix p] [--dry-run] [--verify]`: compares every target under the prefix
 * and copies the newest version where it is missing or older (or, with `--dry-run`, only lists what
 * it would change). Progress counts the copies and conflicts as they happen. Problems: errors,
 * skipped (down) targets, and, in a dry run, any change needed (the targets diverge).
 */
export async function reconcileCommand(
  ctx: CommandContext,
  options: ReconcileCommandOptions,
): Promise<CommandResult> {
  const progress = ctx.progress(options.dryRun ? 'reconcile (dry run)' : 'reconcile');
  const offs = [
    ctx.store.on('repaired', () => progress.tick()),
    ctx.store.on('conflict', () => progress.tick()),
  ];
  let report: Awaited<ReturnType<typeof ctx.store.reconcile>>;
  try {
    report = await ctx.store.reconcile({
      prefix: options.prefix,
      dryRun: options.dryRun,
      verify: options.verify,
    });
  } finally {
    for (const off of offs) off();
    progress.done();
  }
  const errors = report.errors.map((e) => ({ ...e, message: oneLine(e.message) }));
  const problems = capped(
    errors.map((e) => `${e.target}: reconcile ${e.op} ${e.key} failed: ${e.kind}: ${e.message}`),
  );
  for (const t of report.skippedTargets) problems.push(`${t}: skipped: down, or its listing failed`);
  if (report.dryRun && report.changes.length > 0) {
    problems.push(`${report.changes.length} keys diverge: run without --dry-run to fix them`);
  }
  if (report.corrupt > 0) problems.push(`${report.corrupt} corrupt copies found`);
  const verb = report.dryRun ? 'would' : 'did';
  const lines = [
    `reconcile ${JSON.stringify(report.prefix)}${report.dryRun ? ' (dry run)' : ''}: ${report.checked} checked, ${report.inSync} in sync, ${report.copied} copied, ${report.deleted} deleted, ${report.conflicts} conflicts`,
    ...capped(
      report.changes.map(
        (c) =>
          `  ${verb} ${c.action} ${c.key} ${c.action === 'copy' ? `from ${c.from} ` : ''}to ${c.targets.join(', ')}`,
      ),
    ),
  ];
  return {
    problems,
    lines,
    data: {
      prefix: report.prefix,
      dryRun: report.dryRun,
      checked: report.checked,
      inSync: report.inSync,
      copied: report.copied,
      deleted: report.deleted,
      conflicts: report.conflicts,
      corrupt: report.corrupt,
      errors,
      skippedTargets: report.skippedTargets,
      changes: report.changes,
      durationMs: report.durationMs,
    },
  };
}
