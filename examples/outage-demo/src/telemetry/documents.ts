import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** Attribute values as the metrics and spans carry them (names, kinds, counts: never keys or URLs). */
export type AttributeValues = Readonly<Record<string, unknown>>;

/** One data point of a metric: a number (counters, gauges) or a histogram's statistics. */
export type MetricPoint =
  | { readonly attributes: AttributeValues; readonly value: number }
  | {
      readonly attributes: AttributeValues;
      readonly count: number;
      readonly sum: number | undefined;
      readonly min: number | undefined;
      readonly max: number | undefined;
      readonly buckets: { readonly boundaries: readonly number[]; readonly counts: readonly number[] };
    };

/** One metric as the OpenTelemetry SDK exported it. */
export interface MetricEntry {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly type: 'sum' | 'gauge' | 'histogram' | 'exponential_histogram';
  /** For sums: a counter (`true`) or an up-down counter. */
  readonly monotonic?: boolean;
  readonly points: readonly MetricPoint[];
}

/** The metrics JSON file written next to the HTML report. */
export interface MetricsDocument {
  readonly schema: 1;
  readonly source: string;
  readonly temporality: 'cumulative';
  readonly collectedAt: string;
  readonly scopes: readonly string[];
  readonly metrics: readonly MetricEntry[];
}

/**
 * The metrics exported by the SDK's in-memory exporter, as one JSON document: every metric of
 * every scope with its points, sorted by name (points keep the SDK's order).
 */
export function metricsDocument(exported: readonly ResourceMetrics[], collectedAt: Date): MetricsDocument {
  const scopes = new Set<string>();
  const byName = new Map<string, MetricEntry>();
  for (const rm of exported) {
    for (const sm of rm.scopeMetrics) {
      scopes.add(sm.scope.name);
      for (const m of sm.metrics) {
        const entry = entryOf(m);
        const seen = byName.get(entry.name);
        byName.set(
          entry.name,
          seen === undefined ? entry : { ...seen, points: [...seen.points, ...entry.points] },
        );
      }
    }
  }
  return {
    schema: 1,
    source: '@opentelemetry/sdk-metrics MeterProvider, InMemoryMetricExporter',
    temporality: 'cumulative',
    collectedAt: collectedAt.toISOString(),
    scopes: [...scopes].sort(),
    metrics: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)),
  };
}

type SdkMetric = ResourceMetrics['scopeMetrics'][number]['metrics'][number];

function entryOf(m: SdkMetric): MetricEntry {
  const head = { name: m.descriptor.name, description: m.descriptor.description, unit: m.descriptor.unit };
  switch (m.dataPointType) {
    case DataPointType.SUM:
      return {
        ...head,
        type: 'sum',
        monotonic: m.isMonotonic,
        points: m.dataPoints.map((p) => ({ attributes: { ...p.attributes }, value: p.value })),
      };
    case DataPointType.GAUGE:
      return {
        ...head,
        type: 'gauge',
        points: m.dataPoints.map((p) => ({ attributes: { ...p.attributes }, value: p.value })),
      };
    case DataPointType.HISTOGRAM:
      return {
        ...head,
        type: 'histogram',
        points: m.dataPoints.map((p) => ({
          attributes: { ...p.attributes },
          count: p.value.count,
          sum: p.value.sum,
          min: p.value.min,
          max: p.value.max,
          buckets: { boundaries: [...p.value.buckets.boundaries], counts: [...p.value.buckets.counts] },
        })),
      };
    default:
      return {
        ...head,
        type: 'exponential_histogram',
        points: m.dataPoints.map((p) => ({
          attributes: { ...p.attributes },
          count: p.value.count,
          sum: p.value.sum,
          min: p.value.min,
          max: p.value.max,
          buckets: { boundaries: [], counts: [] },
        })),
      };
  }
}

/** The total of a counter's points whose attributes include `match` (0 when none). */
export function totalOf(doc: MetricsDocument, name: string, match: AttributeValues = {}): number {
  const metric = doc.metrics.find((m) => m.name === name);
  if (metric === undefined) return 0;
  let total = 0;
  for (const p of metric.points) {
    if (!Object.entries(match).every(([k, v]) => p.attributes[k] === v)) continue;
    total += 'value' in p ? p.value : p.count;
  }
  return total;
}

