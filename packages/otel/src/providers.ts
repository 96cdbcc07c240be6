import { type Meter, metrics, type Tracer, trace } from '@opentelemetry/api';
import type { InstrumentOptions } from './types.js';

/** The instrumentation scope of every meter and tracer this package makes. */
export const SCOPE = '@failover/otel';

/** The meter for `options`: the given provider's, else the global one's. */
export function meterOf(options: InstrumentOptions): Meter {
  return (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
}

/** The tracer for `options`: the given provider's, else the global proxy tracer. */
export function tracerOf(options: Pick<InstrumentOptions, 'tracerProvider'>): Tracer {
  return (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
}
