import type { FailureKind } from '@failover/core';
import type { DrillReport, DrillStep } from '@failover/storage';
import { oneLine } from '../failure.js';
import type { CommandContext, CommandResult } from './types.js';

/** One target in `failover drill --json`: the runs of its `--sample` drills. */
export interface DrillTargetSummary {
  readonly target: string;
  readonly runs: number;
  readonly passed: number;
  readonly failed: number;
  /** Whole-drill time over the runs (ms). */
  readonly latencyMs: { readonly min: number; readonly median: number; readonly max: number };
  /** Each distinct failure (step, kind, message) with how many runs it ended. */
  readonly errors: readonly {
    readonly step: DrillStep;
    readonly kind: FailureKind;
    readonly message: string;
    readonly count: number;
  }[];
}

function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return 0;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Folds `sample` drill reports into one summary per target (pure). */
export function summarizeDrills(reports: readonly DrillReport[]): DrillTargetSummary[] {
  const names = reports[0]?.targets.map((t) => t.target) ?? [];
  return names.map((target) => {
    const runs = reports
      .map((r) => r.targets.find((t) => t.target === target))
      .filter((t) => t !== undefined);
    const latencies = runs.map((t) => Math.round(t.latencyMs * 10) / 10).sort((a, b) => a - b);
    const errors = new Map<string, { step: DrillStep; kind: FailureKind; message: string; count: number }>();
    for (const t of runs) {
      if (!t.error) continue;
      const message = oneLine(t.error.message);
      const id = `${t.error.step}\u0000${t.error.kind}\u0000${message}`;
      const seen = errors.get(id);
      if (seen) seen.count++;
      else errors.set(id, { step: t.error.step, kind: t.error.kind, message, count: 1 });
    }
    const passed = runs.filter((t) => t.ok).length;
    return {
      target,
      runs: runs.length,
      passed,
      failed: runs.length - passed,
      latencyMs: { min: latencies[0] ?? 0, median: median(latencies), max: latencies.at(-1) ?? 0 },
      errors: [...errors.values()],
    };
  });
}

/**
 * `failover drill [--sample N]`: runs the store's drill N times in a row (each writes, reads,
 * verifies and deletes one canary on every target, directly) and reports, per target, how many
 * runs passed and where the others failed. Problems: any target failing any run.
 */
export async function drillCommand(ctx: CommandContext, sample: number): Promise<CommandResult> {
  const progress = ctx.progress('drill');
  progress.setTotal(sample);
  const reports: DrillReport[] = [];
  try {
    for (let i = 0; i < sample; i++) {
      reports.push(await ctx.store.drill({ timeoutMs: ctx.timeoutMs }));
      progress.tick();
    }
  } finally {
    progress.done();
  }
  const targets = summarizeDrills(reports);
  const problems = targets.flatMap((t) =>
    t.errors.map(
      (e) => `${t.target}: drill failed ${e.count}/${t.runs} at ${e.step}: ${e.kind}: ${e.message}`,
    ),
  );
  const lines = targets.map(
    (t) =>
      `${t.failed === 0 ? 'ok  ' : 'FAIL'} ${t.target}: ${t.passed}/${t.runs} passed, ${t.latencyMs.median} ms median (min ${t.latencyMs.min}, max ${t.latencyMs.max})`,
  );
  return { problems, lines, data: { sample, targets } };
}
