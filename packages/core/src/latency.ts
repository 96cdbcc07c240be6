/** Latency percentiles over a target's recent attempts, in milliseconds. */
export interface LatencySummary {
  /** Median, or `undefined` before the first attempt. */
  readonly p50: number | undefined;
  /** 99th percentile, or `undefined` before the first attempt. */
  readonly p99: number | undefined;
  /** How many recent attempts the percentiles are computed from (at most the window size). */
  readonly samples: number;
}

const SIZE = 512;
const MASK = SIZE - 1;

/** Records between two refreshes of the cached percentiles read by adaptive hedging. */
const REFRESH_EVERY = 16;

/**
 * The latencies of the last 512 attempts in a fixed ring buffer: recording is one store, and the
 * percentiles are computed (copied and sorted) only when asked for: in `status()`, and for the
 * router's adaptive hedging at most once every 16 records (`p50`, `p95`).
 */
export class LatencyWindow {
  readonly #buf = new Float64Array(SIZE);
  #next = 0;
  #count = 0;
  #sinceRefresh = REFRESH_EVERY;
  #p50 = 0;
  #p95 = 0;

  /** Records one latency in ms. */
  record(ms: number): void {
    this.#buf[this.#next] = ms;
    this.#next = (this.#next + 1) & MASK;
    if (this.#count < SIZE) this.#count++;
    this.#sinceRefresh++;
  }

  /** How many latencies the window holds. */
  get samples(): number {
    return this.#count;
  }

  /** The median (refreshed every 16 records; 0 when empty). */
  get p50(): number {
    this.#refresh();
    return this.#p50;
  }

  /** The 95th percentile (refreshed every 16 records; 0 when empty). */
  get p95(): number {
    this.#refresh();
    return this.#p95;
  }

  #refresh(): void {
    if (this.#count === 0 || this.#sinceRefresh < (this.#count < 64 ? 1 : REFRESH_EVERY)) return;
    this.#sinceRefresh = 0;
    const sorted = this.#buf.slice(0, this.#count).sort();
    this.#p50 = rank(sorted, 0.5);
    this.#p95 = rank(sorted, 0.95);
  }

  /** p50 and p99 (nearest rank) of the recorded window. */
  summary(): LatencySummary {
    const n = this.#count;
    if (n === 0) return { p50: undefined, p99: undefined, samples: 0 };
    const sorted = this.#buf.slice(0, n).sort();
    return { p50: rank(sorted, 0.5), p99: rank(sorted, 0.99), samples: n };
  }
}

function rank(sorted: Float64Array, p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
}
