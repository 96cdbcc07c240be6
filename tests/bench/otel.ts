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

/** One contender of {@link interleavedOverhead}. */
interface Contender {
  readonly name: string;
  readonly call: () => Promise<unknown>;
  /** The opossum row with the same time limit (none, or 10 s): the like-for-like baseline. */
  readonly like: string;
}

const OPOSSUM_OFF = 'opossum fire() (timeout off)';
const OPOSSUM_10S = 'opossum fire() (timeout 10 s)';

/**
 * The same comparison, robust on a shared machine: every contender lives in one process and they
 * take turns, batch by batch (`rounds` batches of `batch` calls each, after a warm-up; each round
 * starts with the next contender, so none always runs first after the GC), so a burst of load from
 * elsewhere hits them alike. Reports, per contender, the fastest batch (the closest to an idle
 * machine) and the median batch, in ns per call, and its like-for-like opossum row (the same time
 * limit: none, or 10 s).
 */
export async function interleavedOverhead(
  rounds = 40,
  batch = 20_000,
): Promise<{ name: string; minNs: number; medianNs: number; like: string }[]> {
  const closers: (() => void)[] = [];
  const make = (options: Partial<FailoverOptions>, withOtel: boolean): (() => Promise<unknown>) => {
    const fo = createFailover({
      targets,
      ...options,
      ...(withOtel ? { observer: createCallObserver() } : {}),
    });
    const stop = withOtel ? instrument(fo) : undefined;
    closers.push(() => {
      stop?.();
      fo.close();
    });
    return () => fo.run(noop);
  };
  const raw = new CircuitBreaker(noop, { timeout: false, rollingPercentilesEnabled: false });
  const raw10 = new CircuitBreaker(noop, { timeout: 10_000, rollingPercentilesEnabled: false });
  closers.push(
    () => raw.shutdown(),
    () => raw10.shutdown(),
  );
  const contenders: Contender[] = [
    { name: OPOSSUM_OFF, call: () => raw.fire(), like: OPOSSUM_OFF },
    { name: OPOSSUM_10S, call: () => raw10.fire(), like: OPOSSUM_10S },
    {
      name: 'fo.run, attemptTimeoutMs: false',
      call: make({ attemptTimeoutMs: false }, false),
      like: OPOSSUM_OFF,
    },
    {
      name: 'fo.run, attemptTimeoutMs: false, observer + instrument() (API, no SDK)',
      call: make({ attemptTimeoutMs: false }, true),
      like: OPOSSUM_OFF,
    },
    { name: 'fo.run, defaults (attempt timeout 10 s)', call: make({}, false), like: OPOSSUM_10S },
    {
      name: 'fo.run, defaults, observer + instrument() (API, no SDK)',
      call: make({}, true),
      like: OPOSSUM_10S,
    },
  ];
  for (const c of contenders) for (let i = 0; i < 100_000; i++) await c.call();
  const samples = contenders.map(() => [] as number[]);
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (r + k) % contenders.length;
      const c = contenders[i]!;
      gc?.();
      const start = process.hrtime.bigint();
      for (let k = 0; k < batch; k++) await c.call();
      samples[i]!.push(Number(process.hrtime.bigint() - start) / batch);
    }
  }
  for (const close of closers) close();
  return contenders.map((c, i) => {
    const s = samples[i]!.sort((a, b) => a - b);
    return { name: c.name, minNs: s[0]!, medianNs: s[Math.floor(s.length / 2)]!, like: c.like };
  });
}
