import type { CaseOutcome } from './storage.js';
import { BENCH_FAILOVER } from './storage-clouds.js';
import type { FailoverRun } from './storage-failover.js';
import type { FaultRun } from './storage-faults.js';
import { type GetRun, RAW_GET } from './storage-get.js';
import type { MemoryRun } from './storage-memory.js';
import type { PutRun } from './storage-puts.js';
import type { RepairRun } from './storage-repair.js';
import type { StampRun } from './storage-stamp.js';
import { fmt, median, mib, printMarkdownTable, quantile, withDelta } from './storage-stats.js';
import { RAW_SDK, RAW_SDKS, type ThroughputRun } from './storage-throughput.js';

const MiB = 1024 * 1024;
const GOAL_RSS_GROWTH = 64 * MiB;

/** Prints every storage table for the outcomes given (groups without outcomes are left out). */
export function printStorageTables(outcomes: readonly CaseOutcome[], rounds: number): void {
  const group = (g: string) => outcomes.filter((o) => o.case.group === g);
  for (const mode of ['primary', 'mirror'] as const) {
    const rows = group('faults').filter((o) => o.case.mode === mode);
    if (rows.length > 0) faultTable(mode, rows, rounds);
  }
  if (group('failover').length > 0) failoverTable(group('failover'));
  if (group('repair').length > 0) repairTable(group('repair'));
  for (const o of group('throughput')) throughputTable(o);
  for (const o of group('puts')) putTable(o);
  if (group('memory').length > 0) memoryTable(group('memory'));
  if (group('stamp').length > 0) stampTable(group('stamp'));
  if (group('get').length > 0) getTable(group('get'));
}

function failed(o: CaseOutcome): string[] {
  return o.failures.map((f) => `- ${o.case.label}${o.case.mode ? ` (${o.case.mode})` : ''} failed: ${f}`);
}

function runsOf<T extends { type: string }>(o: CaseOutcome, type: T['type']): T[] {
  return o.runs.filter((r): r is typeof r & T => r.type === type) as T[];
}

function faultTable(mode: 'primary' | 'mirror', outcomes: readonly CaseOutcome[], rounds: number): void {
  const notes: string[] = [];
  const rows = outcomes.map((o) => {
    const runs = runsOf<FaultRun>(o, 'fault');
    notes.push(...failed(o));
    if (runs.length === 0) return [o.case.label, 'failed', '', '', '', '', '', '', ''];
    const base = runs.flatMap((r) => r.baseline);
    const before = runs.flatMap((r) => r.before);
    const after = runs.flatMap((r) => r.after);
    const b50 = quantile(base, 0.5);
    const b99 = quantile(base, 0.99);
    const opened = runs.every((r) => r.opened);
    const errors = runs.reduce((n, r) => n + r.errors + r.baselineErrors, 0);
    const samples = [...new Set(runs.flatMap((r) => r.errorSamples))];
    if (errors > 0) notes.push(`- ${o.case.label}: ${errors} errors, e.g. ${samples.join('; ')}`);
    const probes = runs.reduce((n, r) => n + r.probes, 0);
    if (probes > 0)
      notes.push(
        `- ${o.case.label}: ${probes} half-open probe(s) of the primary among the calls after it opened`,
      );
    return [
      o.case.label,
      String(errors),
      runs
        .map((r) =>
          r.msToOpen === null
            ? `never opened (${r.beforeCalls} pairs)`
            : `${r.beforeCalls} pairs, ${fmt(r.msToOpen / 1000, 1)} s`,
        )
        .join('; '),
      withDelta(quantile(before, 0.5), b50),
      withDelta(quantile(before, 0.99), b99),
      opened ? withDelta(quantile(after, 0.5), b50) : 'n/a',
      opened ? withDelta(quantile(after, 0.99), b99) : 'n/a',
      fmt(b50, 1),
      fmt(b99, 1),
    ];
  });
  printMarkdownTable(
    `Fault on the primary (S3), writes: '${mode}': ms per put+get pair of a 1 KiB object`,
    [
      'fault on the primary',
      'app errors',
      'before the breaker opened',
      'before open p50 (+ vs no fault)',
      'before open p99',
      'after open p50',
      'after open p99',
      'no fault p50',
      'no fault p99',
    ],
    rows,
    [
      `Router: defaults plus \`attemptTimeoutMs: ${BENCH_FAILOVER.attemptTimeoutMs}\`; ${rounds} run(s) per row, samples pooled. "No fault" is the same workload in the same process just before the fault was set.`,
      ...notes,
    ],
  );
}

