/** A stream the progress bar draws on (stderr). */
export interface ProgressStream {
  /** Writes text (as `process.stderr.write` does). */
  write(text: string): unknown;
  /** True on a terminal: only then is a bar drawn. */
  readonly isTTY?: boolean;
  /** The terminal's width, when known. */
  readonly columns?: number;
}

/** A progress bar for long work (repair, reconcile, drill samples). */
export interface Progress {
  /** Marks `n` more items done (default 1). */
  tick(n?: number): void;
  /** Sets (or clears) the number of items expected. */
  setTotal(total: number | undefined): void;
  /** Erases the bar. Safe to call twice. */
  done(): void;
}

const NONE: Progress = { tick() {}, setTotal() {}, done() {} };
const REDRAW_EVERY_MS = 100;

/**
 * A progress bar on `stream` when `enabled` and the stream is a terminal; otherwise one that draws
 * nothing (never in `--json` mode, never into a pipe or a file, so cron logs and CI output stay
 * clean). With a total it shows `label [#####.....] 12/40`; without one, `label: 12`.
 */
export function createProgress(stream: ProgressStream, label: string, enabled: boolean): Progress {
  if (!enabled || stream.isTTY !== true) return NONE;
  let count = 0;
  let total: number | undefined;
  let drawnAt = 0;
  let finished = false;
  const draw = (force: boolean): void => {
    const now = Date.now();
    if (finished || (!force && now - drawnAt < REDRAW_EVERY_MS)) return;
    drawnAt = now;
    stream.write(`\r\x1b[K${renderProgress(label, count, total, stream.columns ?? 80)}`);
  };
  draw(true);
  return {
    tick(n = 1) {
      count += n;
      draw(false);
    },
    setTotal(value) {
      total = value;
      draw(false);
    },
    done() {
      if (finished) return;
      finished = true;
      stream.write('\r\x1b[K');
    },
  };
}

/** One frame of the bar, at most `columns` wide. */
export function renderProgress(
  label: string,
  count: number,
  total: number | undefined,
  columns: number,
): string {
  if (total === undefined || total <= 0) return `${label}: ${count}`.slice(0, columns - 1);
  const shown = Math.min(count, total);
  const tail = ` ${shown}/${total}`;
  const width = Math.max(10, Math.min(40, columns - label.length - tail.length - 4));
  const filled = Math.round((shown / total) * width);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail}`.slice(0, columns - 1);
}
