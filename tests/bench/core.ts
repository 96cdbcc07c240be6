import { type CallObserver, classifyFailure, createFailover } from '@failover/core';
import {
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import CircuitBreaker from 'opossum';
import { type BenchOptions, measure } from './harness.js';

/** One benchmark case: set up, measure, tear down. Each case runs in a fresh process. */
export interface BenchCase {
  name: string;
  group: 'closed' | 'failing';
  run(): Promise<number>;
}

const noop = async (): Promise<number> => 1;
const unavailable = Object.assign(new Error('503 from the test'), { status: 503 });
const failing = async (): Promise<never> => {
  throw unavailable;
};
const FAILING: BenchOptions = { batch: 20_000, samples: 9, warmup: 20_000 };

async function ns(fn: () => Promise<unknown>, options?: BenchOptions): Promise<number> {
  return (await measure('', fn, options)).nsPerOp;
}

function closed(name: string, run: () => Promise<number>): BenchCase {
  return { name, group: 'closed', run };
}

/** The closed path: ns per no-op call through each library, all breakers closed. */
export const closedCases: readonly BenchCase[] = [
  closed('raw await', () => ns(noop)),
  closed('opossum fire() (timeout off)', async () => {
    const b = new CircuitBreaker(noop, { timeout: false, rollingPercentilesEnabled: false });
    const r = await ns(() => b.fire());
    b.shutdown();
    return r;
  }),
  closed('opossum fire() (timeout 10 s)', async () => {
    const b = new CircuitBreaker(noop, { timeout: 10_000, rollingPercentilesEnabled: false });
    const r = await ns(() => b.fire());
    b.shutdown();
    return r;
  }),
  closed('cockatiel breaker', () => {
    const p = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
    return ns(() => p.execute(noop));
  }),
  closed('cockatiel wrap(retry, breaker, timeout)', () => {
    const p = wrap(
      retry(handleAll, { maxAttempts: 2 }),
      circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
      timeout(10_000, TimeoutStrategy.Cooperative),
    );
    return ns(() => p.execute(noop));
  }),
  closed('fo.run, 1 target (defaults: attempt timeout 10 s, no observer)', async () => {
    const fo = createFailover({ targets: [{ name: 'a' }] });
    const r = await ns(() => fo.run(noop));
    fo.close();
    return r;
  }),
  closed('fo.run, 1 target, attemptTimeoutMs: false', async () => {
    const fo = createFailover({ targets: [{ name: 'a' }], attemptTimeoutMs: false });
    const r = await ns(() => fo.run(noop));
    fo.close();
    return r;
  }),
  closed('fo.run, 1 target, a no-op observer', async () => {
    const observer: CallObserver = {
      onCallStart: () => ({ onAttemptStart: () => ({ end: () => undefined }), end: () => undefined }),
    };
    const fo = createFailover({ targets: [{ name: 'a' }], observer });
    const r = await ns(() => fo.run(noop));
    fo.close();
    return r;
  }),
  closed('fo.run, 2 targets', async () => {
    const fo = createFailover({ targets: [{ name: 'a' }, { name: 'b' }] });
    const r = await ns(() => fo.run(noop));
    fo.close();
    return r;
  }),
  closed('fo.run, 2 targets, the first open (skipped)', async () => {
    // The skip's own cost is this row minus the one above.
    const fo = createFailover({
      targets: [{ name: 'a' }, { name: 'b' }],
      breaker: { resetTimeoutMs: 86_400_000 },
    });
    fo.trip('a');
    const r = await ns(() => fo.run(noop));
    fo.close();
    return r;
  }),
  closed('fo.run, 3 targets, { idempotent: true }, the first two open', async () => {
    const fo = createFailover({
      targets: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
      breaker: { resetTimeoutMs: 86_400_000 },
    });
    fo.trip('a');
    fo.trip('b');
    const opts = { idempotent: true };
    const r = await ns(() => fo.run(noop, opts));
    fo.close();
    return r;
  }),
  closed('fo.run, 1 target, { idempotent: true }', async () => {
    const fo = createFailover({ targets: [{ name: 'a' }] });
    const opts = { idempotent: true };
    const r = await ns(() => fo.run(noop, opts));
    fo.close();
    return r;
  }),
  closed('fo.run, 1 target, attemptTimeoutMs', async () => {
    const fo = createFailover({ targets: [{ name: 'a' }], attemptTimeoutMs: 10_000 });
    const r = await ns(() => fo.run(noop));
    fo.close();
    return r;
  }),
  closed('fo.run, 1 target, deadlineMs', async () => {
    const fo = createFailover({ targets: [{ name: 'a' }] });
    const opts = { deadlineMs: 10_000 };
    const r = await ns(() => fo.run(noop, opts));
    fo.close();
    return r;
  }),
];

function failingCases(fill: number): BenchCase[] {
  return [
    {
      name: `opossum fire() failing, ${fill} calls in window`,
      group: 'failing',
      run: async () => {
        const b = new CircuitBreaker(async (fail: boolean) => (fail ? failing() : 1), {
          timeout: false,
          rollingPercentilesEnabled: false,
          errorThresholdPercentage: 100,
          volumeThreshold: Number.MAX_SAFE_INTEGER,
          rollingCountTimeout: 600_000,
        });
        for (let i = 0; i < fill; i++) await b.fire(false);
        const r = await ns(() => b.fire(true).catch(() => undefined), FAILING);
        b.shutdown();
        return r;
      },
    },
    {
      name: `fo.run failing, ${fill} calls in window`,
      group: 'failing',
      run: async () => {
        // Never opens (threshold 100%, huge volume) so every call reaches the function and fails.
        const fo = createFailover({
          targets: [{ name: 'a' }],
          retry: { maxAttempts: 1 },
          budget: false,
          breaker: { errorThresholdPercentage: 100, volumeThreshold: 1_000_000, rollingWindowMs: 600_000 },
        });
        let fail = false;
        const op = async () => (fail ? failing() : 1);
        for (let i = 0; i < fill; i++) await fo.run(op);
        fail = true;
        const r = await ns(() => fo.run(op).catch((e) => classifyFailure(e)), FAILING);
        fo.close();
        return r;
      },
    },
  ];
}

/** A failing call (an availability error) with N calls in the breaker's rolling window. */
export const failingPathCases: readonly BenchCase[] = [...failingCases(0), ...failingCases(100_000)];
