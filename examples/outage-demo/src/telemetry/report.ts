import type { TelemetryReport } from '../report/otel-section.js';
import { headlineRows } from './documents.js';
import type { TelemetryFiles } from './otel.js';

/** What the demo report keeps of the files written: their paths, the metric names and the headline counters. */
export function telemetryReport(files: TelemetryFiles): TelemetryReport {
  return {
    metricsPath: files.metricsPath,
    spansPath: files.spansPath,
    metricNames: files.metrics.metrics.map((m) => m.name),
    spans: files.spans.spans,
    headline: headlineRows(files.metrics),
  };
}
