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

const JITTERS: readonly Jitter[] = ['full', 'decorrelated', 'none'];

/**
 * Checks that option `path` is an integer from `min` to `max` and returns it; `undefined` gives
 * `fallback`. Otherwise throws an `InvalidOptionError` naming the option and the range. Shared
 * with the other packages so every option error reads the same.
 */
export function intOption(
  path: string,
  value: unknown,
  min: number,
  max: number,
  fallback: number,
  minLabel?: string,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const from = minLabel === undefined ? `${min}` : `${min} (${minLabel})`;
    throw new InvalidOptionError(path, `must be an integer from ${from} to ${max}, got ${describe(value)}`);
  }
  return value;
}

function numberOption(path: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidOptionError(path, `must be a number from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

function objectOption(path: string, value: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError(path, `must be an object, got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new InvalidOptionError(`${path}.${key}`, `is not a known option (known: ${allowed.join(', ')})`);
    }
  }
  return value as Record<string, unknown>;
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** Validates the target list: at least one, each an object with a unique non-empty `name`. */
export function validateTargets<T extends FailoverTarget>(targets: unknown): readonly T[] {
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new InvalidOptionError('targets', 'must be a non-empty array of targets, each with a name');
  }
  const seen = new Set<string>();
  targets.forEach((t: unknown, i: number) => {
    if (t === null || typeof t !== 'object') {
      throw new InvalidOptionError(`targets[${i}]`, `must be an object with a name, got ${describe(t)}`);
    }
    const name = (t as { name?: unknown }).name;
    if (typeof name !== 'string' || name.trim() === '') {
      throw new InvalidOptionError(`targets[${i}].name`, `must be a non-empty string, got ${describe(name)}`);
    }
    if (seen.has(name)) {
      throw new InvalidOptionError(`targets[${i}].name`, `must be unique: "${name}" is used twice`);
    }
    seen.add(name);
  });
  return targets as T[];
}

const BREAKER_KEYS = [
  'errorThresholdPercentage',
  'volumeThreshold',
  'rollingWindowMs',
  'resetTimeoutMs',
  'maxResetTimeoutMs',
  'consecutiveFailures',
  'probeGate',
] as const;

/** Fills in and checks the breaker settings. */
export function resolveBreaker(value: unknown, path = 'breaker'): ResolvedBreaker {
  const d = DEFAULTS.breaker;
  const o = value === undefined ? {} : objectOption(path, value, BREAKER_KEYS);
  const resetTimeoutMs = intOption(
    `${path}.resetTimeoutMs`,
    o.resetTimeoutMs,
    1,
    86_400_000,
    d.resetTimeoutMs,
  );
  return {
    errorThresholdPercentage: numberOption(
      `${path}.errorThresholdPercentage`,
      o.errorThresholdPercentage,
      1,
      100,
      d.errorThresholdPercentage,
    ),
    volumeThreshold: intOption(`${path}.volumeThreshold`, o.volumeThreshold, 0, 1_000_000, d.volumeThreshold),
    rollingWindowMs: intOption(
      `${path}.rollingWindowMs`,
      o.rollingWindowMs,
      100,
      3_600_000,
      d.rollingWindowMs,
    ),
    resetTimeoutMs,
    maxResetTimeoutMs: intOption(
      `${path}.maxResetTimeoutMs`,
      o.maxResetTimeoutMs,
      resetTimeoutMs,
      86_400_000,
      Math.max(d.maxResetTimeoutMs, resetTimeoutMs),
      `${path}.resetTimeoutMs`,
    ),
    consecutiveFailures: intOption(
      `${path}.consecutiveFailures`,
      o.consecutiveFailures,
      0,
      1000,
      d.consecutiveFailures,
    ),
    probeGate: functionOption(`${path}.probeGate`, o.probeGate) as ResolvedBreaker['probeGate'],
  };
}

function functionOption(path: string, value: unknown): ((...args: never[]) => unknown) | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function')
    throw new InvalidOptionError(path, `must be a function, got ${describe(value)}`);
  return value as (...args: never[]) => unknown;
}

/** Fills in and checks the retry settings; `defaultMaxAttempts` differs for `wrap`. */
export function resolveRetry(
  value: unknown,
  defaultMaxAttempts: number = DEFAULTS.retry.maxAttempts,
  path = 'retry',
): Required<RetryOptions> {
  const d = DEFAULTS.retry;
  const o =
    value === undefined
      ? {}
      : objectOption(path, value, ['maxAttempts', 'baseDelayMs', 'maxDelayMs', 'jitter']);
  const baseDelayMs = intOption(`${path}.baseDelayMs`, o.baseDelayMs, 0, 60_000, d.baseDelayMs);
  const jitter = o.jitter === undefined ? d.jitter : o.jitter;
  if (typeof jitter !== 'string' || !(JITTERS as readonly string[]).includes(jitter)) {
    throw new InvalidOptionError(
      `${path}.jitter`,
      `must be one of ${JITTERS.map((j) => `'${j}'`).join(', ')}, got ${describe(jitter)}`,
    );
  }
  return {
    maxAttempts: intOption(`${path}.maxAttempts`, o.maxAttempts, 1, 10, defaultMaxAttempts),
    baseDelayMs,
    maxDelayMs: intOption(
      `${path}.maxDelayMs`,
      o.maxDelayMs,
      baseDelayMs,
      300_000,
      Math.max(d.maxDelayMs, baseDelayMs),
      `${path}.baseDelayMs`,
    ),
    jitter: jitter as Jitter,
  };
}

