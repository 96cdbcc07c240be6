import type {
  BlackholeFault,
  CorruptFault,
  CutFault,
  DnsFault,
  LatencyFault,
  MixFault,
  PartialFault,
  PassFault,
  RefuseFault,
  RequestFault,
  ResetFault,
  StallFault,
  StatusFault,
} from './types.js';

/** Options of the status presets: partial application plus the status fault's own fields. */
export type StatusPresetOptions = PartialFault &
  Pick<StatusFault, 'code' | 'message' | 'headers' | 'body' | 'delayMs' | 'retryAfterSeconds'>;

/**
 * Ready-made faults for {@link FaultProxy.setFault}. The status ones take their body from the
 * proxy's flavor, so `faults.slowDown()` is S3's `503 SlowDown`, Azure's `503 ServerBusy` or GCS's
 * `503 backendError`, as each SDK expects.
 */
export const faults = Object.freeze({
  /** Forward unchanged (with `match`, inside `faults.mix`: shield the matching requests). */
  pass(options: PartialFault = {}): PassFault {
    return { ...options, type: 'pass' };
  },
  /** Any status, with the flavor's body for it. */
  status(status: number, options: StatusPresetOptions = {}): StatusFault {
    return { ...options, type: 'status', status };
  },
  /**
   * 503: S3 `SlowDown`, Azure `ServerBusy`, GCS `backendError` (the brown-out answer). For S3's
   * other 503, pass `{ code: 'ServiceUnavailable' }`.
   */
  slowDown(options: StatusPresetOptions = {}): StatusFault {
    return { ...options, type: 'status', status: 503 };
  },
  /** 429 with `Retry-After: retryAfterSeconds` (default 1). */
  throttle(retryAfterSeconds = 1, options: StatusPresetOptions = {}): StatusFault {
    return { ...options, type: 'status', status: 429, retryAfterSeconds };
  },
  /** 500: S3 and Azure `InternalError`, GCS `backendError`. */
  serverError(options: StatusPresetOptions = {}): StatusFault {
    return { ...options, type: 'status', status: 500 };
  },
  /** Wait `ms` before forwarding. */
  latency(
    ms: number,
    options: PartialFault & Pick<LatencyFault, 'perChunkMs' | 'bytesPerSecond'> = {},
  ): LatencyFault {
    return { ...options, type: 'latency', ms };
  },
  /** Reset the connection when the request arrives, or after `afterBytes` of the response body. */
  reset(options: PartialFault & Pick<ResetFault, 'afterBytes' | 'delayMs'> = {}): ResetFault {
    return { ...options, type: 'reset' };
  },
  /** Forward, then close the connection cleanly (FIN, no RST) after `afterBytes` of the response body. */
  cut(options: PartialFault & Pick<CutFault, 'afterBytes'> = {}): CutFault {
    return { ...options, type: 'cut' };
  },
  /** Forward, flipping the bits of the response body's byte at `afterBytes` (default 0). */
  corrupt(options: PartialFault & Pick<CorruptFault, 'afterBytes'> = {}): CorruptFault {
    return { ...options, type: 'corrupt' };
  },
  /** Forward, then go silent after `afterBytes` of the response body, keeping the connection open. */
  stall(options: PartialFault & Pick<StallFault, 'afterBytes'> = {}): StallFault {
    return { ...options, type: 'stall' };
  },
  /** Accept and never answer. */
  blackhole(options: PartialFault = {}): BlackholeFault {
    return { ...options, type: 'blackhole' };
  },
  /** Stop listening: connects get `ECONNREFUSED`. */
  refuse(): RefuseFault {
    return { type: 'refuse' };
  },
  /** The proxy's host name stops resolving: `ENOTFOUND`. */
  dns(): DnsFault {
    return { type: 'dns' };
  },
  /** Several request faults at once; the first that selects a request applies. */
  mix(...list: RequestFault[]): MixFault {
    return { type: 'mix', faults: list };
  },
});