/** Spans of one kind with the same router, target, outcome and failure kind. */
export interface SpanGroup {
  readonly name: string;
  readonly router: string;
  readonly target: string | null;
  readonly outcome: string;
  readonly kind: string | null;
  count: number;
  totalMs: number;
  maxMs: number;
}

/** A span kept whole in the summary: a call that failed over, with its attempts. */
export interface ExampleSpan {
  readonly name: string;
  readonly status: 'ok' | 'error' | 'unset';
  readonly durationMs: number;
  readonly attributes: AttributeValues;
}

/** The spans JSON file written next to the HTML report. */
export interface SpansDocument {
  readonly schema: 1;
  readonly source: string;
  /** Every span the SDK ended during the run. */
  readonly spans: number;
  /** Counts and durations by span name, router, target, outcome and failure kind. */
  readonly groups: readonly SpanGroup[];
  /**
   * Up to two calls per router that failed over, whole: the call span first, then its attempts in
   * order. A call failed over when it succeeded on one target after an attempt on another failed
   * (it moved on, or a hedge already running served).
   */
  readonly examples: readonly (readonly ExampleSpan[])[];
}

/** Calls kept whole per router. */
const EXAMPLES_PER_ROUTER = 2;

/** How many batches with none of its spans a trace waits for its call span. */
const WAITING_BATCHES = 5;

/**
 * Folds ended spans into counts and durations as they are drained from the in-memory exporter, so
 * memory stays flat however long the run; keeps the first few calls per router that failed over
 * whole. Attempts end before their call: those whose call has not ended yet are held for one more
 * batch.
 */
export class SpanSummary {
  #spans = 0;
  readonly #groups = new Map<string, SpanGroup>();
  readonly #examples: ExampleSpan[][] = [];
  readonly #examplesByRouter = new Map<string, number>();
  /** Spans of traces whose call span has not come yet, by trace id (with batches since their last span). */
  #waiting = new Map<string, ReadableSpan[]>();
  #waitingAge = new Map<string, number>();

  /** Spans added so far. */
  get spans(): number {
    return this.#spans;
  }

  /** Adds a batch of ended spans. */
  add(batch: readonly ReadableSpan[]): void {
    const byTrace = new Map<string, ReadableSpan[]>();
    for (const span of batch) {
      this.#spans++;
      const a = span.attributes;
      const group = {
        name: span.name,
        router: String(a['failover.router'] ?? ''),
        target: a['failover.target'] === undefined ? null : String(a['failover.target']),
        outcome: String(a['failover.outcome'] ?? 'unknown'),
        kind: a['failover.failure.kind'] === undefined ? null : String(a['failover.failure.kind']),
      };
      const id = JSON.stringify(group);
      const ms = durationMs(span);
      const g = this.#groups.get(id) ?? { ...group, count: 0, totalMs: 0, maxMs: 0 };
      g.count++;
      g.totalMs += ms;
      g.maxMs = Math.max(g.maxMs, ms);
      this.#groups.set(id, g);
      const traceId = span.spanContext().traceId;
      const spans = byTrace.get(traceId) ?? this.#waiting.get(traceId)?.slice() ?? [];
      spans.push(span);
      byTrace.set(traceId, spans);
    }
    const waiting = new Map<string, ReadableSpan[]>();
    for (const [traceId, spans] of byTrace) {
      if (spans.some((s) => s.name === 'failover.call')) this.#keepExample(spans);
      // Attempts end before their call: a trace's spans wait for its call span (a loaded machine
      // spreads one call over several batches), for up to WAITING_BATCHES batches without news.
      else waiting.set(traceId, spans);
    }
    const ages = new Map<string, number>();
    for (const traceId of waiting.keys()) ages.set(traceId, 0);
    for (const [traceId, spans] of this.#waiting) {
      if (byTrace.has(traceId)) continue;
      const age = (this.#waitingAge.get(traceId) ?? 0) + 1;
      if (age >= WAITING_BATCHES) continue;
      waiting.set(traceId, spans);
      ages.set(traceId, age);
    }
    this.#waiting = waiting;
    this.#waitingAge = ages;
  }

  #keepExample(spans: readonly ReadableSpan[]): void {
    const call = spans.find((s) => s.name === 'failover.call');
    if (call === undefined || call.attributes['failover.outcome'] !== 'success') return;
    const router = String(call.attributes['failover.router'] ?? '');
    const kept = this.#examplesByRouter.get(router) ?? 0;
    const attempts = spans
      .filter((s) => s.name === 'failover.attempt')
      .sort((a, b) => hrMs(a.startTime) - hrMs(b.startTime));
    // Failed over: an attempt on another target failed (not merely lost a hedge race), whether the
    // call moved on after it (a failover) or a hedge already running served. With fast breakers a
    // run has only a few such calls; the rest skip the dead cloud without an attempt.
    const served = call.attributes['failover.target'];
    const failedElsewhere = attempts.some(
      (a) =>
        a.attributes['failover.target'] !== served &&
        a.attributes['failover.outcome'] === 'failure' &&
        a.attributes['failover.failure.kind'] !== 'aborted',
    );
    if (!failedElsewhere) return;
    if (kept >= EXAMPLES_PER_ROUTER) return;
    this.#examplesByRouter.set(router, kept + 1);
    this.#examples.push([call, ...attempts].map(exampleOf));
  }

