import { JournalError, JournalLockedError, type MultiCloudTargetStatus } from '@failover/storage';
import { explain, type FailureInfo, failureOf } from '../failure.js';
import { CLI_PREFIX, type ProbeResult, probeTarget } from '../probe.js';
import type { CommandContext, CommandResult } from './types.js';

/** One target in `failover status --json`. */
export interface StatusTarget {
  readonly name: string;
  /** The direct probe (a one-entry listing) answered. */
  readonly reachable: boolean;
  readonly probeMs: number;
  readonly error: FailureInfo | null;
  /** Breaker state in this process after the probe: `closed`, `open` or `halfOpen`. */
  readonly breaker: MultiCloudTargetStatus['state'];
  /** Journal (write, target) pairs this target still lacks. */
  readonly behind: number;
  /**
   * The target lost its data: its epoch marker is gone or changed (see the store's `amnesia`).
   * The CLI's store restores nothing by itself: `failover repair` restores it from the others.
   */
  readonly amnesia: boolean;
}

/** How loading the journal went: `null` when it loaded. */
interface JournalProblem {
  readonly failure: FailureInfo;
  /** Another process (the application) holds it: not a problem, but its backlog is unknown. */
  readonly locked: boolean;
}

/**
 * Loads the journal (through one routed listing of the CLI's prefix, which also exercises the
 * router) and returns the journal's failure, if any.
 */
async function loadJournal(ctx: CommandContext): Promise<JournalProblem | null> {
  try {
    const signal = AbortSignal.timeout(ctx.timeoutMs);
    for await (const _entry of ctx.store.list({ prefix: CLI_PREFIX, pageSize: 1, signal })) break;
    return null;
  } catch (err) {
    const failure = failureOf(err);
    // Targets being down is reported by the probes; only a journal failure matters here.
    const name = (err as { name?: unknown }).name;
    if (err instanceof JournalLockedError || name === 'JournalLockedError') return { failure, locked: true };
    if (err instanceof JournalError || (typeof name === 'string' && name.startsWith('Journal'))) {
      return { failure, locked: false };
    }
    return null;
  }
}

/**
 * `failover status`: probes every target directly, loads the journal and reports each target's
 * reachability, breaker and backlog, and the journal's backlog. Problems: a target that does not
 * answer, a journal that cannot be read. A journal another process holds (the application, running)
 * is not a problem: the report says its backlog is not shown.
 */
export async function statusCommand(ctx: CommandContext): Promise<CommandResult> {
  const probes: ProbeResult[] = await Promise.all(
    ctx.store.targets.map((t) => probeTarget(t, ctx.timeoutMs)),
  );
  const journalError = await loadJournal(ctx);
  const status = ctx.store.status();
  const targets: StatusTarget[] = status.targets.map((t, i) => {
    const probe = probes[i] as ProbeResult;
    return {
      name: t.name,
      reachable: probe.ok,
      probeMs: probe.latencyMs,
      error: probe.error ?? null,
      breaker: t.state,
      behind: t.behind,
      amnesia: t.amnesia !== undefined,
    };
  });
  const problems: string[] = [];
  for (const t of targets) if (t.error) problems.push(`${t.name}: ${explain(t.error)}`);
  for (const t of targets) {
    if (t.amnesia) {
      problems.push(
        `${t.name}: lost its data (its epoch marker is gone or changed): failover repair restores it from the other targets`,
      );
    }
  }
  if (journalError && !journalError.locked) problems.push(`journal: ${journalError.failure.message}`);

  const lines = [
    `store ${status.name} (writes: ${typeof status.writes === 'string' ? status.writes : `quorum ${status.writes.quorum}`})`,
    ...targets.map(
      (t) =>
        `${t.reachable && !t.amnesia ? 'ok  ' : t.reachable ? 'LOST' : 'DOWN'} ${t.name}: ${t.reachable ? `reachable in ${Math.round(t.probeMs)} ms` : 'not reachable'}, breaker ${t.breaker}, behind ${t.behind}${t.amnesia ? ', lost its data' : ''}`,
    ),
    journalError?.locked
      ? 'journal: held by another process (the application?); its backlog is not shown'
      : `journal: backlog ${status.journal.backlog}, pending keys ${status.journal.pendingKeys}`,
  ];
  return {
    problems,
    lines,
    data: {
      store: { name: status.name, writes: status.writes },
      targets,
      journal: {
        ...status.journal,
        locked: journalError?.locked ?? false,
        error: journalError?.failure ?? null,
      },
    },
  };
}
