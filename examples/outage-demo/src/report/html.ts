import type { BreakerState } from '@failover/core';
import { LANES } from '../metrics/lanes.js';
import type { Bucket } from '../metrics/recorder.js';
import { ms } from './analyze.js';
import type { DemoReport } from './model.js';
import { telemetrySection } from './otel-section.js';
import { type Band, esc, lineChart, type StripSegment } from './svg.js';

const BREAKER_COLOR: Record<BreakerState, string> = {
  closed: '#3a9d5d',
  halfOpen: '#e0a400',
  open: '#d64545',
};

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:960px;color:#1d232a;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e3e6ea;padding-bottom:4px}
.sub{color:#5b6570}.pass{color:#1f7a3f}.fail{color:#b42323}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px;margin:16px 0}
.card{border:1px solid #e3e6ea;border-radius:6px;padding:8px 10px}.card b{display:block;font-size:20px}.card span{color:#5b6570;font-size:12px}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f2;vertical-align:top}
th{font-weight:600;color:#3b444d;background:#f7f8f9}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#b42323;font-weight:600}.ok{color:#1f7a3f}
svg{display:block;margin:8px 0 2px;max-width:100%;height:auto}
svg .t{font-size:13px;font-weight:600;fill:#1d232a}svg .a{font-size:10px;fill:#5b6570}svg .b{font-size:10px;fill:#8a939c}
svg .g{stroke:#eef0f2}svg .frame{stroke:#c9cfd5}svg .sep{stroke:#d5d9de;stroke-dasharray:3 3}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;vertical-align:middle}
code{background:#f3f4f6;padding:1px 4px;border-radius:3px}
`;

/** The run as one self-contained HTML page: summary, phases, charts per cloud (inline SVG), checks, verification. */
export function renderHtml(r: DemoReport): string {
  const mode = typeof r.writeMode === 'string' ? r.writeMode : `quorum:${r.writeMode.quorum}`;
  const v = r.verification;
  const verified = v.clouds.reduce((n, c) => n + c.verified, 0);
  const parts: string[] = [];
  parts.push('<!doctype html><html lang="en"><head><meta charset="utf-8">');
  parts.push('<meta name="viewport" content="width=device-width,initial-scale=1">');
  parts.push(
    `<title>@failover outage demo: ${esc(r.scenarioTitle)}</title><style>${CSS}</style></head><body>`,
  );
  parts.push(`<h1>@failover outage demo: ${esc(r.scenarioTitle)}</h1>`);
  parts.push(
    `<p class="sub">Scenario <code>${esc(r.scenario)}</code>, writes <code>${esc(mode)}</code>, seed ${r.seed}, ` +
      `${(r.durationMs / 1000).toFixed(0)} s of traffic (${(r.wallMs / 1000).toFixed(1)} s with setup and verification).</p>`,
  );
  parts.push(
    r.ok
      ? r.appErrorsExpected
        ? '<p class="pass"><b>PASS</b>: with every cloud down the application saw errors, but nothing it was told was saved was lost; every object checks out on every cloud.</p>'
        : '<p class="pass"><b>PASS</b>: the application survived the outage and every object checks out on every cloud.</p>'
      : '<p class="fail"><b>FAIL</b>: at least one check failed (see below).</p>',
  );

  parts.push('<div class="cards">');
  const card = (value: string, label: string, bad = false): void => {
    parts.push(
      `<div class="card"><b class="${bad ? 'bad' : ''}">${esc(value)}</b><span>${esc(label)}</span></div>`,
    );
  };
  card(String(r.operations.total), 'operations by the application');
  card(String(r.appErrors.total), 'errors seen by the application', r.appErrors.total > 0);
  card(String(r.failovers.storage + r.failovers.api), 'failovers (storage + API)');
  card(r.timeToFailoverMs === undefined ? 'n/a' : ms(r.timeToFailoverMs), 'time to fail over');
  card(r.timeToFailBackMs === undefined ? 'n/a' : ms(r.timeToFailBackMs), 'time to fail back');
  card(`${r.writes.journaled} / ${r.writes.repaired}`, 'writes journaled / copies repaired');
  card(String(verified), `copies verified on ${v.clouds.length} clouds`);
  card(String(r.lost), 'acknowledged writes lost', r.lost > 0);
  parts.push('</div>');

  parts.push(
    '<h2>Phases</h2><table><tr><th>phase</th><th>time</th><th>what the demo does</th><th>what it stands for</th></tr>',
  );
  for (const p of r.phases) {
    parts.push(
      `<tr><td><b>${esc(p.id)}</b></td><td>${(p.startMs / 1000).toFixed(1)}–${((p.startMs + p.durationMs) / 1000).toFixed(1)} s</td>` +
        `<td>${esc(p.title)}</td><td>${esc(p.realWorld)}</td></tr>`,
    );
  }
  parts.push('</table>');

  const bands: Band[] = r.phases.map((p) => ({
    x0: p.startMs,
    x1: p.startMs + p.durationMs,
    label: p.id,
    faulty: Object.values(p.faults).some((f) => f !== undefined && f.type !== 'pass'),
  }));
  const { bucketMs, buckets } = r.timeline;
  const xMax = Math.max(r.durationMs, ...buckets.map((b) => b.startMs + bucketMs));
  const rate = (n: number): number => (n * 1000) / bucketMs;
  const at = (b: Bucket): number => b.startMs + bucketMs / 2;

  parts.push('<h2>Timeline</h2>');
  parts.push(
    '<p class="sub">Red bands: phases with faults. Per cloud: <i>requests/s</i> is every HTTP request that reached the cloud ' +
      '(retries, probes and repair included), <i>served/s</i> the application calls it answered, <i>failures/s</i> the ' +
      'failed attempts the library saw (and hid from the application). The strip under each chart is the breaker: ' +
      '<span style="color:#3a9d5d">closed</span>, <span style="color:#e0a400">half-open</span>, <span style="color:#d64545">open</span>.</p>',
  );
  parts.push(
    lineChart({
      title: 'Application: operations and the errors it saw',
      xMax,
      bands,
      yLabel: 'per second',
      series: [
        { label: 'operations/s', color: '#3366cc', points: buckets.map((b) => [at(b), rate(b.ops)]) },
        { label: 'app errors/s', color: '#d62728', points: buckets.map((b) => [at(b), rate(b.appErrors)]) },
      ],
    }),
  );
  parts.push(
    lineChart({
      title: 'Replication journal: writes some cloud still lacks, and repair',
      xMax,
      bands,
      yLabel: 'count / per second',
      series: [
        { label: 'backlog', color: '#8e44ad', area: true, points: buckets.map((b) => [at(b), b.backlog]) },
        {
          label: 'repaired/s',
          color: '#2ca02c',
          points: buckets.map((b, i) => [at(b), rate(b.repaired - (i === 0 ? 0 : buckets[i - 1]!.repaired))]),
        },
      ],
    }),
  );
  for (const lane of LANES) {
    parts.push(
      lineChart({
        title: `${lane.label} (${lane.group === 'storage' ? 'multi-cloud store target' : 'pricing API endpoint'})`,
        xMax,
        bands,
        yLabel: 'per second',
        stripLabel: 'breaker',
        strip: breakerStrip(buckets, lane.id, bucketMs),
        series: [
          {
            label: 'requests/s',
            color: '#9aa5b1',
            area: true,
            points: buckets.map((b) => [at(b), rate(b.lanes[lane.id]?.requests ?? 0)]),
          },
          {
            label: 'served/s',
            color: '#3366cc',
            points: buckets.map((b) => [at(b), rate(b.lanes[lane.id]?.served ?? 0)]),
          },
          {
            label: 'failures/s',
            color: '#ff7f0e',
            points: buckets.map((b) => [at(b), rate(b.lanes[lane.id]?.failures ?? 0)]),
          },
        ],
      }),
    );
  }

  parts.push('<h2>Checks</h2><table>');
  for (const c of r.checks) {
    parts.push(
      `<tr><td class="${c.ok ? 'ok' : 'bad'}">${c.ok ? '✔' : '✘'}</td><td><b>${esc(c.name)}</b></td><td>${esc(c.detail)}</td></tr>`,
    );
  }
  parts.push('</table>');

  parts.push('<h2>Verification</h2>');
  parts.push(
    `<p class="sub">After the run every cloud was read directly through its own SDK (no failover, no fault proxy). ` +
      `${v.keys} keys were written: ${v.liveKeys} must hold their last acknowledged bytes everywhere, ${v.deletedKeys} were ` +
      `deleted and must be absent everywhere, ${v.uncertainKeys} had a failed last write (either state is correct).</p>`,
  );
  parts.push(
    '<table><tr><th>cloud</th><th class="n">verified</th><th class="n">bytes</th><th class="n">SHA-256 stamped</th>' +
      '<th class="n">deleted, absent</th><th class="n">missing</th><th class="n">wrong</th><th class="n">resurrected</th><th class="n">unexpected</th><th class="n">unreadable</th></tr>',
  );
  for (const c of v.clouds) {
    const n = (x: number): string => `<td class="n${x > 0 ? ' bad' : ''}">${x}</td>`;
    parts.push(
      `<tr><td><b>${esc(c.target)}</b></td><td class="n">${c.verified}</td><td class="n">${(c.bytesVerified / 1024 / 1024).toFixed(2)} MiB</td>` +
        `<td class="n">${c.stampedSha256}</td><td class="n">${c.deletedAbsent}</td>${n(c.missing.length)}${n(c.mismatched.length)}` +
        `${n(c.resurrected.length)}${n(c.unexpected.length)}${n(c.unreadable.length)}</tr>`,
    );
  }
  parts.push('</table>');
  for (const c of v.clouds) {
    for (const [label, keys] of [
      ['missing', c.missing],
      ['wrong content', c.mismatched],
      ['resurrected', c.resurrected],
      ['unexpected', c.unexpected],
      ['unreadable', c.unreadable],
    ] as const) {
      if (keys.length > 0) {
        parts.push(
          `<p class="bad">${esc(c.target)}, ${label}: ${keys
            .slice(0, 30)
            .map((k) => `<code>${esc(k)}</code>`)
            .join(' ')}${keys.length > 30 ? ' …' : ''}</p>`,
        );
      }
    }
  }

  parts.push('<h2>What the application saw</h2>');
  if (r.appErrors.total === 0) {
    parts.push('<p class="ok">No operation failed: the outage was invisible to the application.</p>');
  } else {
    parts.push(
      `<p>${r.appErrors.total} operations failed. By phase: ${Object.entries(r.appErrors.byPhase)
        .map(([p, n]) => `<b>${esc(p)}</b> ${n}`)
        .join(', ')}. By cause: ${Object.entries(r.appErrors.byKind)
        .map(([k, n]) => `<code>${esc(k)}</code> ${n}`)
        .join(', ')}.</p>`,
    );
    parts.push('<table><tr><th>time</th><th>operation</th><th>error</th></tr>');
    for (const e of r.appErrors.samples) {
      parts.push(
        `<tr><td>${(e.atMs / 1000).toFixed(1)} s</td><td>${esc(e.op)}</td><td>${esc(e.source)}: <code>${esc(e.name)}</code> ${esc(e.message)}</td></tr>`,
      );
    }
    parts.push('</table>');
    parts.push(
      `<p>A failed write was never reported as a success: the application knew each of these failed. ${
        r.lost === 0
          ? '<b class="ok">Every write it was told had succeeded is present, byte for byte, on all three clouds.</b>'
          : `<b class="bad">${r.lost} acknowledged writes are missing or wrong.</b>`
      }</p>`,
    );
  }
  parts.push(
    `<p class="sub">Writes: ${r.writes.acknowledged} acknowledged, ${r.writes.unacknowledged} failed; ${r.writes.journaled} journaled ` +
      `because a cloud missed them; repair made ${r.writes.repaired} copies in ${r.writes.repairPasses} passes; backlog at the end ${r.writes.backlogAtEnd}.</p>`,
  );
  parts.push(telemetrySection(r.telemetry));
  parts.push('</body></html>\n');
  return parts.join('\n');
}

function breakerStrip(buckets: readonly Bucket[], lane: string, bucketMs: number): StripSegment[] {
  const out: StripSegment[] = [];
  for (const b of buckets) {
    const state = b.lanes[lane]?.breaker ?? 'closed';
    const last = out[out.length - 1];
    if (last !== undefined && last.title === state && last.x1 === b.startMs) {
      out[out.length - 1] = { ...last, x1: b.startMs + bucketMs };
    } else {
      out.push({ x0: b.startMs, x1: b.startMs + bucketMs, color: BREAKER_COLOR[state], title: state });
    }
  }
  return out;
}