/** `put 5, head 1`: adapter calls by method. */
function byMethod(counts: Record<string, number> | undefined): string {
  const entries = Object.entries(counts ?? {}).filter(([, n]) => n > 0);
  return entries.length === 0 ? 'none' : entries.map(([m, n]) => `${m} ${n}`).join(', ');
}

function failoverTable(outcomes: readonly CaseOutcome[]): void {
  const notes: string[] = [];
  const rows = outcomes.map((o) => {
    const runs = runsOf<FailoverRun>(o, 'failover');
    notes.push(...failed(o));
    const r = runs[0];
    if (!r) return [o.case.label, '?', 'failed', '', '', '', '', '', '', '', '', ''];
    if (r.errors > 0)
      notes.push(`- ${o.case.label}, ${r.concurrency} in flight: ${r.errorSamples.join('; ')}`);
    if ((r.holdsWithoutFault ?? 0) > 0 || (r.healthyHolds ?? 0) > 0)
      notes.push(
        `- ${o.case.label}, ${r.concurrency} in flight: healthy clouds put on hold ${r.holdsWithoutFault} times with no fault, ${r.healthyHolds} with the fault on`,
      );
    return [
      o.case.label,
      String(r.concurrency),
      `${r.errors}${r.hung > 0 ? ` (${r.hung} hung)` : ''} / ${r.calls}`,
      r.callsUntilLeft === null ? `never (${r.calls} calls)` : String(r.callsUntilLeft),
      `${r.callsUntilLastReached ?? '?'}${r.callsUntilHeld === null || r.callsUntilHeld === undefined ? '' : ` (held at ${r.callsUntilHeld})`}`,
      r.callsAtFirstFailure === null || r.callsAtFirstFailure === undefined
        ? 'none'
        : r.callsUntilLeft === null
          ? `${r.callsAtFirstFailure}, never left`
          : `${r.callsAtFirstFailure} (+${r.callsUntilLeft - r.callsAtFirstFailure})`,
      `${fmt(r.sickAttemptsBeforeLeft / Math.max(1, r.offeredBeforeLeft), 2)} (${byMethod(r.sickByMethodBeforeLeft)})`,
      `${fmt(quantile(r.latencies, 0.5), 1)} / ${fmt(quantile(r.latencies, 0.99), 1)}`,
      `${fmt(quantile(r.getLatencies ?? [], 0.5), 1)} / ${fmt(quantile(r.getBaseline ?? [], 0.5), 1)}`,
      fmt(Math.max(0, ...r.latencies), 0),
      `${fmt(quantile(r.baseline, 0.5), 1)} / ${fmt(quantile(r.baseline, 0.99), 1)}`,
    ];
  });
  printMarkdownTable(
    'Time to fail over (default options)',
    [
      'fault on the first cloud',
      'in flight',
      'app errors / calls',
      'calls until the sick cloud is left',
      'last call reaching it (on hold at)',
      'calls at its first failure (+ more until left)',
      'sick-cloud attempts per call offered (by method)',
      'p50 / p99 ms',
      'get p50 ms: fault / no fault',
      'longest call ms',
      'no-fault p50 / p99 ms',
    ],
    rows,
    notes,
  );
}

