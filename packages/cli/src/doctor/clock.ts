/** How far the local clock may be from a cloud's before `doctor` reports it (ms). */
export const DEFAULT_MAX_SKEW_MS = 5_000;

/** A cloud's clock relative to this machine's, as far as object timestamps can tell. */
export interface ClockSkew {
  /** The cloud's clock minus this machine's (ms): positive when this machine is behind. */
  readonly estimateMs: number;
  /** The skew lies within `estimateMs ± uncertaintyMs`. */
  readonly uncertaintyMs: number;
  /** The whole interval lies beyond `maxSkewMs` on one side. */
  readonly tooFar: boolean;
}

/**
 * The skew an object timestamp implies (pure). The cloud stamped `lastModified` while the write was
 * in flight, between `before` and `after` by the local clock; timestamps of one-second resolution
 * (S3 and Azure send HTTP dates) mean the cloud's time lay in `[lastModified, lastModified + 1 s)`.
 * So the skew lies in `[lastModified - after, lastModified + resolution - before]`; it is reported
 * as too far only when that whole interval is beyond `maxSkewMs`.
 */
export function clockSkew(
  lastModifiedMs: number,
  before: number,
  after: number,
  maxSkewMs: number,
  resolutionMs = lastModifiedMs % 1000 === 0 ? 1000 : 1,
): ClockSkew {
  const low = lastModifiedMs - after;
  const high = lastModifiedMs + resolutionMs - before;
  return {
    estimateMs: Math.round((low + high) / 2),
    uncertaintyMs: Math.ceil((high - low) / 2),
    tooFar: low > maxSkewMs || high < -maxSkewMs,
  };
}
