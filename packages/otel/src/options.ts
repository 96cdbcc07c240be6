import { readOptions } from '@failover/core';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { InstrumentOptions } from './types.js';

/**
 * Checks the options of {@link instrument} (with `journal`) or {@link createCallObserver}
 * (without) with core's options reader: a bad value or an unknown key throws an
 * `InvalidOptionError` naming it, worded like every other option error of the project.
 */
export function resolveOtelOptions(options: unknown, withJournal: boolean): InstrumentOptions {
  const r = readOptions(options);
  const meterProvider = r.check('meterProvider', isMeterProvider, 'a MeterProvider (with getMeter)');
  const tracerProvider = r.check('tracerProvider', isTracerProvider, 'a TracerProvider (with getTracer)');
  const name = r.string('name');
  const journal = withJournal ? r.check('journal', hasPending, 'a Journal (with pending())') : undefined;
  r.done();
  return {
    ...(meterProvider === undefined ? {} : { meterProvider }),
    ...(tracerProvider === undefined ? {} : { tracerProvider }),
    ...(name === undefined ? {} : { name }),
    ...(journal === undefined ? {} : { journal }),
  };
}

const isMeterProvider = (v: unknown): v is MeterProvider =>
  v !== null && typeof v === 'object' && typeof (v as { getMeter?: unknown }).getMeter === 'function';
const isTracerProvider = (v: unknown): v is TracerProvider =>
  v !== null && typeof v === 'object' && typeof (v as { getTracer?: unknown }).getTracer === 'function';
const hasPending = (v: unknown): v is NonNullable<InstrumentOptions['journal']> =>
  v !== null && typeof v === 'object' && typeof (v as { pending?: unknown }).pending === 'function';
