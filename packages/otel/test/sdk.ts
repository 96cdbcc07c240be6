import {
  AggregationTemporality,
  type DataPoint,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { vi } from 'vitest';

/**
 * A real OpenTelemetry SDK with the official in-memory exporters: metrics are exported on
 * `collect()` (the periodic export is set far in the future), spans as they end.
 */
export interface TestSdk {
  readonly meterProvider: MeterProvider;
  readonly tracerProvider: BasicTracerProvider;
  readonly spans: InMemorySpanExporter;
  /** Collects and exports every metric now; returns the points of each metric by name. */
  collect(): Promise<Map<string, DataPoint<unknown>[]>>;
  shutdown(): Promise<void>;
}

export function startSdk(): TestSdk {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 2_000_000_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  return {
    meterProvider,
    tracerProvider,
    spans,
    async collect() {
      exporter.reset();
      let done = false;
      const flushed = reader.forceFlush().finally(() => {
        done = true;
      });
      // The in-memory exporter answers from a 0 ms timer: let fake timers reach it.
      while (!done && vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(0);
      await flushed;
      const byName = new Map<string, DataPoint<unknown>[]>();
      for (const rm of exporter.getMetrics()) {
        for (const sm of rm.scopeMetrics) {
          for (const m of sm.metrics) {
            byName.set(m.descriptor.name, [
              ...(byName.get(m.descriptor.name) ?? []),
              ...(m.dataPoints as DataPoint<unknown>[]),
            ]);
          }
        }
      }
      return byName;
    },
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

/** The value of the point of `name` whose attributes include `attrs` (undefined when none). */
export function pointOf(
  metrics: Map<string, DataPoint<unknown>[]>,
  name: string,
  attrs: Record<string, string | number | boolean>,
): unknown {
  const points = metrics.get(name) ?? [];
  const p = points.find((d) => Object.entries(attrs).every(([k, v]) => d.attributes[k] === v));
  return p?.value;
}
