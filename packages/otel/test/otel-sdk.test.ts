import { createFailover } from '@failover/core';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCallObserver, instrument, METRICS, SPANS } from '../src/index.js';
import { pointOf, startSdk, type TestSdk } from './sdk.js';

const unavailable = (): Error => Object.assign(new Error('HTTP 503 (token=abc)'), { status: 503 });
const SECRET_BODY = 'the-object-body-never-goes-into-a-span';

describe('createCallObserver with the OpenTelemetry SDK: one span per call, one child per attempt', () => {
  let sdk: TestSdk;
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    contextManager.enable();
    context.setGlobalContextManager(contextManager);
  });
  afterAll(() => {
    context.disable();
  });
  beforeEach(() => {
    sdk = startSdk();
  });
  afterEach(async () => {
    await sdk.shutdown();
  });

  it('a failover: the call span is a child of the caller span, with a failed and a successful attempt', async () => {
    const observer = createCallObserver({
      tracerProvider: sdk.tracerProvider,
      meterProvider: sdk.meterProvider,
      name: 'blobs',
    });
    const fo = createFailover({
      targets: [{ name: 'aws' }, { name: 'gcp' }],
      retry: { maxAttempts: 1 },
      observer,
    });
    const activeInside: (string | undefined)[] = [];
    const tracer = sdk.tracerProvider.getTracer('app');
    const value = await tracer.startActiveSpan('GET /invoice', async (request) => {
      try {
        return await fo.run(
          async (t) => {
            activeInside.push(trace.getActiveSpan()?.spanContext().spanId);
            if (t.name === 'aws') throw unavailable();
            return SECRET_BODY;
          },
          { idempotent: true },
        );
      } finally {
        request.end();
      }
    });
    fo.close();
    expect(value).toBe(SECRET_BODY);

    const spans = sdk.spans.getFinishedSpans();
    const request = spans.find((s) => s.name === 'GET /invoice')!;
    const call = only(spans, SPANS.call);
    const attempts = spans.filter((s) => s.name === SPANS.attempt);
    expect(parentOf(call)).toBe(request.spanContext().spanId);
    expect(call.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(call.attributes).toMatchObject({
      'failover.router': 'blobs',
      'failover.outcome': 'success',
      'failover.target': 'gcp',
      'failover.attempts': 2,
      'failover.failovers': 1,
      'failover.idempotent': true,
      'failover.targets': ['aws', 'gcp'],
    });
    expect(attempts.map((a) => [a.attributes['failover.target'], a.attributes['failover.outcome']])).toEqual([
      ['aws', 'failure'],
      ['gcp', 'success'],
    ]);
    for (const a of attempts) expect(parentOf(a)).toBe(call.spanContext().spanId);
    expect(attempts[0]!.attributes['failover.failure.kind']).toBe('unavailable');
    expect(attempts[0]!.status).toEqual({ code: 2, message: 'unavailable' });
    // The operation ran with its attempt span active (the SDK's own spans would nest under it).
    expect(activeInside).toEqual(attempts.map((a) => a.spanContext().spanId));
    // Names, kinds and counts only: no body, no error message, no credential.
    const dump = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.status, s.events]));
    expect(dump).not.toContain(SECRET_BODY);
    expect(dump).not.toContain('token');
    expect(dump).not.toContain('HTTP 503');

    const m = await sdk.collect();
    const base = { 'failover.router': 'blobs' };
    expect(
      pointOf(m, METRICS.calls, { ...base, 'failover.outcome': 'success', 'failover.target': 'gcp' }),
    ).toBe(1);
    const awsFailures = pointOf(m, METRICS.attemptDuration, {
      ...base,
      'failover.target': 'aws',
      'failover.outcome': 'failure',
      'failover.failure.kind': 'unavailable',
    }) as { count: number };
    expect(awsFailures.count).toBe(1);
    expect((pointOf(m, METRICS.callDuration, base) as { count: number }).count).toBe(1);
  });

  it('a call that fails everywhere: an error span with the failure kind, no message', async () => {
    const observer = createCallObserver({ tracerProvider: sdk.tracerProvider });
    const fo = createFailover({
      targets: [{ name: 'aws' }, { name: 'gcp' }],
      retry: { maxAttempts: 1 },
      observer,
    });
    await expect(fo.run(async () => Promise.reject(unavailable()), { idempotent: true })).rejects.toThrow();
    fo.close();
    const call = only(sdk.spans.getFinishedSpans(), SPANS.call);
    expect(call.status).toEqual({ code: 2, message: 'unavailable' });
    expect(call.attributes['failover.outcome']).toBe('failure');
    expect(call.attributes['failover.router']).toBe('failover');
  });

  it('with no provider and no SDK registered: the observer follows no call', () => {
    const observer = createCallObserver();
    expect(observer.onCallStart({ idempotent: false, targets: ['a'] })).toBeUndefined();
  });

  it('instrument() still reads the router: failovers from events, attempts from status', async () => {
    const fo = createFailover({ targets: [{ name: 'aws' }, { name: 'gcp' }], retry: { maxAttempts: 1 } });
    const stop = instrument(fo, { meterProvider: sdk.meterProvider });
    await fo.run(async (t) => (t.name === 'aws' ? Promise.reject(unavailable()) : 'ok'), {
      idempotent: true,
    });
    const m = await sdk.collect();
    expect(pointOf(m, METRICS.failovers, { 'failover.from': 'aws', 'failover.to': 'gcp' })).toBe(1);
    stop();
    fo.close();
  });
});

function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
}

function parentOf(span: ReadableSpan): string | undefined {
  const s = span as ReadableSpan & { parentSpanId?: string; parentSpanContext?: { spanId: string } };
  return s.parentSpanContext?.spanId ?? s.parentSpanId;
}