function repairTable(outcomes: readonly CaseOutcome[]): void {
  const notes: string[] = [];
  const rows = outcomes.map((o) => {
    const runs = runsOf<RepairRun>(o, 'repair');
    notes.push(...failed(o));
    if (runs.length === 0) return [o.case.label, 'failed', '', '', '', '', '', '', ''];
    const ms = median(runs.map((r) => r.ms));
    const first = runs[0]!;
    const copies = median(runs.map((r) => r.repaired));
    return [
      o.case.label,
      String(first.objects),
      fmt(copies),
      String(runs.reduce((n, r) => n + r.failed, 0)),
      String(Math.max(...runs.map((r) => r.backlog))),
      String(Math.min(...runs.map((r) => r.onPrimary))),
      runs.length > 1 ? `${fmt(ms)} (${runs.map((r) => fmt(r.ms)).join(', ')})` : fmt(ms),
      fmt((first.objects / ms) * 1000, 0),
      fmt((copies / ms) * 1000, 0),
    ];
  });
  printMarkdownTable(
    'Repair after a primary outage: `store.repair()` of objects written while S3 refused connections',
    [
      'case',
      'objects',
      'copies made',
      'failed',
      'backlog after',
      'objects on S3 after',
      'repair ms',
      'objects/s',
      'copies/s',
    ],
    rows,
    notes,
  );
}

function throughputTable(o: CaseOutcome): void {
  const runs = runsOf<ThroughputRun>(o, 'throughput');
  const notes = failed(o);
  const byName = new Map<string, { puts: number[]; gets: number[] }>();
  for (const r of runs) {
    for (const v of r.variants) {
      const e = byName.get(v.name) ?? { puts: [], gets: [] };
      e.puts.push(...v.putsPerSecond);
      e.gets.push(...v.getsPerSecond);
      byName.set(v.name, e);
    }
  }
  const bytes = Number(o.case.id.split('/')[1]);
  const raw = byName.get(RAW_SDK);
  const rawPut = median(raw?.puts ?? []);
  const rawGet = median(raw?.gets ?? []);
  // The default write mode's bound: the raw put rate of the slower of the two fastest clouds.
  const rawRates = RAW_SDKS.map((n) => median(byName.get(n)?.puts ?? [])).filter((r) => r > 0);
  const secondFastest = rawRates.sort((a, b) => b - a)[1] ?? rawPut;
  // The same, round by round (variants take turns within a round, so each round's ratio compares
  // calls made under the same machine load): the median of the per-round ratios.
  const rawByRound = RAW_SDKS.map((n) => byName.get(n)?.puts ?? []);
  const perRound = (puts: readonly number[]): number =>
    median(
      puts.flatMap((put, i) => {
        const rates = rawByRound.map((r) => r[i]).filter((r): r is number => r !== undefined && r > 0);
        const second = rates.sort((a, b) => b - a)[1];
        return second === undefined ? [] : [put / second];
      }),
    );
  const rows = [...byName.entries()].map(([name, e]) => {
    const put = median(e.puts);
    const get = median(e.gets);
    return [
      name,
      `${fmt(put)} (${fmt(Math.min(...e.puts))}..${fmt(Math.max(...e.puts))})`,
      fmt((put * bytes) / MiB, 1),
      `${fmt(put / rawPut, 2)}x`,
      `${fmt(put / secondFastest, 2)}x`,
      `${fmt(perRound(e.puts), 2)}x`,
      `${fmt(get)} (${fmt(Math.min(...e.gets))}..${fmt(Math.max(...e.gets))})`,
      fmt((get * bytes) / MiB, 1),
      `${fmt(get / rawGet, 2)}x`,
    ];
  });
  printMarkdownTable(
    `Throughput, ${o.case.label}`,
    [
      'client',
      'puts/s (median, min..max)',
      'put MiB/s',
      'put vs raw S3',
      'put vs 2nd-fastest raw cloud',
      'same, per round (median)',
      'gets/s (median, min..max)',
      'get MiB/s',
      'get vs raw SDK',
    ],
    rows,
    notes,
  );
}

/**
 * Puts alone: each variant's rate, CPU time and call times (medians over rounds), and its rate
 * against raw S3 and against the 2nd-fastest raw cloud, taken round by round (the median of the
 * per-round ratios: variants take turns within a round, under the same load).
 */