  /** The document written to the spans JSON file. */
  document(): SpansDocument {
    return {
      schema: 1,
      source: '@opentelemetry/sdk-trace-base BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter',
      spans: this.#spans,
      groups: [...this.#groups.values()]
        .map((g) => ({ ...g, totalMs: round(g.totalMs), maxMs: round(g.maxMs) }))
        .sort(
          (a, b) =>
            a.name.localeCompare(b.name) ||
            a.router.localeCompare(b.router) ||
            (a.target ?? '').localeCompare(b.target ?? '') ||
            b.count - a.count,
        ),
      examples: this.#examples,
    };
  }
}

function exampleOf(span: ReadableSpan): ExampleSpan {
  return {
    name: span.name,
    status: span.status.code === 2 ? 'error' : span.status.code === 1 ? 'ok' : 'unset',
    durationMs: round(durationMs(span)),
    attributes: { ...span.attributes },
  };
}

const hrMs = (t: readonly [number, number]): number => t[0] * 1000 + t[1] / 1e6;
const durationMs = (span: ReadableSpan): number => hrMs(span.duration);
const round = (n: number): number => Math.round(n * 1000) / 1000;

/** One line of the report's OpenTelemetry table: a metric summed over the attributes not shown. */
export interface HeadlineRow {
  readonly metric: string;
  /** The attributes the row is for, as `name=value` pairs. */
  readonly attributes: string;
  readonly value: number;
}

/** Which metrics the report shows, summed over every attribute but these. */
const HEADLINES: readonly { readonly name: string; readonly by: readonly string[] }[] = [
  { name: 'failover.failovers', by: ['failover.router', 'failover.from', 'failover.to'] },
  {
    name: 'failover.breaker.transitions',
    by: ['failover.router', 'failover.target', 'failover.breaker.state'],
  },
  { name: 'failover.calls', by: ['failover.router', 'failover.outcome'] },
  { name: 'failover.attempts', by: ['failover.router', 'failover.target', 'failover.outcome'] },
  { name: 'failover.storage.journaled', by: ['failover.router'] },
  { name: 'failover.storage.repairs', by: ['failover.router', 'failover.target'] },
  { name: 'failover.storage.repair.passes', by: ['failover.router'] },
];

/** The rows of the report's OpenTelemetry table, from the exported metrics. */
export function headlineRows(doc: MetricsDocument): HeadlineRow[] {
  const rows: HeadlineRow[] = [];
  for (const { name, by } of HEADLINES) {
    const metric = doc.metrics.find((m) => m.name === name);
    if (metric === undefined) continue;
    const sums = new Map<string, number>();
    for (const p of metric.points) {
      const key = by
        .filter((k) => p.attributes[k] !== undefined)
        .map((k) => `${k.replace(/^failover\./, '')}=${String(p.attributes[k])}`)
        .join(' ');
      sums.set(key, (sums.get(key) ?? 0) + ('value' in p ? p.value : p.count));
    }
    for (const [attributes, value] of [...sums].sort(([a], [b]) => a.localeCompare(b))) {
      if (value > 0) rows.push({ metric: name, attributes, value });
    }
  }
  return rows;
}
