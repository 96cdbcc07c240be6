import { InvalidOptionError } from './errors.js';
import {
  type BudgetOptions,
  type BulkheadOptions,
  DEFAULTS,
  type FailoverTarget,
  type HedgeOptions,
  type Jitter,
  MAX_TIMER_MS,
  type ResolvedBreaker,
  type ResolvedOptions,
  type RetryOptions,
  type RunOptions,
} from './options.js';
import {
  checkBool,
  checkInt,
  describeValue,
  type OptionsReader,
  optionError,
  readOptions,
} from './options-reader.js';

const JITTERS: readonly Jitter[] = ['full', 'decorrelated', 'none'];
const DAY_MS = 86_400_000;

/**
 * Checks that option `path` is an integer from `min` to `max` and returns it; `undefined` gives
 * `fallback`. Otherwise throws an `InvalidOptionError` naming the option and the range. Kept for
 * callers of `integerOption`; new code uses {@link readOptions}.
 */
export function intOption(
  path: string,
  value: unknown,
  min: number,
  max: number,
  fallback: number,
  minLabel?: string,
): number {
  return checkInt(path, value, { min, max, minLabel, default: fallback }) as number;
}

/** Validates the target list: at least one, each an object with a unique non-empty `name`. */
export function validateTargets<T extends FailoverTarget>(targets: unknown): readonly T[] {
  const list = readOptions({ targets }).array('targets', {
    nonEmpty: true,
    of: 'targets, each with a name',
    required: true,
  });
  const seen = new Set<string>();
  list.forEach((t: unknown, i: number) => {
    const at = `targets[${i}]`;
    if (t === null || typeof t !== 'object') throw optionError(at, 'an object with a name', t);
    const r = readOptions(t, at);
    const name = r.string('name', { notBlank: true, required: true });
    if (seen.has(name)) r.refuse('name', `must be unique: "${name}" is used twice`);
    seen.add(name);
  });
  return list as T[];
}

/** Fills in and checks the breaker settings. */
export function resolveBreaker(value: unknown, path = 'breaker'): ResolvedBreaker {
  return readBreaker(readOptions(value, path, true));
}

function readBreaker(r: OptionsReader): ResolvedBreaker {
  const d = DEFAULTS.breaker;
  const errorThresholdPercentage = r.number('errorThresholdPercentage', {
    min: 1,
    max: 100,
    default: d.errorThresholdPercentage,
  });
  const volumeThreshold = r.int('volumeThreshold', { min: 0, max: 1_000_000, default: d.volumeThreshold });
  const rollingWindowMs = r.int('rollingWindowMs', { min: 100, max: 3_600_000, default: d.rollingWindowMs });
  const resetTimeoutMs = r.int('resetTimeoutMs', { min: 1, max: DAY_MS, default: d.resetTimeoutMs });
  const maxResetTimeoutMs = r.int('maxResetTimeoutMs', {
    min: resetTimeoutMs,
    minLabel: r.at('resetTimeoutMs'),
    max: DAY_MS,
    default: Math.max(d.maxResetTimeoutMs, resetTimeoutMs),
  });
  const consecutiveFailures = r.int('consecutiveFailures', {
    min: 0,
    max: 1000,
    default: d.consecutiveFailures,
  });
  const consecutiveConnectFailures = r.int('consecutiveConnectFailures', {
    min: 0,
    max: 1000,
    default: Math.min(d.consecutiveConnectFailures, consecutiveFailures),
  });
  const consecutiveOperationFailures = r.int('consecutiveOperationFailures', {
    min: 0,
    max: 1000,
    default: Math.min(d.consecutiveOperationFailures, consecutiveFailures),
  });
  const keepLastTarget = r.bool('keepLastTarget', { default: d.keepLastTarget });
  const probeGate = r.function<NonNullable<ResolvedBreaker['probeGate']>>('probeGate');
  r.done();
  return {
    errorThresholdPercentage,
    volumeThreshold,
    rollingWindowMs,
    resetTimeoutMs,
    maxResetTimeoutMs,
    consecutiveFailures,
    consecutiveConnectFailures,
    consecutiveOperationFailures,
    keepLastTarget,
    probeGate,
  };
}

