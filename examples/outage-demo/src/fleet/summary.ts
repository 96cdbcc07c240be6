import type { Style } from '../dashboard/format.js';

/** One instance of the fleet, as the report shows it. */
export interface FleetInstanceSummary {
  readonly id: string;
  ops: number;
  appErrors: number;
  /** Copies and deletes its repair made. */
  repaired: number;
  /** Times its AWS breaker opened (its own calls, or the fleet's word). */
  awsOpens: number;
  awsCloses: number;
  /** Closings of AWS after this instance's own probe succeeded (the others followed its word). */
  awsProbedBack: number;
  /** Openings of AWS on the fleet's word (another instance's trip, or the fleet's failure count). */
  awsRemoteOpens: number;
  /**
   * Fleet messages (another instance's trip or recovery) this instance applied to its router,
   * including those that found the breaker already where the message put it (its own calls got
   * there first): the fleet's word reached it.
   */
  fleetApplied: number;
  /** Its first AWS opening: when (ms since the traffic started), whether on the fleet's word, why. */
  firstAwsOpen:
    | { readonly atMs: number; readonly remote: boolean; readonly reason: string | undefined }
    | undefined;
}

/** The fleet part of the demo report (`--fleet`). */
export interface FleetSummary {
  readonly instances: readonly FleetInstanceSummary[];
  readonly redis: string;
  /** When AWS first opened on any instance (ms since the traffic started). */
  readonly firstTripMs: number | undefined;
  /** From that first trip until every instance skipped AWS (ms). */
  readonly allSkippingMs: number | undefined;
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The report's lines about the fleet. */
export function fleetLines(f: FleetSummary, s: Style): string[] {
  const lines = ['', s.bold(`Fleet: ${f.instances.length} app instances sharing one Redis (${f.redis})`)];
  if (f.firstTripMs !== undefined) {
    lines.push(
      `  AWS tripped at ${(f.firstTripMs / 1000).toFixed(1)} s; every instance skipped it ${
        f.allSkippingMs === undefined ? '(not every instance saw it)' : `${f.allSkippingMs} ms later`
      }`,
    );
  }
  for (const i of f.instances) {
    const open = i.firstAwsOpen;
    const how =
      open === undefined
        ? 'never left AWS'
        : open.remote
          ? `skipped AWS on the fleet's word at ${(open.atMs / 1000).toFixed(2)} s`
          : `tripped AWS itself at ${(open.atMs / 1000).toFixed(2)} s (${open.reason ?? '?'})`;
    lines.push(
      `  ${i.id.padEnd(6)} ${String(i.ops).padStart(5)} ops, ${i.appErrors} app errors, ${i.repaired} repaired; ${how}; AWS opened ${i.awsOpens}x (${i.awsRemoteOpens} on the fleet's word), probed back by it ${i.awsProbedBack}x; ${i.fleetApplied} fleet messages applied`,
    );
  }
  return lines;
}

/** The report's HTML section about the fleet. */
export function fleetHtml(f: FleetSummary): string {
  const rows = f.instances
    .map((i) => {
      const open = i.firstAwsOpen;
      const how =
        open === undefined
          ? 'never left AWS'
          : open.remote
            ? `skipped on the fleet's word (${esc(open.reason ?? '')})`
            : `tripped it itself (${esc(open.reason ?? '?')})`;
      return `<tr><td><b>${esc(i.id)}</b></td><td>${i.ops}</td><td>${i.appErrors}</td><td>${
        open === undefined ? '' : `${(open.atMs / 1000).toFixed(2)} s`
      }</td><td>${how}</td><td>${i.awsOpens}</td><td>${i.awsProbedBack}</td><td>${i.repaired}</td></tr>`;
    })
    .join('');
  const trip =
    f.firstTripMs === undefined
      ? ''
      : `<p>AWS was first tripped at ${(f.firstTripMs / 1000).toFixed(2)} s; ${
          f.allSkippingMs === undefined
            ? 'not every instance left it.'
            : `every instance skipped AWS ${f.allSkippingMs} ms later, without sending it failing calls of its own.`
        }</p>`;
  return (
    `<h2>Fleet</h2><p class="sub">${f.instances.length} app instances (separate processes) share one Redis (${esc(f.redis)}): ` +
    `one replication journal, and breaker state through <code>createFleetHealth({ router: store })</code>. ` +
    `A half-open probe of a recovering cloud is made by one instance for the fleet; repair takes any instance's journal entries, one instance per key.</p>` +
    trip +
    `<table><tr><th>instance</th><th>operations</th><th>app errors</th><th>AWS left at</th><th>how</th><th>AWS openings</th><th>probed AWS back</th><th>repaired</th></tr>${rows}</table>`
  );
}
