import { createFailover, type FailoverOptions } from '@failover/core';
import { createCallObserver, instrument } from '@failover/otel';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import CircuitBreaker from 'opossum';
import type { BenchCase } from './core.js';
import { type BenchOptions, measure } from './harness.js';

/**
 * What @failover/otel costs on the closed path (one no-op call, every breaker closed), against raw
 * opossum `fire()`: with `@opentelemetry/api` installed but no SDK registered (the API's no-op
 * providers: what a library user who has not set up OpenTelemetry gets), and with a real SDK
 * recording every span and metric (no exporter).
 */
const noop = async (): Promise<number> => 1;
const targets = [{ name: 'a' }];
/** The SDK case records a span pair and three metric points per call: fewer calls suffice. */
const SDK_RUN: BenchOptions = { batch: 5_000, samples: 9, warmup: 10_000 };

async function ns(fn: () => Promise<unknown>, options?: BenchOptions): Promise<number> {
  return (await measure('', fn, options)).nsPerOp;
}

async function opossum(timeout: number | false): Promise<number> {
  const b = new CircuitBreaker(noop, { timeout, rollingPercentilesEnabled: false });
  const r = await ns(() => b.fire());
  b.shutdown();
  return r;
}

/** `fo.run(noop)`, optionally with `instrument()` and the observer, both on the global (no-op) API. */
async function router(options: Partial<FailoverOptions>, otel: boolean): Promise<number> {
  const fo = createFailover({ targets, ...options, ...(otel ? { observer: createCallObserver() } : {}) });
  const stop = otel ? instrument(fo) : undefined;
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
  otel(OTEL_BASELINE, () => opossum(false)),
  otel('opossum fire() (timeout 10 s), baseline', () => opossum(10_000)),
  otel('fo.run, attemptTimeoutMs: false', () => router({ attemptTimeoutMs: false }, false)),
  otel('fo.run, attemptTimeoutMs: false, observer + instrument() (API, no SDK)', () =>
    router({ attemptTimeoutMs: false }, true),
  ),
  otel('fo.run, defaults (attempt timeout 10 s)', () => router({}, false)),
  otel('fo.run, defaults, observer + instrument() (API, no SDK)', () => router({}, true)),
  otel('fo.run, defaults, observer with a real SDK (spans + metrics recorded)', async () => {
    const tracerProvider = new BasicTracerProvider();
    const meterProvider = new MeterProvider();
    const fo = createFailover({ targets, observer: createCallObserver({ tracerProvider, meterProvider }) });
    const r = await ns(() => fo.run(noop), SDK_RUN);
    fo.close();
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
    return r;
  }),
];
