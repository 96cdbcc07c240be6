import { createFailover } from '@failover/core';
import { createCallObserver, instrument } from '@failover/otel';
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
import { describe, expect, it } from 'vitest';
import { headlineRows, metricsDocument, SpanSummary, totalOf } from '../src/telemetry/documents.js';
import { telemetryPaths } from '../src/telemetry/otel.js';

/** A router over two targets, the first failing, with the real SDK's in-memory exporters. */
async function recorded() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 2_000_000_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const router = createFailover({
    targets: [{ name: 'east' }, { name: 'west' }],
    retry: { maxAttempts: 1 },
    // Every call meets east's refusal (two in a row would open its breaker: the 3rd call skips it).
    breaker: { consecutiveFailures: 0 },
    attemptTimeoutMs: false,
    hedge: false,
    observer: createCallObserver({ name: 'api', tracerProvider, meterProvider }),
  });
  const stop = instrument(router, { name: 'api', meterProvider });
  const down = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
  for (let i = 0; i < 3; i++) {
    await router.run(async (t) => {
      if (t.name === 'east') throw down;
      return t.name;
    });
  }
  await reader.forceFlush();
  const doc = metricsDocument(exporter.getMetrics(), new Date(0));
  const ended = spans.getFinishedSpans();
  stop();
  router.close();
  await meterProvider.shutdown();
  await tracerProvider.shutdown();
  return { doc, ended };
}

describe('the OpenTelemetry documents the demo writes', () => {
  it('metrics: every metric by name with its points; headline rows sum over the attributes not shown', async () => {
    const { doc } = await recorded();
    expect(doc).toMatchObject({ schema: 1, temporality: 'cumulative', scopes: ['@failover/otel'] });
    expect(doc.metrics.map((m) => m.name)).toEqual([...doc.metrics.map((m) => m.name)].sort());
    expect(totalOf(doc, 'failover.failovers', { 'failover.from': 'east', 'failover.to': 'west' })).toBe(3);
    expect(totalOf(doc, 'failover.calls', { 'failover.outcome': 'success' })).toBe(3);
    const duration = doc.metrics.find((m) => m.name === 'failover.attempt.duration')!;
    expect(duration.type).toBe('histogram');
    expect(duration.points[0]).toHaveProperty('buckets');
    expect(headlineRows(doc)).toContainEqual({
      metric: 'failover.failovers',
      attributes: 'router=api from=east to=west',
      value: 3,
    });
  });

  it('spans: counted by name, router, target, outcome and kind; a failed-over call kept whole, even across batches', async () => {
    const { ended } = await recorded();
    expect(ended.map((s) => s.name)).toEqual(
      Array(3).fill(['failover.attempt', 'failover.attempt', 'failover.call']).flat(),
    );
    const summary = new SpanSummary();
    // The first call's attempts end in one drain, its call span in the next.
    summary.add(ended.slice(0, 2));
    summary.add(ended.slice(2));
    const doc = summary.document();
    expect(doc.spans).toBe(9);
    expect(doc.groups).toContainEqual(
      expect.objectContaining({
        name: 'failover.attempt',
        target: 'east',
        outcome: 'failure',
        kind: 'network',
        count: 3,
      }),
    );
    expect(doc.groups).toContainEqual(
      expect.objectContaining({
        name: 'failover.call',
        router: 'api',
        target: 'west',
        outcome: 'success',
        count: 3,
      }),
    );
    expect(doc.examples).toHaveLength(2); // two per router
    expect(doc.examples[0]!.map((s) => [s.name, s.status, s.attributes['failover.target']])).toEqual([
      ['failover.call', 'unset', 'west'],
      ['failover.attempt', 'error', 'east'],
      ['failover.attempt', 'unset', 'west'],
    ]);
  });

  it('spans: a hedged call whose first attempt failed is kept whole; one whose loser was only aborted is not', async () => {
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const router = createFailover({
      targets: [{ name: 'east' }, { name: 'west' }],
      retry: { maxAttempts: 1 },
      attemptTimeoutMs: false,
      hedge: { afterMs: 1 },
      observer: createCallObserver({ name: 'api', tracerProvider }),
    });
    const down = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    // 1st call: east fails after the hedge to west started; west serves after that (no failover:
    // the hedge was already running). 2nd call: west serves while east is still waiting (aborted).
    for (const eastFails of [true, false]) {
      let westStarted!: () => void;
      const started = new Promise<void>((r) => (westStarted = r));
      let eastDone!: () => void;
      const done = new Promise<void>((r) => (eastDone = r));
      await router.run(
        async (t, { signal }) => {
          if (t.name === 'east') {
            await started;
            if (eastFails) {
              eastDone();
              throw down;
            }
            await new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
          }
          westStarted();
          if (eastFails) {
            await done;
            await new Promise((r) => setImmediate(r)); // east's failure is taken in first
          }
          return t.name;
        },
        { idempotent: true },
      );
    }
    await new Promise((r) => setImmediate(r));
    const summary = new SpanSummary();
    summary.add(spans.getFinishedSpans());
    const doc = summary.document();
    expect(doc.examples).toHaveLength(1);
    expect(
      doc.examples[0]!.map((s) => [
        s.name,
        s.status,
        s.attributes['failover.target'],
        s.attributes['failover.hedge'],
      ]),
    ).toEqual([
      ['failover.call', 'unset', 'west', undefined],
      ['failover.attempt', 'error', 'east', false],
      ['failover.attempt', 'unset', 'west', true],
    ]);
    router.close();
    await tracerProvider.shutdown();
  });

  it('the files go next to the HTML report, named after it', () => {
    expect(telemetryPaths('/tmp/x/report.html')).toEqual({
      metricsPath: '/tmp/x/report.metrics.json',
      spansPath: '/tmp/x/report.spans.json',
    });
  });
});