function putTable(o: CaseOutcome): void {
  const runs = runsOf<PutRun>(o, 'puts');
  const notes = failed(o);
  const byName = new Map<
    string,
    { rate: number[]; cpu: number[]; p50: number[]; p90: number[]; landed: Record<string, number> }
  >();
  for (const r of runs) {
    for (const v of r.variants) {
      const e = byName.get(v.name) ?? { rate: [], cpu: [], p50: [], p90: [], landed: {} };
      e.rate.push(...v.putsPerSecond);
      e.cpu.push(...v.cpuMsPerPut);
      e.p50.push(...v.p50Ms);
      e.p90.push(...v.p90Ms);
      for (const [t, n] of Object.entries(v.landed ?? {})) e.landed[t] = (e.landed[t] ?? 0) + n;
      byName.set(v.name, e);
    }
  }
  for (const [name, e] of byName) {
    const total = Object.values(e.landed).reduce((a, b) => a + b, 0);
    if (total === 0) continue;
    const shares = Object.entries(e.landed).map(([t, n]) => `${t} ${fmt((n / total) * 100)} %`);
    notes.push(`- ${name}: calls answered by each cloud (puts and their copies): ${shares.join(', ')}`);
  }
  const rawS3 = byName.get(RAW_SDK)?.rate ?? [];
  const rawByRound = RAW_SDKS.map((n) => byName.get(n)?.rate ?? []);
  const perRound = (rates: readonly number[], base: (i: number) => number | undefined): number =>
    median(
      rates.flatMap((rate, i) => {
        const b = base(i);
        return b === undefined || !(b > 0) ? [] : [rate / b];
      }),
    );
  const second = (i: number): number | undefined => {
    const rates = rawByRound.map((r) => r[i]).filter((r): r is number => r !== undefined && r > 0);
    return rates.sort((a, b) => b - a)[1];
  };
  const rows = [...byName.entries()].map(([name, e]) => [
    name,
    `${fmt(median(e.rate), 1)} (${fmt(Math.min(...e.rate), 1)}..${fmt(Math.max(...e.rate), 1)})`,
    fmt(median(e.p50), 1),
    fmt(median(e.p90), 1),
    fmt(median(e.cpu), 2),
    `${fmt(
      perRound(e.rate, (i) => rawS3.at(i)),
      2,
    )}x`,
    `${fmt(perRound(e.rate, second), 2)}x`,
  ]);
  printMarkdownTable(
    `Puts, ${o.case.label}`,
    [
      'client',
      'puts/s (median, min..max)',
      'p50 ms',
      'p90 ms',
      'CPU ms per put',
      'vs raw S3 (per round)',
      'vs 2nd-fastest raw cloud (per round)',
    ],
    rows,
    notes,
  );
}

function memoryTable(outcomes: readonly CaseOutcome[]): void {
  const notes: string[] = [];
  const rows: string[][] = [];
  for (const o of outcomes) {
    notes.push(...failed(o));
    const runs = runsOf<MemoryRun>(o, 'memory');
    if (runs.length === 0) continue;
    const stamps = runs.flatMap((r) => (r.stampMs === undefined ? [] : [r.stampMs]));
    if (stamps.length > 0) {
      notes.push(
        `- ${o.case.label}: every copy stamped with its SHA-256 ${stamps.map((ms) => fmt(ms / 1000, 2)).join(', ')} s after the put returned (in the background, waited for before the get)`,
      );
    }
    for (const [name, pick] of [
      ['streamed put (generated stream)', (r: MemoryRun) => r.put],
      ['streamed get (read and dropped)', (r: MemoryRun) => r.get],
      ['copy through the store (source verified as it streams)', (r: MemoryRun) => r.copy],
    ] as const) {
      const samples = runs.flatMap((r) => {
        const sample = pick(r);
        return sample === undefined ? [] : [sample];
      });
      if (samples.length === 0) continue;
      const growth = samples.map((s) => s.rssPeak - s.rssBefore);
      const worst = Math.max(...growth);
      const seconds = median(samples.map((s) => s.ms / 1000));
      rows.push([
        name,
        o.case.label,
        `${mib(samples[0]!.bytes)} MiB`,
        fmt(seconds, 1),
        fmt(samples[0]!.bytes / MiB / seconds, 1),
        mib(median(samples.map((s) => s.rssBefore))),
        growth.map((g) => mib(g)).join(', '),
        mib(worst),
        samples
          .map((x) =>
            x.buffersPeak === undefined || x.buffersBefore === undefined
              ? 'n/a'
              : mib(x.buffersPeak - x.buffersBefore),
          )
          .join(', '),
        worst <= GOAL_RSS_GROWTH ? 'met' : 'NOT met',
      ]);
    }
  }
  boundsTable(outcomes);
  printMarkdownTable(
    'A big object streamed through the store to S3 (RSS sampled every 50 ms, one process per run)',
    [
      'transfer',
      'through',
      'size',
      'seconds (median)',
      'MiB/s',
      'RSS before (MiB, median)',
      'peak RSS growth per run (MiB)',
      'worst growth (MiB)',
      'of which Buffer memory (`arrayBuffers` growth per run, MiB)',
      'goal: growth <= 64 MiB',
    ],
    rows,
    notes,
  );
}

