export type { AttemptContext, Operation } from './attempt.js';
export { backoffDelay } from './backoff.js';
export { RetryBudget } from './budget.js';
export {
  builtInClassify,
  type Classifier,
  classifyFailure,
  classifyStatus,
  failedBeforeSending,
  failedWithoutAnswer,
  httpStatusOf,
  registerClassifier,
  TLS_CERTIFICATE_CODES,
} from './classify.js';
export { TypedEmitter } from './emitter.js';
export {
  AbortedError,
  AllTargetsFailedError,
  type AttemptFailure,
  BreakerOpenError,
  BulkheadFullError,
  DeadlineExceededError,
  FailoverError,
  type FailoverErrorOptions,
  InvalidOptionError,
  isAllTargetsFailedError,
  isFailoverError,
  isInvalidOptionError,
  type TargetFailure,
} from './errors.js';
export type { FailoverEventName, FailoverEvents, FailoverListener } from './events.js';
export { createFailover, type Failover } from './failover.js';
export {
  AVAILABILITY_KINDS,
  FAILURE_KINDS,
  type FailureKind,
  isAvailabilityKind,
  isFailureKind,
} from './failure-kind.js';
export type { LatencySummary } from './latency.js';
export type {
  AttemptObservation,
  AttemptOutcome,
  CallObservation,
  CallObserver,
  CallOutcome,
  CallStartInfo,
} from './observer.js';
export {
  type BreakerOptions,
  type BudgetOptions,
  type BulkheadOptions,
  DEFAULTS,
  type FailoverOptions,
  type FailoverTarget,
  HEDGE_AUTO,
  type HedgeOptions,
  type Jitter,
  type ResolvedBreaker,
  type ResolvedOptions,
  type RetryOptions,
  type RunOptions,
} from './options.js';
export {
  type ArraySpec,
  checkInt,
  describeValue,
  type IntSpec,
  type MsSpec,
  type NumberSpec,
  type OptionsReader,
  optionError,
  readOptions,
  type StringSpec,
} from './options-reader.js';
export { PATIENT_MAX_RESTARTS, PATIENT_STALL_MS, setPatientTimeout } from './patient-timeout.js';
export { redact } from './redact.js';
export { redactError } from './redact-error.js';
export { parseRetryAfter, retryAfterMs } from './retry-after.js';
export type { RunResult } from './run-result.js';
export { type AnswerSource, StallMonitor } from './stall.js';
export {
  decideStallExcuse,
  HIDING_STALL_MS,
  MIN_EXCUSE_MS,
  MIN_EXTENSION_MS,
  type StallExcuse,
  type StallFacts,
} from './stall-excuse.js';
export type { BreakerState, FailoverStatus, TargetStatus } from './status.js';
export { EARLY_PROBE_AFTER_MS, GATE_RETRY_MS } from './target-health.js';
export { intOption as integerOption, resolveOptions } from './validate.js';
export { type WrapOptions, type Wrapped, wrap } from './wrap.js';
