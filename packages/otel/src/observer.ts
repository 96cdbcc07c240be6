import type {
  AttemptObservation,
  AttemptOutcome,
  CallObservation,
  CallObserver,
  CallOutcome,
  CallStartInfo,
} from '@failover/core';
import {
  type Attributes,
  type Context,
  context,
  createNoopMeter,
  type Histogram,
  ProxyTracerProvider,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { ATTR, METRICS } from './names.js';
import { resolveOtelOptions } from './options.js';
import { meterOf, SCOPE } from './providers.js';
import type { InstrumentOptions } from './types.js';

/** Options of {@link createCallObserver}. */
export type CallObserverOptions = Pick<InstrumentOptions, 'meterProvider' | 'tracerProvider' | 'name'>;

/** Span names: one `failover.call` per logical call, one `failover.attempt` child per attempt. */
export const SPANS = Object.freeze({ call: 'failover.call', attempt: 'failover.attempt' });

/** The API's no-op tracer provider (what the global proxy delegates to while no SDK is registered). */
const NOOP_TRACER_PROVIDER: TracerProvider = new ProxyTracerProvider().getDelegate();
/** The API's no-op histogram: instruments of a meter without an SDK are this one object. */
const NOOP_HISTOGRAM: Histogram = createNoopMeter().createHistogram('noop');

/**
 * A `CallObserver` for `createFailover({ observer })` (or a multi-cloud store's
 * `failover: { observer }`) that traces every call and times every attempt:
 *
 * - a `failover.call` span per logical call, a child of the caller's active span, and a
 *   `failover.attempt` child per attempt (attributes: target, attempt number, hedge, outcome,
 *   failure kind), active while the operation runs so the cloud SDK's own spans nest under it;
 * - `failover.calls` (by outcome, kind and serving target), `failover.call.duration` and
 *   `failover.attempt.duration` (per target, outcome and kind).
 *
 * Spans and attributes carry names, kinds and counts only: never keys, bodies, URLs, error
 * messages or credentials. With no provider given and no SDK registered globally the observer
 * ignores every call (one check per call).
 *
 * @example
 * const router = createFailover({ targets, observer: createCallObserver({ tracerProvider, meterProvider }) });
 */
export function createCallObserver(input: CallObserverOptions = {}): CallObserver {
  const options = resolveOtelOptions(input, false);
  const router = options.name ?? 'failover';
  const given = options.tracerProvider;
  const meter = meterOf(options);
  const calls = meter.createCounter(METRICS.calls, {
    description: 'Logical calls, by outcome (and failure kind) and the target that served them',
    unit: '{call}',
  });
  const callDuration = meter.createHistogram(METRICS.callDuration, {
    description: 'Duration of logical calls, retries and failover included',
    unit: 's',
  });
  const attemptDuration = meter.createHistogram(METRICS.attemptDuration, {
    description: 'Duration of single attempts, per target',
    unit: 's',
  });
  const metricsOn = attemptDuration !== NOOP_HISTOGRAM;
  let fixedTracer: Tracer | undefined;
  const tracerNow = (): Tracer | undefined => {
    if (given !== undefined) {
      fixedTracer ??= given.getTracer(SCOPE);
      return fixedTracer;
    }
    const global = trace.getTracerProvider();
    if (global instanceof ProxyTracerProvider && global.getDelegate() === NOOP_TRACER_PROVIDER)
      return undefined;
    return global.getTracer(SCOPE);
  };
  const base: Attributes = { [ATTR.router]: router };

  return {
    onCallStart(info: CallStartInfo): CallObservation | undefined {
      const tracer = tracerNow();
      if (tracer === undefined && !metricsOn) return undefined;
      return new Observation(
        tracer,
        info,
        base,
        metricsOn ? { calls, callDuration, attemptDuration } : undefined,
      );
    },
  };
}

interface Instruments {
  readonly calls: ReturnType<ReturnType<typeof meterOf>['createCounter']>;
  readonly callDuration: Histogram;
  readonly attemptDuration: Histogram;
}

/** One call: its span (when tracing) and its start time. */
class Observation implements CallObservation {
  readonly #tracer: Tracer | undefined;
  readonly #span: Span | undefined;
  readonly #context: Context | undefined;
  readonly #base: Attributes;
  readonly #metrics: Instruments | undefined;
  readonly #started = performance.now();

  constructor(
    tracer: Tracer | undefined,
    info: CallStartInfo,
    base: Attributes,
    metrics: Instruments | undefined,
  ) {
    this.#tracer = tracer;
    this.#base = base;
    this.#metrics = metrics;
    if (tracer !== undefined) {
      const parent = context.active();
      this.#span = tracer.startSpan(
        SPANS.call,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            ...base,
            'failover.idempotent': info.idempotent,
            'failover.targets': [...info.targets],
          },
        },
        parent,
      );
      this.#context = trace.setSpan(parent, this.#span);
    }
  }

  onAttemptStart(target: string, attemptNo: number, hedge: boolean): AttemptObservation | undefined {
    const attrs: Attributes = { ...this.#base, [ATTR.target]: target };
    let span: Span | undefined;
    let ctx: Context | undefined;
    if (this.#tracer !== undefined) {
      span = this.#tracer.startSpan(
        SPANS.attempt,
        { kind: SpanKind.INTERNAL, attributes: { ...attrs, [ATTR.attempt]: attemptNo, [ATTR.hedge]: hedge } },
        this.#context,
      );
      ctx = trace.setSpan(this.#context!, span);
    }
    const started = performance.now();
    const metrics = this.#metrics;
    return {
      ...(ctx === undefined ? {} : { run: <R>(fn: () => R): R => context.with(ctx, fn) }),
      end(outcome: AttemptOutcome): void {
        const result = outcomeAttrs(outcome);
        if (span !== undefined) {
          span.setAttributes(result);
          if (!outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.kind });
          span.end();
        }
        metrics?.attemptDuration.record((performance.now() - started) / 1000, { ...attrs, ...result });
      },
    };
  }

  end(outcome: CallOutcome): void {
    const result: Attributes = {
      ...outcomeAttrs(outcome),
      ...(outcome.target === undefined ? {} : { [ATTR.target]: outcome.target }),
    };
    const span = this.#span;
    if (span !== undefined) {
      span.setAttributes({
        ...result,
        [ATTR.attempts]: outcome.attempts,
        'failover.failovers': outcome.failoverCount,
      });
      if (!outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.kind });
      span.end();
    }
    const metrics = this.#metrics;
    if (metrics !== undefined) {
      const attrs = { ...this.#base, ...result };
      metrics.calls.add(1, attrs);
      metrics.callDuration.record((performance.now() - this.#started) / 1000, attrs);
    }
  }
}

function outcomeAttrs(outcome: AttemptOutcome | CallOutcome): Attributes {
  return outcome.ok
    ? { [ATTR.outcome]: 'success' }
    : { [ATTR.outcome]: 'failure', [ATTR.kind]: outcome.kind };
}
