import type { LiveView } from '../metrics/recorder.js';
import type { TimedPhase } from '../scenarios/types.js';
import { ANSI, breaker, cell, num, stamp } from './format.js';
import type { Dashboard, Output } from './types.js';

/** What the live dashboard shows besides the metrics. */
export interface TtyDashboardOptions {
  readonly out: Output;
  readonly title: string;
  readonly phases: readonly TimedPhase[];
  readonly totalMs: number;
  /** The latest metrics. */
  readonly view: () => LiveView;
  /** Redraw period in ms. Default 250. */
  readonly refreshMs?: number;
}

const s = ANSI;

/**
 * A live terminal view, redrawn in place with ANSI escapes: the phase, a progress bar, one row per
 * cloud and API region (breaker, requests per second, calls served, failures the library saw), the
 * application's operations and errors, the journal backlog and repair progress, recent events.
 */
export function createTtyDashboard(options: TtyDashboardOptions): Dashboard {
  const { out } = options;
  const recent: string[] = [];
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  let phase: TimedPhase | undefined;

  const clear = (): void => {
    if (drawn > 0) out.write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  const draw = (): void => {
    const width = Math.max(40, (process.stdout.columns ?? 120) - 1);
    const lines = render(options, options.view(), phase, recent, width).map((l) => fit(l, width));
    clear();
    out.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };

  return {
    line(text) {
      clear();
      out.write(`${text}\n`);
      if (timer !== undefined) draw();
    },
    start() {
      out.write('\x1b[?25l');
      draw();
      timer = setInterval(draw, options.refreshMs ?? 250);
      timer.unref();
    },
    phase(p) {
      phase = p;
      recent.push(`${stamp(p.startMs)} ${s.cyan(`phase ${p.id}`)}: ${p.title}`);
      if (timer !== undefined) draw();
    },
    event(text) {
      recent.push(text);
      if (recent.length > 6) recent.splice(0, recent.length - 6);
    },
    stop() {
      if (timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
      draw();
      drawn = 0;
      out.write('\x1b[?25h');
    },
  };
}

function render(
  options: TtyDashboardOptions,
  v: LiveView,
  phase: TimedPhase | undefined,
  recent: readonly string[],
  width: number,
): string[] {
  const lines: string[] = [];
  const elapsed = Math.min(v.elapsedMs, options.totalMs);
  lines.push(
    `${s.bold(options.title)}   ${s.dim(`${(elapsed / 1000).toFixed(1)} s of ${(options.totalMs / 1000).toFixed(0)} s`)}`,
  );
  if (phase !== undefined) {
    lines.push(
      `phase ${phase.index + 1}/${options.phases.length} ${s.bold(s.cyan(phase.id))}: ${phase.title}`,
    );
    for (const l of wrap(`≈ ${phase.realWorld}`, width - 2, 3)) lines.push(s.dim(`  ${l}`));
  }
  lines.push(progress(options.phases, elapsed, options.totalMs));
  lines.push('');
  lines.push(
    s.dim(
      `${cell('', 24)}${cell('breaker', 10)}${'req/s'.padStart(7)}${'served/s'.padStart(10)}${'served'.padStart(8)}${'lib failures'.padStart(14)}`,
    ),
  );
  let group = '';
  for (const l of v.lanes) {
    if (l.lane.group !== group) {
      group = l.lane.group;
      lines.push(
        s.bold(group === 'storage' ? 'storage (multi-cloud store)' : 'pricing API (axios + @failover/http)'),
      );
    }
    const failures = l.failures > 0 ? s.yellow(num(l.failures, 14)) : num(l.failures, 14);
    lines.push(
      `  ${cell(l.lane.label, 22)}${breaker(l.breaker, s)} ${num(l.requestsPerSec, 7, 1)}${num(l.servedPerSec, 10, 1)}${num(l.served, 8)}${failures}`,
    );
  }
  lines.push('');
  const errors = v.appErrors === 0 ? s.green(s.bold('0')) : s.red(s.bold(String(v.appErrors)));
  lines.push(
    `application: ${v.ops} operations (${v.opsPerSec.toFixed(1)}/s), errors seen by the app: ${errors}`,
  );
  const backlog = v.backlog > 0 ? s.yellow(String(v.backlog)) : s.green('0');
  lines.push(`journal: ${v.journaled} writes journaled, backlog ${backlog}, ${v.repaired} copies repaired`);
  lines.push('');
  for (const r of recent) lines.push(`  ${r}`);
  return lines;
}

function progress(phases: readonly TimedPhase[], elapsed: number, total: number): string {
  const width = 60;
  let bar = '';
  for (const p of phases) {
    const cells = Math.max(1, Math.round((p.durationMs / total) * width));
    const done = Math.max(0, Math.min(cells, Math.round(((elapsed - p.startMs) / total) * width)));
    const faulty = Object.values(p.faults).some((f) => f !== undefined && f.type !== 'pass');
    const paint = faulty ? s.red : s.green;
    bar += paint('█'.repeat(done)) + s.dim('░'.repeat(cells - done));
  }
  return `[${bar}]`;
}

/**
 * Cuts a line to `width` visible characters (ANSI escapes do not count), so that no line wraps:
 * the redraw moves the cursor up by the number of lines it printed.
 */
export function fit(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\x1b') {
      const end = line.indexOf('m', i);
      if (end < 0) break;
      out += line.slice(i, end + 1);
      i = end;
      continue;
    }
    if (visible >= width) continue;
    out += line[i];
    visible++;
  }
  return visible >= width ? `${out}\x1b[0m` : out;
}

/** Splits text into lines of at most `width` characters at spaces, at most `max` lines. */
export function wrap(text: string, width: number, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.length > max ? [...lines.slice(0, max - 1), `${lines[max - 1]}…`] : lines;
}
