import { basename } from 'node:path';
import type { HeadlineRow } from '../telemetry/documents.js';
import { esc } from './svg.js';

/** What the report says about the OpenTelemetry data the run exported. */
export interface TelemetryReport {
  /** The metrics JSON file (absolute path). */
  readonly metricsPath: string;
  /** The spans summary JSON file (absolute path). */
  readonly spansPath: string;
  /** How many metrics were exported, and their names. */
  readonly metricNames: readonly string[];
  /** How many spans ended during the run. */
  readonly spans: number;
  /** The headline counters, summed by the attributes that matter. */
  readonly headline: readonly HeadlineRow[];
}

/** The HTML report's OpenTelemetry section: links to the JSON files (relative) and the headline counters. */
export function telemetrySection(t: TelemetryReport | undefined): string {
  if (t === undefined) return '';
  const metrics = basename(t.metricsPath);
  const spans = basename(t.spansPath);
  const parts = [
    '<h2>OpenTelemetry</h2>',
    `<p class="sub">The store and the pricing client were instrumented with <code>@failover/otel</code> ` +
      `(<code>instrument()</code> and <code>createCallObserver()</code>) over a real OpenTelemetry SDK ` +
      `(<code>@opentelemetry/sdk-metrics</code>, <code>@opentelemetry/sdk-trace-base</code>, in-memory exporters). ` +
      `Exported: ${t.metricNames.length} metrics in <a href="${esc(metrics)}">${esc(metrics)}</a>, ` +
      `${t.spans} spans summarized in <a href="${esc(spans)}">${esc(spans)}</a>. ` +
      `The names are those of docs/observability.md.</p>`,
    '<table><tr><th>metric</th><th>attributes</th><th class="n">value</th></tr>',
  ];
  for (const row of t.headline) {
    parts.push(
      `<tr><td><code>${esc(row.metric)}</code></td><td>${esc(row.attributes)}</td><td class="n">${row.value}</td></tr>`,
    );
  }
  parts.push('</table>');
  return parts.join('\n');
}
