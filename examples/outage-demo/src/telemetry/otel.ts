import { writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { CallObserver, Failover } from '@failover/core';
import { createCallObserver, instrument } from '@failover/otel';
import type { MultiCloudStore } from '@failover/storage';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { type MetricsDocument, metricsDocument, SpanSummary, type SpansDocument } from './documents.js';

/** The `failover.router` names the demo gives its two routers in metrics and spans. */
export const TELEMETRY_NAMES = Object.freeze({ store: 'orders', api: 'pricing-api' });

/** What the run wrote: the two JSON files and the documents in them. */
export interface TelemetryFiles {
  readonly metricsPath: string;
  readonly spansPath: string;
  readonly metrics: MetricsDocument;
  readonly spans: SpansDocument;
}

/** The OpenTelemetry SDK of one demo run, wired to the store and the pricing client. */
export interface DemoTelemetry {
  /** For `createOrderStore` (`failover.observer`): a span per call, a child per attempt. */
  readonly storeObserver: CallObserver;
  /** For `createPricingClient` (`observer`). */
  readonly apiObserver: CallObserver;
  /** `instrument()`s the store and the pricing client's router (events and status as metrics). */
  attach(store: MultiCloudStore, api: Failover): void;
  /**
   * Collects every metric now and writes `<report>.metrics.json` and `<report>.spans.json` next
   * to the HTML report `htmlPath`.
   */
  write(htmlPath: string): Promise<TelemetryFiles>;
  /** Removes the instrumentation and shuts the SDK down. Safe to call twice. */
  stop(): Promise<void>;
}

/** The JSON files that go with the HTML report at `htmlPath` (`report.html` -> `report.metrics.json`). */
export function telemetryPaths(htmlPath: string): { metricsPath: string; spansPath: string } {
  const stem = basename(htmlPath, extname(htmlPath));
  const dir = dirname(htmlPath);
  return { metricsPath: join(dir, `${stem}.metrics.json`), spansPath: join(dir, `${stem}.spans.json`) };
}

/**
 * Starts a real OpenTelemetry SDK for the run, the way an application would: a `MeterProvider`
 * whose reader exports to the official in-memory exporter (cumulative; collected once, at the
 * end) and a `BasicTracerProvider` whose spans go to the in-memory span exporter. The exporter is
 * drained into a {@link SpanSummary} every second, so memory stays flat on long runs. Nothing is
 * registered globally.
 */
export function startDemoTelemetry(): DemoTelemetry {
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // The periodic export is pushed far out: the run collects once, when it writes the report.
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 2_000_000_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  const summary = new SpanSummary();
  const drain = (): void => {
    const ended = spanExporter.getFinishedSpans();
    if (ended.length === 0) return;
    spanExporter.reset();
    summary.add(ended);
  };
  const drainer = setInterval(drain, 1_000);
  drainer.unref();
  const disposers: (() => void)[] = [];
  let stopped = false;

  const observer = (name: string): CallObserver =>
    createCallObserver({ name, meterProvider, tracerProvider });
  return {
    storeObserver: observer(TELEMETRY_NAMES.store),
    apiObserver: observer(TELEMETRY_NAMES.api),
    attach(store, api) {
      disposers.push(instrument(store, { meterProvider, name: TELEMETRY_NAMES.store }));
      disposers.push(instrument(api, { meterProvider, name: TELEMETRY_NAMES.api }));
    },
    async write(htmlPath) {
      // Background work (repair passes, amnesia checks) may still end calls: collect again until
      // no span ended while the metrics were collected, so both files count the same calls.
      let metrics: MetricsDocument;
      for (let tries = 0; ; tries++) {
        drain();
        const before = summary.spans;
        metricExporter.reset();
        await reader.forceFlush();
        metrics = metricsDocument(metricExporter.getMetrics(), new Date());
        drain();
        if (summary.spans === before || tries >= 9) break;
      }
      const spans = summary.document();
      const paths = telemetryPaths(htmlPath);
      await writeFile(paths.metricsPath, `${JSON.stringify(metrics, null, 2)}\n`);
      await writeFile(paths.spansPath, `${JSON.stringify(spans, null, 2)}\n`);
      return { ...paths, metrics, spans };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(drainer);
      for (const d of disposers.splice(0)) d();
      await meterProvider.shutdown().catch(() => undefined);
      await tracerProvider.shutdown().catch(() => undefined);
    },
  };
}
