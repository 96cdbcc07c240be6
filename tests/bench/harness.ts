/** A tiny, dependency-free harness for nanosecond-scale async benchmarks. */

/** One measured case: the median, and the spread over samples, in ns per call. */
export interface BenchResult {
  name: string;
  nsPerOp: number;
  minNs: number;
  maxNs: number;
}

export interface BenchOptions {
  /** Calls per sample. */
  batch?: number;
  /** Samples taken; the median is reported. */
  samples?: number;
  /** Calls made before measuring, to let the JIT settle. */
  warmup?: number;
}

/**
 * Measures `fn` (an async no-op-like call) in batches of sequential awaited calls and reports the
 * median ns per call over `samples` batches. A GC runs between samples when exposed.
 */
export async function measure(
  name: string,
  fn: () => Promise<unknown>,
  options: BenchOptions = {},
): Promise<BenchResult> {
  const batch = options.batch ?? 100_000;
  const samples = options.samples ?? 15;
  const warmup = options.warmup ?? 200_000;
  for (let i = 0; i < warmup; i++) await fn();
  const perOp: number[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let s = 0; s < samples; s++) {
    gc?.();
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) await fn();
    perOp.push(Number(process.hrtime.bigint() - start) / batch);
  }
  perOp.sort((a, b) => a - b);
  return {
    name,
    nsPerOp: perOp[Math.floor(perOp.length / 2)] ?? Number.NaN,
    minNs: perOp[0] ?? Number.NaN,
    maxNs: perOp[perOp.length - 1] ?? Number.NaN,
  };
}

/** Prints results as a Markdown table with each row's ratio to the `baseline` row. */
export function printTable(title: string, results: readonly BenchResult[], baseline: string): string {
  const base = results.find((r) => r.name === baseline)?.nsPerOp ?? Number.NaN;
  const lines = [
    `### ${title}`,
    '',
    `| case | ns/call (median) | min..max over runs | vs ${baseline} |`,
    '|---|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.nsPerOp.toFixed(0)} | ${r.minNs.toFixed(0)}..${r.maxNs.toFixed(0)} | ${(r.nsPerOp / base).toFixed(2)}x |`,
    ),
    '',
  ];
  const text = lines.join('\n');
  console.log(text);
  return text;
}
