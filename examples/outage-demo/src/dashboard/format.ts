import type { BreakerState } from '@failover/core';

/** ANSI styles, or none. */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const wrap =
  (open: number, close: number) =>
  (s: string): string =>
    `\x1b[${open}m${s}\x1b[${close}m`;

/** ANSI colours for a terminal. */
export const ANSI: Style = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
};

/** No styling (pipes, CI logs, `NO_COLOR`). */
export const PLAIN: Style = { bold: id, dim: id, red: id, green: id, yellow: id, cyan: id };

function id(s: string): string {
  return s;
}

/** `[  12.3s]` */
export function stamp(ms: number): string {
  return `[${(ms / 1000).toFixed(1).padStart(6)}s]`;
}

/** A breaker state, coloured. */
export function breaker(state: BreakerState, style: Style): string {
  if (state === 'open') return style.red('OPEN     ');
  if (state === 'halfOpen') return style.yellow('half-open');
  return style.green('closed   ');
}

/** A number right-aligned in `width`, with `digits` decimals. */
export function num(n: number, width: number, digits = 0): string {
  return n.toFixed(digits).padStart(width);
}

/** Text padded or cut to `width`. */
export function cell(s: string, width: number): string {
  return s.length > width ? `${s.slice(0, width - 1)}…` : s.padEnd(width);
}