/** Issue 13's bounds on a big streamed put, each case against the raw SDK's medians of the same run. */
function boundsTable(outcomes: readonly CaseOutcome[]): void {
  const byClient = new Map<string, MemoryRun[]>();
  for (const o of outcomes) byClient.set(o.case.id.slice('memory/'.length), runsOf<MemoryRun>(o, 'memory'));
  const seconds = (client: string): number =>
    median((byClient.get(client) ?? []).map((r) => r.put.ms / 1000));
  const upload = seconds('upload');
  const raw = seconds('raw');
  if (!Number.isFinite(upload) || !Number.isFinite(raw)) return;
  const rows: string[][] = [];
  for (const o of outcomes) {
    const client = o.case.id.slice('memory/'.length);
    const runs = byClient.get(client) ?? [];
    const store = client.startsWith('multi');
    if (runs.length === 0 || (!store && !client.startsWith('adapter'))) continue;
    const t = seconds(client);
    const worst = Math.max(...runs.map((r) => r.put.rssPeak - r.put.rssBefore));
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    // Cases take turns within a round: the n-th runs of two cases ran under about the same load.
    const perRound = (base: string): string => {
      const other = byClient.get(base) ?? [];
      const ratios = runs.flatMap((r, i) => (other[i] === undefined ? [] : [r.put.ms / other[i]!.put.ms]));
      return ratios.map((x) => fmt(x, 2)).join(', ');
    };
    const bounds = store
      ? [
          `${fmt(t / upload, 2)}x: ${verdict(t <= 1.1 * upload)} (<= 1.1x); per round ${perRound('upload')}`,
          `${fmt(t / raw, 2)}x: ${verdict(t <= 1.3 * raw)} (<= 1.3x); per round ${perRound('raw')}`,
          `${mib(worst)}: ${verdict(worst <= 64 * MiB)} (<= 64)`,
        ]
      : [
          `${fmt(t / upload, 2)}x: ${verdict(t <= 1.05 * upload)} (<= 1.05x); per round ${perRound('upload')}`,
          `${fmt(t / raw, 2)}x; per round ${perRound('raw')}`,
          `${mib(worst)}: ${verdict(worst <= 48 * MiB)} (<= 48)`,
        ];
    rows.push([o.case.label, runs.map((r) => fmt(r.put.ms / 1000, 1)).join(', '), fmt(t, 1), ...bounds]);
  }
  printMarkdownTable(
    `Issue 13's bounds on a streamed put of ${mib(bigBytesOf(outcomes))} MiB (medians of this run; raw Upload ${fmt(upload, 1)} s, one raw PutObject ${fmt(raw, 1)} s)`,
    [
      'put through',
      'seconds per run',
      'seconds (median)',
      'vs raw Upload',
      'vs one raw PutObject',
      'peak RSS growth, worst run (MiB)',
    ],
    rows,
  );
}

function bigBytesOf(outcomes: readonly CaseOutcome[]): number {
  for (const o of outcomes) for (const r of runsOf<MemoryRun>(o, 'memory')) return r.put.bytes;
  return Number.NaN;
}