/** Fills in and checks the retry settings; `defaultMaxAttempts` differs for `wrap`. */
export function resolveRetry(
  value: unknown,
  defaultMaxAttempts: number = DEFAULTS.retry.maxAttempts,
  path = 'retry',
): Required<RetryOptions> {
  return readRetry(readOptions(value, path, true), defaultMaxAttempts);
}

function readRetry(
  r: OptionsReader,
  defaultMaxAttempts: number = DEFAULTS.retry.maxAttempts,
): Required<RetryOptions> {
  const d = DEFAULTS.retry;
  const maxAttempts = r.int('maxAttempts', { min: 1, max: 10, default: defaultMaxAttempts });
  const baseDelayMs = r.int('baseDelayMs', { min: 0, max: 60_000, default: d.baseDelayMs });
  const maxDelayMs = r.int('maxDelayMs', {
    min: baseDelayMs,
    minLabel: r.at('baseDelayMs'),
    max: 300_000,
    default: Math.max(d.maxDelayMs, baseDelayMs),
  });
  const jitter = r.oneOf('jitter', JITTERS, { default: d.jitter });
  r.done();
  return { maxAttempts, baseDelayMs, maxDelayMs, jitter };
}

/** Fills in and checks the budget settings; `false` means no budget. */
export function resolveBudget(value: unknown, path = 'budget'): Required<BudgetOptions> | undefined {
  return value === false ? undefined : readBudget(readOptions(value, path, true));
}

function readBudget(r: OptionsReader): Required<BudgetOptions> {
  const d = DEFAULTS.budget;
  const capacity = r.int('capacity', { min: 1, max: 1_000_000, default: d.capacity });
  const costs = { min: 0, max: capacity };
  const budget = {
    capacity,
    retryCost: r.int('retryCost', { ...costs, default: Math.min(d.retryCost, capacity) }),
    timeoutCost: r.int('timeoutCost', { ...costs, default: Math.min(d.timeoutCost, capacity) }),
    successRefund: r.int('successRefund', { ...costs, default: Math.min(d.successRefund, capacity) }),
  };
  r.done();
  return budget;
}

/** Fills in and checks hedging settings; `false` or `undefined` mean no hedging. */
export function resolveHedge(value: unknown, path = 'hedge'): Required<HedgeOptions> | undefined {
  if (value === false || value === undefined) return undefined;
  return readHedge(readOptions(value, path));
}

function readHedge(r: OptionsReader): Required<HedgeOptions> {
  const afterMs = r.check('afterMs', isAfterMs, `'auto' or an integer from 1 to ${MAX_TIMER_MS}`, {
    required: true,
  });
  const maxHedges = r.int('maxHedges', { min: 1, max: 10, default: DEFAULTS.hedge.maxHedges });
  r.done();
  return { afterMs, maxHedges };
}

/** Fills in and checks the bulkhead; `false` or `undefined` mean none. */
export function resolveBulkhead(value: unknown, path = 'bulkhead'): Required<BulkheadOptions> | undefined {
  if (value === false || value === undefined) return undefined;
  return readBulkhead(readOptions(value, path));
}

function readBulkhead(r: OptionsReader): Required<BulkheadOptions> {
  const bulkhead = {
    maxConcurrent: r.int('maxConcurrent', { min: 1, max: 1_000_000, required: true }),
    maxQueue: r.int('maxQueue', { min: 0, max: 1_000_000, default: 0 }),
  };
  r.done();
  return bulkhead;
}

const isAfterMs = (v: unknown): v is number | 'auto' =>
  v === 'auto' || (Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_TIMER_MS);

const isObserver = (v: unknown): v is NonNullable<ResolvedOptions['observer']> =>
  v !== null && typeof v === 'object' && typeof (v as { onCallStart?: unknown }).onCallStart === 'function';

