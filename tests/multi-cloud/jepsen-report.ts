import { writeFile } from 'node:fs/promises';
import type { ErrorCount, SoakResult } from './jepsen.js';
import type { FinalRead, History, OpKind } from './jepsen-check.js';
import { FAULT_KINDS, type FaultWindow } from './jepsen-faults.js';

/** The outcome of every call, and the failures by `<call>:<failure kind>` with their justification. */
export function summarize(
  history: History,
): Pick<SoakResult, 'outcomes' | 'byKind' | 'errors' | 'unjustified'> {
  const outcomes = { ok: 0, fail: 0, crash: 0, never: 0 };
  const byKind: Record<OpKind, number> = { put: 0, delete: 0, get: 0, list: 0 };
  const errors: Record<string, ErrorCount> = {};
  const unjustified: string[] = [];
  for (const op of history.ops) {
    if (op.invokedAt < 0) {
      outcomes.never++;
      continue;
    }
    byKind[op.kind]++;
    if (op.status === 'ok' || op.status === 'fail' || op.status === 'crash') outcomes[op.status]++;
    if (op.status !== 'fail') continue;
    const k = `${op.kind}:${op.errorKind}`;
    errors[k] ??= { count: 0, justified: 0 };
    errors[k].count++;
    if (op.justified) errors[k].justified++;
    else if (unjustified.length < 20) {
      unjustified.push(`op ${op.id} ${op.kind} ${op.key}: ${op.errorKind} (${op.why}): ${op.message}`);
    }
  }
  return { outcomes, byKind, errors, unjustified };
}

/** The soak's result as text: what ran, the errors by kind, and the checker's tallies. */
export function formatSoak(r: SoakResult): string {
  const lines: string[] = [];
  const o = r.outcomes;
  lines.push(
    `Jepsen-style soak, seed ${r.seed}: ${o.ok + o.fail + o.crash} calls (${Object.entries(r.byKind)
      .map(([k, n]) => `${n} ${k}`)
      .join(
        ', ',
      )}) in ${(r.durationMs / 1000).toFixed(1)} s; ${o.ok} ok, ${o.fail} failed, ${o.crash} cut by a crash`,
  );
  lines.push(
    r.instances > 1
      ? `${r.instances} app instances sharing a Redis journal and breakers; SIGKILLed and restarted ${r.crashes} times in all`
      : `writer SIGKILLed and restarted ${r.crashes} times`,
    ...(r.stalls > 0 ? [`writers stalled (SIGSTOP 0.5 to 3 s, calls in flight) ${r.stalls} times`] : []),
  );
  if (r.redisWindows.length > 0) {
    const away = r.redisWindows
      .map((w) => (w.kind === 'flush' ? 'restarted without its data' : `${w.kind} ${w.to - w.from} ms`))
      .join(', ');
    lines.push(`Redis away ${r.redisWindows.length} times (${away})`);
  }
  lines.push(
    `phases: ${Object.entries(r.phases)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}; faults: ${FAULT_KINDS.map((k) => `${k} ${r.faults[k]}`).join(', ')}`,
  );
  lines.push(
    `store events: ${
      Object.entries(r.events)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    }`,
  );
  lines.push('errors by kind (justified = every cloud holding the newest version was down):');
  for (const [k, e] of Object.entries(r.errors).sort())
    lines.push(`  ${k}: ${e.count} (${e.justified} justified)`);
  for (const u of r.unjustified.slice(0, 10)) lines.push(`  unjustified: ${u}`);
  const s = r.settle;
  lines.push(
    `settle: ${s.repairPasses} repair passes, backlog after ${s.backlogAfter}, reconcile copied ${s.reconcile.copied} deleted ${s.reconcile.deleted} conflicts ${s.reconcile.conflicts} lost ${s.reconcile.lost} errors ${s.reconcile.errors}, ${s.durationMs} ms`,
    ...(s.leftovers ?? []).map((line) => `  left: ${line}`),
  );
  lines.push(
    `checked ${r.check.soakReads} reads during the soak and ${Object.keys(r.check.byWhere).length} views after it`,
  );
  lines.push('| where | lost | corrupt | stale | resurrected |');
  for (const [where, t] of Object.entries(r.check.byWhere)) {
    lines.push(`| ${where} | ${t.lost} | ${t.corrupt} | ${t.stale} | ${t.resurrected} |`);
  }
  if (r.redisWindows.length > 0 || r.check.excusedStale > 0) {
    lines.push(
      `stale reads the fleet's guarantee allows (Redis away in between: another instance's write missed, or a write in flight missed after another instance read it): ${r.check.excusedStale}`,
    );
    for (const v of r.check.excusedExamples.slice(0, 5)) lines.push(`  allowed: ${v.key}: ${v.detail}`);
  }
  lines.push(
    `justified losses (reads that found nothing after every copy of an acknowledged put was destroyed): ${r.check.justifiedLosses}; lost events: ${r.events.lost ?? 0}`,
  );
  if (r.unreportedLosses.length > 0)
    lines.push(
      `  justified losses no writer reported as lost: ${r.unreportedLosses.slice(0, 10).join(', ')}`,
    );
  for (const v of r.check.justifiedExamples.slice(0, 5))
    lines.push(`  justified on ${v.where}, ${v.key}: ${v.detail}`);
  if (r.check.divergentKeys.length > 0) lines.push(`divergent keys: ${r.check.divergentKeys.join(', ')}`);
  for (const v of r.check.examples.slice(0, 10))
    lines.push(`  ${v.kind} on ${v.where}, ${v.key}: ${v.detail}`);
  if (r.harnessError !== undefined) lines.push(`harness error: ${r.harnessError}`);
  if (r.tracePath !== undefined) lines.push(`trace: ${r.tracePath}`);
  return lines.join('\n');
}

/** For debugging a seed: every call, fault window, final read and store event, one JSON line each. */
export async function writeTrace(
  path: string,
  history: History,
  windows: readonly FaultWindow[],
  finals: readonly FinalRead[],
  events: readonly { name: string; detail: string; at: number; instance?: number }[],
): Promise<void> {
  const lines = [
    ...history.ops.map((o) => JSON.stringify({ t: 'op', ...o, completedAt: String(o.completedAt) })),
    ...windows.map((w) =>
      JSON.stringify({
        t: 'fault',
        ...w,
        to: String(w.to),
        survivors: w.survivors === undefined ? undefined : Object.fromEntries(w.survivors),
      }),
    ),
    ...finals.map((f) => JSON.stringify({ t: 'final', ...f })),
    ...events.map((e) => JSON.stringify({ t: 'event', ...e })),
  ];
  await writeFile(path, `${lines.join('\n')}\n`);
}