/** What a stamp costs per size and cloud, and what the next write of the key waits. */
function stampTable(outcomes: readonly CaseOutcome[]): void {
  const notes: string[] = [];
  const rows: string[][] = [];
  const clouds = ['aws', 'gcp', 'azure'];
  for (const o of outcomes) {
    notes.push(...failed(o));
    const runs = runsOf<StampRun>(o, 'stamp');
    if (runs.length === 0) continue;
    const ms = (values: readonly number[]) =>
      `${fmt(median(values), 1)} (${fmt(Math.min(...values), 1)}..${fmt(Math.max(...values), 1)})`;
    rows.push([
      o.case.label,
      ...clouds.map((c) => ms(runs.flatMap((r) => r.setMetadataMs[c] ?? []))),
      ms(runs.flatMap((r) => r.nextPutSameKeyMs)),
      ms(runs.flatMap((r) => r.nextPutOtherKeyMs)),
    ]);
  }
  printMarkdownTable(
    'Stamp cost: `setMetadata` with `ifMatch` per cloud, and the next 1 KiB put after a streamed put (ms, median (min..max))',
    [
      'object size',
      'S3 (s3rver): HEAD + CopyObject onto itself + HEAD',
      'GCS (emulator): GET metadata + PATCH',
      'Azure (Azurite): Set Blob Metadata + Get Properties',
      "next put of the same key (waits for the 3 stamps), 'mirror'",
      'a put of another key started with it',
    ],
    rows,
    notes,
  );
}

/** Gets against the raw SDK: rate (and per-round ratio) and time to first byte. */
function getTable(outcomes: readonly CaseOutcome[]): void {
  const notes: string[] = [];
  const rows: string[][] = [];
  for (const o of outcomes) {
    notes.push(...failed(o));
    const runs = runsOf<GetRun>(o, 'get');
    if (runs.length === 0) continue;
    const byName = new Map<string, { baseline: string; rates: number[]; ttfb: number[]; cpu: number[] }>();
    for (const r of runs) {
      for (const v of r.variants) {
        const e = byName.get(v.name) ?? { baseline: v.baseline ?? RAW_GET, rates: [], ttfb: [], cpu: [] };
        e.rates.push(...v.getsPerSecond);
        e.ttfb.push(...v.ttfbMs);
        e.cpu.push(...v.cpuMsPerCall);
        byName.set(v.name, e);
      }
    }
    for (const [name, e] of byName) {
      const raw = byName.get(e.baseline);
      if (raw === undefined) continue;
      // Variants take turns within a round: the ratio of each round compares calls under the same load.
      const perRound = median(e.rates.map((rate, i) => rate / (raw.rates[i] ?? Number.NaN)));
      const t50 = quantile(e.ttfb, 0.5);
      const dt = t50 - quantile(raw.ttfb, 0.5);
      const dcpu = median(e.cpu) - median(raw.cpu);
      rows.push([
        o.case.label,
        name,
        `${fmt(median(e.rates))} (${fmt(Math.min(...e.rates))}..${fmt(Math.max(...e.rates))})`,
        `${fmt(median(e.rates) / median(raw.rates), 2)}x`,
        `${fmt(perRound, 2)}x`,
        `${fmt(t50, 2)} (${dt >= 0 ? '+' : ''}${fmt(dt, 2)})`,
        fmt(quantile(e.ttfb, 0.9), 2),
        `${fmt(median(e.cpu), 2)} (${dcpu >= 0 ? '+' : ''}${fmt(dcpu, 2)})`,
      ]);
    }
  }
  printMarkdownTable(
    'Gets against the raw SDK (each cloud through its proxy, compared with its own SDK; the multi-cloud store with raw S3, and it verifies every read)',
    [
      'case',
      'client',
      'gets/s (median, min..max)',
      'vs raw (medians)',
      'vs raw (median of per-round ratios)',
      'time to first byte p50 ms (vs raw)',
      'p90 ms',
      'CPU ms per get, this process (vs raw)',
    ],
    rows,
    notes,
  );
}