/** Checks an optional time limit in ms. */
export function resolveTimeout(path: string, value: unknown): number | undefined {
  return checkInt(path, value, TIMEOUT_SPEC);
}

/** Made once: `resolveTimeout` runs on every call with a deadline. */
const TIMEOUT_SPEC = Object.freeze({ min: 1, max: MAX_TIMER_MS });

/**
 * Validates every router option except the targets and fills in the defaults. `path` is where
 * the options sit in the caller's own options (e.g. `failover` in the multi-cloud store's), so
 * errors name the full path.
 */
export function resolveOptions(options: unknown, defaultMaxAttempts?: number, path = ''): ResolvedOptions {
  const r = readOptions(options, path);
  r.value('targets'); // checked by validateTargets
  const classify = r.function<NonNullable<ResolvedOptions['classify']>>('classify');
  const breaker = readBreaker(r.object('breaker'));
  const retry = readRetry(r.object('retry'), defaultMaxAttempts);
  const budgetReader = r.objectOrFalse('budget');
  const budget = budgetReader === undefined ? undefined : readBudget(budgetReader);
  const attemptTimeoutMs = r.msOrFalse('attemptTimeoutMs', { min: 1, default: DEFAULTS.attemptTimeoutMs });
  const hedgeReader = r.has('hedge') ? r.objectOrFalse('hedge') : undefined;
  const hedge =
    hedgeReader !== undefined
      ? readHedge(hedgeReader)
      : r.value('hedge') === undefined
        ? { ...DEFAULTS.hedge }
        : undefined;
  const bulkheadReader = r.has('bulkhead') ? r.objectOrFalse('bulkhead') : undefined;
  const bulkhead = bulkheadReader === undefined ? undefined : readBulkhead(bulkheadReader);
  const observer = r.check('observer', isObserver, 'an object with an onCallStart function');
  r.done();
  return { breaker, retry, budget, attemptTimeoutMs, hedge, bulkhead, classify, observer };
}

/** Longest `RunOptions.operation` name. */
const MAX_OPERATION_LENGTH = 64;

/** Checks an operation name (`RunOptions.operation`, `Failover.report`). Throws `InvalidOptionError`. */
export function checkOperation(operation: unknown): void {
  if (typeof operation !== 'string' || operation === '' || operation.length > MAX_OPERATION_LENGTH) {
    throw new InvalidOptionError(
      'operation',
      `must be a non-empty string of at most ${MAX_OPERATION_LENGTH} characters, got ${describeValue(operation)}`,
    );
  }
}

/**
 * Checks the options of one call. Runs on every call that has options, so it only looks at the
 * fields it knows (no scan for unknown names, no reader). Throws `InvalidOptionError`.
 */
export function checkRunOptions(options: RunOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('options', `must be an object, got ${describeValue(options)}`);
  }
  checkBool('idempotent', options.idempotent);
  checkBool('replayable', options.replayable);
  if (options.maxAttempts !== undefined) checkInt('maxAttempts', options.maxAttempts, { min: 1, max: 10 });
  if (options.operation !== undefined) checkOperation(options.operation);
  if (options.dispose !== undefined && typeof options.dispose !== 'function') {
    throw new InvalidOptionError('dispose', `must be a function, got ${describeValue(options.dispose)}`);
  }
  if (options.deadlineMs !== undefined) resolveTimeout('deadlineMs', options.deadlineMs);
  if (options.attemptTimeoutMs !== undefined && options.attemptTimeoutMs !== false) {
    resolveTimeout('attemptTimeoutMs', options.attemptTimeoutMs);
  }
  const signal = options.signal as { aborted?: unknown; addEventListener?: unknown } | undefined;
  if (
    signal !== undefined &&
    (signal === null || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')
  ) {
    throw new InvalidOptionError('signal', `must be an AbortSignal, got ${describeValue(options.signal)}`);
  }
}
