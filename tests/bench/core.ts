import { classifyFailure, createFailover } from '@failover/core';
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
import { type BenchResult, measure, printTable } from './harness.js';

const noop = async (): Promise<number> => 1;

/** The closed-path benchmark: ns per no-op call through each library. */
export async function benchClosedPath(): Promise<string> {
  const results: BenchResult[] = [];
  results.push(await measure('raw await', () => noop()));

  const opossum = new CircuitBreaker(noop, { timeout: false, rollingPercentilesEnabled: false });
  results.push(await measure('opossum fire() (timeout off)', () => opossum.fire()));
  opossum.shutdown();

  const opossumT = new CircuitBreaker(noop, { timeout: 10_000, rollingPercentilesEnabled: false });
  results.push(await measure('opossum fire() (timeout 10 s)', () => opossumT.fire()));
  opossumT.shutdown();

  const cbreaker = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
  results.push(await measure('cockatiel breaker', () => cbreaker.execute(noop)));

  const cwrap = wrap(
    retry(handleAll, { maxAttempts: 2 }),
    circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
    timeout(10_000, TimeoutStrategy.Cooperative),
  );
  results.push(await measure('cockatiel wrap(retry, breaker, timeout)', () => cwrap.execute(noop)));

  const fo = createFailover({ targets: [{ name: 'a' }] });
  results.push(await measure('fo.run, 1 target', () => fo.run(noop, { idempotent: true })));
  fo.close();

  const foT = createFailover({ targets: [{ name: 'a' }], attemptTimeoutMs: 10_000 });
  results.push(
    await measure('fo.run, 1 target, attemptTimeoutMs', () => foT.run(noop, { idempotent: true })),
  );
  foT.close();

  const foD = createFailover({ targets: [{ name: 'a' }] });
  results.push(
    await measure('fo.run, 1 target, deadlineMs', () =>
      foD.run(noop, { idempotent: true, deadlineMs: 10_000 }),
    ),
  );
  foD.close();

  return printTable('Closed path: one no-op call', results, 'opossum fire() (timeout off)');
}

const unavailable = Object.assign(new Error('503 from the test'), { status: 503 });
const failing = async (): Promise<never> => {
  throw unavailable;
};

/**
 * A failing call through each breaker after `fill` successful calls sit in its rolling window.
 * Breakers are set never to open (threshold 100%, huge volume) so every call reaches the function.
 */
export async function benchFailingPath(): Promise<string> {
  const results: BenchResult[] = [];
  for (const fill of [0, 100_000]) {
    const opossum = new CircuitBreaker(async (fail: boolean) => (fail ? failing() : 1), {
      timeout: false,
      rollingPercentilesEnabled: false,
      errorThresholdPercentage: 100,
      volumeThreshold: Number.MAX_SAFE_INTEGER,
      rollingCountTimeout: 600_000,
    });
    for (let i = 0; i < fill; i++) await opossum.fire(false);
    results.push(
      await measure(
        `opossum fire() failing, ${fill} calls in window`,
        () => opossum.fire(true).catch(() => undefined),
        { batch: 20_000, samples: 9, warmup: 20_000 },
      ),
    );
    opossum.shutdown();

    const fo = createFailover({
      targets: [{ name: 'a' }],
      retry: { maxAttempts: 1 },
      budget: false,
      breaker: { errorThresholdPercentage: 100, volumeThreshold: 1_000_000, rollingWindowMs: 600_000 },
    });
    let fail = false;
    const op = async () => (fail ? failing() : 1);
    for (let i = 0; i < fill; i++) await fo.run(op, { idempotent: true });
    fail = true;
    results.push(
      await measure(
        `fo.run failing, ${fill} calls in window`,
        () => fo.run(op, { idempotent: true }).catch((e) => classifyFailure(e)),
        { batch: 20_000, samples: 9, warmup: 20_000 },
      ),
    );
    fo.close();
  }
  return printTable(
    'Failing call (an availability error) with N calls in the rolling window',
    results,
    `opossum fire() failing, 0 calls in window`,
  );
}