/** Fills in and checks the budget settings; `false` means no budget. */
export function resolveBudget(value: unknown, path = 'budget'): Required<BudgetOptions> | undefined {
  if (value === false) return undefined;
  const d = DEFAULTS.budget;
  const o =
    value === undefined
      ? {}
      : objectOption(path, value, ['capacity', 'retryCost', 'timeoutCost', 'successRefund']);
  const capacity = intOption(`${path}.capacity`, o.capacity, 1, 1_000_000, d.capacity);
  return {
    capacity,
    retryCost: intOption(`${path}.retryCost`, o.retryCost, 0, capacity, Math.min(d.retryCost, capacity)),
    timeoutCost: intOption(
      `${path}.timeoutCost`,
      o.timeoutCost,
      0,
      capacity,
      Math.min(d.timeoutCost, capacity),
    ),
    successRefund: intOption(
      `${path}.successRefund`,
      o.successRefund,
      0,
      capacity,
      Math.min(d.successRefund, capacity),
    ),
  };
}

/** Fills in and checks hedging settings; `false` or `undefined` mean no hedging. */
export function resolveHedge(value: unknown, path = 'hedge'): Required<HedgeOptions> | undefined {
  if (value === false || value === undefined) return undefined;
  const o = objectOption(path, value, ['afterMs', 'maxHedges']);
  if (o.afterMs === undefined)
    throw new InvalidOptionError(`${path}.afterMs`, "is required (a number of ms, or 'auto')");
  return {
    afterMs: o.afterMs === 'auto' ? 'auto' : intOption(`${path}.afterMs`, o.afterMs, 1, MAX_TIMER_MS, 0),
    maxHedges: intOption(`${path}.maxHedges`, o.maxHedges, 1, 10, DEFAULTS.hedge.maxHedges),
  };
}

/** Fills in and checks the bulkhead; `false` or `undefined` mean none. */
export function resolveBulkhead(value: unknown, path = 'bulkhead'): Required<BulkheadOptions> | undefined {
  if (value === false || value === undefined) return undefined;
  const o = objectOption(path, value, ['maxConcurrent', 'maxQueue']);
  if (o.maxConcurrent === undefined) throw new InvalidOptionError(`${path}.maxConcurrent`, 'is required');
  return {
    maxConcurrent: intOption(`${path}.maxConcurrent`, o.maxConcurrent, 1, 1_000_000, 0),
    maxQueue: intOption(`${path}.maxQueue`, o.maxQueue, 0, 1_000_000, 0),
  };
}

/** Checks an optional time limit in ms. */
export function resolveTimeout(path: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  return intOption(path, value, 1, MAX_TIMER_MS, 0);
}

const TOP_KEYS = [
  'targets',
  'breaker',
  'retry',
  'budget',
  'attemptTimeoutMs',
  'hedge',
  'bulkhead',
  'classify',
  'observer',
];

/** Validates every router option except the targets and fills in the defaults. */
export function resolveOptions(options: unknown, defaultMaxAttempts?: number): ResolvedOptions {
  const o = objectOption('options', options, TOP_KEYS);
  if (o.classify !== undefined && typeof o.classify !== 'function') {
    throw new InvalidOptionError('classify', `must be a function, got ${describe(o.classify)}`);
  }
  const observer = o.observer as { onCallStart?: unknown } | undefined;
  if (observer !== undefined && (observer === null || typeof observer.onCallStart !== 'function')) {
    throw new InvalidOptionError(
      'observer',
      `must be an object with an onCallStart function, got ${describe(observer)}`,
    );
  }
  return {
    breaker: resolveBreaker(o.breaker),
    retry: resolveRetry(o.retry, defaultMaxAttempts),
    budget: resolveBudget(o.budget),
    attemptTimeoutMs:
      o.attemptTimeoutMs === false
        ? undefined
        : o.attemptTimeoutMs === undefined
          ? DEFAULTS.attemptTimeoutMs
          : resolveTimeout('attemptTimeoutMs', o.attemptTimeoutMs),
    hedge: o.hedge === undefined ? { ...DEFAULTS.hedge } : resolveHedge(o.hedge),
    bulkhead: resolveBulkhead(o.bulkhead),
    classify: o.classify as ResolvedOptions['classify'],
    observer: observer as ResolvedOptions['observer'],
  };
}

/**
 * Checks the options of one call. Runs on every call that has options, so it only looks at the
 * fields it knows (no scan for unknown names). Throws `InvalidOptionError`.
 */
export function checkRunOptions(options: RunOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('options', `must be an object, got ${describe(options)}`);
  }
  if (options.idempotent !== undefined && typeof options.idempotent !== 'boolean') {
    throw new InvalidOptionError('idempotent', `must be a boolean, got ${describe(options.idempotent)}`);
  }
  if (options.replayable !== undefined && typeof options.replayable !== 'boolean') {
    throw new InvalidOptionError('replayable', `must be a boolean, got ${describe(options.replayable)}`);
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
    throw new InvalidOptionError('signal', `must be an AbortSignal, got ${describe(options.signal)}`);
  }
}
