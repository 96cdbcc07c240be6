export {
  builtInClassify,
  type Classifier,
  classifyFailure,
  classifyStatus,
  failedBeforeSending,
  httpStatusOf,
  registerClassifier,
} from './classify.js';
export {
  AbortedError,
  AllTargetsFailedError,
  BreakerOpenError,
  DeadlineExceededError,
  FailoverError,
  type FailoverErrorOptions,
  InvalidOptionError,
  type TargetFailure,
} from './errors.js';
export {
  AVAILABILITY_KINDS,
  FAILURE_KINDS,
  type FailureKind,
  isAvailabilityKind,
  isFailureKind,
} from './failure-kind.js';
export { redact } from './redact.js';
export { parseRetryAfter, retryAfterMs } from './retry-after.js';
