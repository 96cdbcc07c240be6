/** Small statistics and Markdown helpers for the storage benchmark's tables. */

/** The `q` quantile (0..1) of `values` by the nearest-rank method; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}

/** The median of `values` (nearest rank); NaN for no values. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** A number with `digits` decimals, or `n/a` when it is not finite. */
export function fmt(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** `value` and its difference to `base`, as `123 (+45)`. */
export function withDelta(value: number, base: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  const d = value - base;
  const sign = d >= 0 ? '+' : '-';
  return `${fmt(value, digits)} (${sign}${fmt(Math.abs(d), digits)})`;
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return fmt(bytes / (1024 * 1024), 1);
}

/** Prints (and returns) a Markdown table under a `###` title, with optional notes below it. */
export function printMarkdownTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
  notes: readonly string[] = [],
): string {
  const align = header.map((_, i) => (i === 0 ? '---' : '---:'));
  const lines = [
    `### ${title}`,
    '',
    `| ${header.join(' | ')} |`,
    `|${align.join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    ...notes.flatMap((n) => [n, '']),
  ];
  const text = lines.join('\n');
  console.log(text);
  return text;
}
