import { type Style, stamp } from '../dashboard/format.js';
import { ms } from './analyze.js';
import type { DemoReport } from './model.js';

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** The verification report as terminal lines. */
export function reportLines(r: DemoReport, s: Style): string[] {
  const lines: string[] = [];
  const mode = typeof r.writeMode === 'string' ? r.writeMode : `quorum:${r.writeMode.quorum}`;
  lines.push('');
  lines.push(s.bold(`Verification report: ${r.scenarioTitle}`));
  lines.push(
    s.dim(
      `scenario ${r.scenario}, writes ${mode}, seed ${r.seed}, ${(r.durationMs / 1000).toFixed(0)} s of traffic, ${(r.wallMs / 1000).toFixed(1)} s in all`,
    ),
  );
  lines.push('');
  const byOp = Object.entries(r.operations.byOp)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  lines.push(`  operations          ${r.operations.total} (${byOp})`);
  const served = Object.entries(r.operations.servedByTarget)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  lines.push(`  storage calls by    ${served}`);
  const api = Object.entries(r.operations.servedByRegion)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  lines.push(`  pricing calls by    ${api}`);
  const errors = r.appErrors.total === 0 ? s.green('0') : s.red(String(r.appErrors.total));
  lines.push(`  app-visible errors  ${errors}`);
  lines.push(
    `  failovers           ${r.failovers.storage} storage, ${r.failovers.api} API; ${r.failovers.breakerOpens} breaker openings`,
  );
  lines.push(
    `  time to fail over   ${r.timeToFailoverMs === undefined ? 'n/a' : ms(r.timeToFailoverMs)}` +
      (r.timeToBreakerOpenMs === undefined ? '' : ` (AWS breaker open after ${ms(r.timeToBreakerOpenMs)})`),
  );
  lines.push(`  time to fail back   ${r.timeToFailBackMs === undefined ? 'n/a' : ms(r.timeToFailBackMs)}`);
  lines.push(
    `  writes              ${r.writes.acknowledged} acknowledged, ${r.writes.unacknowledged} failed; ${r.writes.journaled} journaled, ` +
      `${r.writes.repaired} repaired in ${r.writes.repairPasses} passes, backlog ${r.writes.backlogAtEnd}`,
  );
  const v = r.verification;
  lines.push(
    `  keys                ${v.keys}: ${v.liveKeys} live, ${v.deletedKeys} deleted, ${v.uncertainKeys} with a failed last write`,
  );
  lines.push('');
  lines.push(
    s.dim(
      `  ${'cloud'.padEnd(18)}${'verified'.padStart(9)}${'bytes'.padStart(11)}${'deleted ok'.padStart(11)}${'missing'.padStart(9)}${'wrong'.padStart(7)}${'resurrected'.padStart(13)}${'unexpected'.padStart(12)}`,
    ),
  );
  for (const c of v.clouds) {
    const bad = (n: number, w: number): string =>
      n === 0 ? String(n).padStart(w) : s.red(String(n).padStart(w));
    lines.push(
      `  ${c.target.padEnd(18)}${String(c.verified).padStart(9)}${mib(c.bytesVerified).padStart(11)}${String(c.deletedAbsent).padStart(11)}` +
        `${bad(c.missing.length, 9)}${bad(c.mismatched.length + c.unreadable.length, 7)}${bad(c.resurrected.length, 13)}${bad(c.unexpected.length, 12)}`,
    );
  }
  if (r.appErrors.total > 0) {
    lines.push('');
    lines.push(s.bold('  What the application saw'));
    const phases = r.phases
      .filter((p) => (r.appErrors.byPhase[p.id] ?? 0) > 0)
      .map((p) => `${p.id} ${r.appErrors.byPhase[p.id]}`)
      .join(', ');
    lines.push(`    errors by phase   ${phases}`);
    lines.push(
      `    errors by cause   ${Object.entries(r.appErrors.byKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    const distinct = r.appErrors.samples.filter(
      (e, i, all) => all.findIndex((o) => o.source === e.source && o.kind === e.kind) === i,
    );
    for (const e of distinct.slice(0, 4)) {
      lines.push(s.dim(`    ${stamp(e.atMs)} ${e.op}: ${e.name}: ${e.message.slice(0, 110)}`));
    }
    if (r.writeMode === 'primary' && !r.appErrorsExpected) {
      lines.push(
        s.dim(
          '    In primary mode a write reaches the other clouds only through repair: an object written just before ' +
            'AWS failed exists on AWS alone until AWS returns, and reading it fails meanwhile. Mirror mode avoids this.',
        ),
      );
    }
    if (r.lost === 0) {
      lines.push(
        `    ${s.green('every write the application was told had succeeded is on all three clouds;')} writes that failed were ` +
          'never acknowledged, and the application knew it.',
      );
    }
  }
  lines.push('');
  for (const c of r.checks) {
    lines.push(`  ${c.ok ? s.green('✔') : s.red('✘')} ${c.name}: ${s.dim(c.detail)}`);
  }
  lines.push('');
  const pass = r.appErrorsExpected
    ? 'PASS: with every cloud down the application saw errors, but nothing it was told was saved was lost.'
    : 'PASS: the application survived the outage.';
  lines.push(r.ok ? s.green(s.bold(pass)) : s.red(s.bold('FAIL: see the checks above.')));
  if (r.htmlPath !== undefined) lines.push(`HTML report: ${r.htmlPath}`);
  if (r.telemetry !== undefined) {
    lines.push(`OpenTelemetry metrics: ${r.telemetry.metricsPath}, spans: ${r.telemetry.spansPath}`);
  }
  return lines;
}
