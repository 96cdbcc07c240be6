import type { LiveView } from '../metrics/recorder.js';
import { stamp } from './format.js';
import type { Dashboard, Output } from './types.js';

/** Options of {@link createPlainDashboard}. */
export interface PlainDashboardOptions {
  readonly out: Output;
  readonly view: () => LiveView;
  /** A status line this often (ms). */
  readonly everyMs: number;
}

/**
 * Plain lines for pipes and CI logs: phase changes and breaker events as they happen, and a
 * status line every `everyMs` (breaker, requests per second and failures per cloud, operations,
 * application errors, journal backlog, repairs).
 */
export function createPlainDashboard(options: PlainDashboardOptions): Dashboard {
  const { out } = options;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  const status = (): void => out.write(`${statusLine(options.view())}\n`);
  return {
    line(text) {
      out.write(`${text}\n`);
    },
    start() {
      running = true;
      timer = setInterval(status, options.everyMs);
      timer.unref();
    },
    phase(p) {
      out.write(`${stamp(p.startMs)} phase ${p.index + 1} ${p.id}: ${p.title}\n`);
    },
    event(text) {
      out.write(`${text}\n`);
    },
    stop() {
      if (!running) return;
      running = false;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      status();
    },
  };
}

/** One line of status. */
export function statusLine(v: LiveView): string {
  const lanes = v.lanes
    .map(
      (l) =>
        `${l.lane.target}${l.lane.group === 'api' ? '(api)' : ''}=${l.breaker} ${l.requestsPerSec.toFixed(0)}req/s fail=${l.failures}`,
    )
    .join(' | ');
  return `${stamp(v.elapsedMs)} ops=${v.ops} app-errors=${v.appErrors} backlog=${v.backlog} repaired=${v.repaired} | ${lanes}`;
}
