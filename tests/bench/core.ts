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

/** One contender of {@link interleavedClosed}. */
interface Contender {
  readonly name: string;
  readonly call: () => Promise<unknown>;
}

/**
 * The closed path measured in one process, every contender in turn over `rounds` batches, in
 * **CPU time** (`process.cpuUsage()`: user + system) per call rather than wall time: on a machine
 * shared with other work, wall time mostly measures the other work, while the CPU time this
 * process spent per call stays comparable between contenders of the same run. Reports the fastest
 * and the median batch of each.
 */
export async function interleavedClosed(
  rounds = 30,
  batch = 50_000,
): Promise<{ name: string; minNs: number; medianNs: number }[]> {
  const closers: (() => void)[] = [];
  const router = (options: Omit<Parameters<typeof createFailover>[0], 'targets'>, n = 1, open = 0) => {
    const fo = createFailover({
      targets: ['a', 'b', 'c'].slice(0, n).map((name) => ({ name })),
      breaker: { resetTimeoutMs: 86_400_000 },
      ...options,
    });
    for (const name of ['a', 'b'].slice(0, open)) fo.trip(name);
    closers.push(() => fo.close());
    return fo;
  };
  const raw = new CircuitBreaker(noop, { timeout: false, rollingPercentilesEnabled: false });
  const raw10 = new CircuitBreaker(noop, { timeout: 10_000, rollingPercentilesEnabled: false });
  closers.push(
    () => raw.shutdown(),
    () => raw10.shutdown(),
  );
  const plain = router({});
  const noTimeout = router({ attemptTimeoutMs: false });
  const two = router({}, 2);
  const skip = router({}, 2, 1);
  const skipNoTimeout = router({ attemptTimeoutMs: false }, 2, 1);
  const idem = { idempotent: true };
  const idemSkip = router({}, 3, 2);
  const contenders: Contender[] = [
    { name: 'opossum fire() (timeout off)', call: () => raw.fire() },
    { name: 'opossum fire() (timeout 10 s, its default)', call: () => raw10.fire() },
    { name: 'fo.run, 1 target (defaults: attempt timeout 10 s)', call: () => plain.run(noop) },
    { name: 'fo.run, 1 target, attemptTimeoutMs: false', call: () => noTimeout.run(noop) },
    { name: 'fo.run, 2 targets', call: () => two.run(noop) },
    { name: 'fo.run, 2 targets, the first open (skipped)', call: () => skip.run(noop) },
    {
      name: 'fo.run, 2 targets, the first open (skipped), attemptTimeoutMs: false',
      call: () => skipNoTimeout.run(noop),
    },
    {
      name: 'fo.run, 3 targets, { idempotent: true }, the first two open',
      call: () => idemSkip.run(noop, idem),
    },
  ];
  for (const c of contenders) for (let i = 0; i < 100_000; i++) await c.call();
  const samples = contenders.map(() => [] as number[]);
  // No forced GC between batches here: its concurrent sweeping runs on other threads during the
  // next batch and lands in this process's CPU time (it inflated the allocating contenders 2x).
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of contenders.entries()) {
      const start = process.cpuUsage();
      for (let k = 0; k < batch; k++) await c.call();
      const used = process.cpuUsage(start);
      samples[i]!.push(((used.user + used.system) * 1000) / batch);
    }
  }
  for (const close of closers) close();
  return contenders.map((c, i) => {
    const s = samples[i]!.sort((a, b) => a - b);
    return { name: c.name, minNs: s[0]!, medianNs: s[Math.floor(s.length / 2)]! };
  });
}
