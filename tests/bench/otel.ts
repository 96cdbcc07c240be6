import { createFailover, type FailoverOptions } from '@failover/core';
import { createCallObserver, instrument } from '@failover/otel';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import CircuitBreaker from 'opossum';
import type { BenchCase } from './core.js';
import { measure } from './harness.js';

/**
 * What @failover/otel costs on the closed path (one no-op call, every breaker closed), against raw
 * opossum `fire()`: with `@opentelemetry/api` installed but no SDK registered (the API's no-op
 * providers: what a library user who has not set up OpenTelemetry gets), and with a real SDK
 * recording every span and metric (no exporter).
 */
const noop = async (): Promise<number> => 1;
const targets = [{ name: 'a' }];

async function ns(fn: () => Promise<unknown>): Promise<number> {
  return (await measure('', fn)).nsPerOp;
}

async function router(options: Partial<FailoverOptions>, instrumented = false): Promise<number> {
  const fo = createFailover({ targets, ...options });
  const stop = instrumented ? instrument(fo) : undefined;
  const r = await ns(() => fo.run(noop));
  stop?.();
  fo.close();
  return r;
}

function otel(name: string, run: () => Promise<number>): BenchCase {
  return { name, group: 'closed', run };
}

/** The baseline's name in this table. */
export const OTEL_BASELINE = 'opossum fire() (timeout off), baseline';

export const otelCases: readonly BenchCase[] = [
  otel(OTEL_BASELINE, async () => {
    const b = new CircuitBreaker(noop, { timeout: false, rollingPercentilesEnabled: false });
    const r = await ns(() => b.fire());
    b.shutdown();
    return r;
  }),
  otel('fo.run, no instrumentation', () => router({})),
  otel('fo.run + instrument() (API, no SDK)', () => router({}, true)),
  otel('fo.run + createCallObserver() (API, no SDK)', () => router({ observer: createCallObserver() })),
  otel('fo.run + observer + instrument() (API, no SDK)', () =>
    router({ observer: createCallObserver() }, true),
  ),
  otel('fo.run + observer with a real SDK (spans + metrics recorded)', async () => {
    const tracerProvider = new BasicTracerProvider();
    const meterProvider = new MeterProvider();
    const r = await router({ observer: createCallObserver({ tracerProvider, meterProvider }) });
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
    return r;
  }),
];
