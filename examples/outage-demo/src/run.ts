import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidOptionError } from '@failover/core';
import type { FailoverAxiosInstance } from '@failover/http';
import type { MultiCloudStore, WriteMode } from '@failover/storage';
import { seededRandom } from '@failover/testkit';
import { cloudStores, createOrderStore } from './app/order-store.js';
import { createPricingClient } from './app/pricing-client.js';
import { tuningFor } from './app/tuning.js';
import { warmUp } from './app/warm-up.js';
import { ANSI, PLAIN, stamp } from './dashboard/format.js';
import { createPlainDashboard } from './dashboard/plain.js';
import { createTtyDashboard } from './dashboard/tty.js';
import type { Dashboard, Output } from './dashboard/types.js';
import { FleetRun } from './fleet/runner.js';
import { type FleetSummary, fleetHtml, fleetLines } from './fleet/summary.js';
import { laneOf } from './metrics/lanes.js';
import { MetricsRecorder } from './metrics/recorder.js';
import { DEFAULTS, type DemoOptions } from './options.js';
import { failoverTimes, lostWrites, runChecks, summarizeErrors } from './report/analyze.js';
import { renderHtml } from './report/html.js';
import type { DemoReport } from './report/model.js';
import { reportLines } from './report/text.js';
import { applyPhase } from './scenarios/apply.js';
import { SCENARIOS } from './scenarios/catalog.js';
import type { PhaseSwitch } from './scenarios/switches.js';
import { timePhases } from './scenarios/timing.js';
import { SCENARIO_IDS } from './scenarios/types.js';
import { type DemoTelemetry, startDemoTelemetry } from './telemetry/otel.js';
import { telemetryReport } from './telemetry/report.js';
import { startTopology, type Topology } from './topology/topology.js';
import { verifyClouds } from './verify/verify.js';
import { Ledger } from './workload/ledger.js';
import { OrderService } from './workload/order-service.js';
import { type OpKind, startTraffic } from './workload/traffic.js';

/**
 * Runs the outage demo: starts the local clouds and the pricing API behind fault proxies, runs the
 * order service through the multi-cloud store and @failover/http while the scenario's phases
 * replay the outage, repairs, verifies every object on every cloud directly, and writes the HTML
 * report. Resolves with the verification report (check `ok`); rejects only when the demo itself
 * could not run (a server would not start, the run was aborted).
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const wallStart = Date.now();
  const o = resolveOptions(options);
  const scenario = SCENARIOS[o.scenario];
  const durationMs = o.durationSec * 1000;
  const phases = timePhases(scenario, durationMs);
  const tuning = tuningFor(durationMs);
  const style = o.color ? ANSI : PLAIN;
  const bucketMs = Math.max(250, Math.round(durationMs / 120));
  const out: Output = o.out;

  const say = (line: string): void =>
    dashboard === undefined ? out.write(`${line}\n`) : dashboard.line(line);
  let dashboard: Dashboard | undefined;
  say(style.bold(`@failover outage demo: ${scenario.title}`));
  say(style.dim(scenario.description));
  say(
    `Starting local clouds (s3rver for S3, the testkit GCS emulator, Azurite for Azure), 3 pricing API regions and 6 fault proxies…`,
  );

  let topology: Topology | undefined;
  let store: MultiCloudStore | undefined;
  let api: FailoverAxiosInstance | undefined;
  let sampler: NodeJS.Timeout | undefined;
  // A real OpenTelemetry SDK records the run; its metrics and spans go next to the HTML report.
  const telemetry: DemoTelemetry | undefined = o.reportPath === null ? undefined : startDemoTelemetry();
  let fleet: FleetRun | undefined;
  const journalDir = await mkdtemp(join(tmpdir(), 'failover-demo-journal-'));
  try {
    topology = await startTopology(o.seed);
    const maxReceiptBytes = o.durationSec >= 60 ? 1536 * 1024 : 512 * 1024;
    if (o.instances > 1) {
      // --fleet: a Redis and the other app instances in processes of their own (src/fleet).
      fleet = await FleetRun.start({
        instances: o.instances,
        topology,
        writeMode: o.writeMode,
        tuning,
        seed: o.seed,
        opsPerSecond: o.opsPerSecond,
        maxReceiptBytes,
        tmpDir: journalDir,
      });
      say(
        `Fleet mode: ${o.instances} app instances share the Redis at ${fleet.redis.url} (journal and breakers).`,
      );
      store = await fleet.mainStore();
      // Their processes start now (slow on a loaded machine); their traffic starts with the main one's.
      await fleet.prepareInstances();
    } else {
      store = createOrderStore(topology.app, {
        writes: o.writeMode,
        journalDir,
        tuning,
        ...(telemetry === undefined ? {} : { observer: telemetry.storeObserver }),
      });
    }
    api = createPricingClient(topology.apiUrls, tuning, telemetry?.apiObserver);
    // Traffic starts once every cloud and region answered this process once (src/app/warm-up.ts).
    await warmUp(topology.app, topology.apiUrls);
    telemetry?.attach(store, api.failover);
    const ledger = new Ledger();
    const service = new OrderService(store, api, ledger);
    say(
      `Ready in ${((Date.now() - wallStart) / 1000).toFixed(1)} s. ${o.durationSec} s of traffic, ${o.opsPerSecond} operations/s, ` +
        `writes ${modeName(o.writeMode)}, seed ${o.seed}.`,
    );

    const started = Date.now();
    /** When each phase's faults were really switched on (a loaded machine lags the schedule). */
    const switches: PhaseSwitch[] = [];
    const s = store;
    const a = api;
    let repairPasses = 0;
    let failovers = { storage: 0, api: 0 };
    let breakerOpens = 0;
    const recorder = new MetricsRecorder(
      {
        proxies: topology.proxies,
        storageStatus: () => s.status().targets,
        apiStatus: () => a.failover.status().targets,
        journal: () => {
          const st = s.status();
          const own = {
            backlog: st.journal.backlog,
            repaired: st.counts.repaired,
            journaled: st.counts.journaled,
          };
          return fleet === undefined ? own : fleet.journalTotals(own);
        },
      },
      bucketMs,
      started,
    );
    const board: Dashboard = o.live
      ? createTtyDashboard({
          out,
          title: `@failover outage demo: ${scenario.title}`,
          phases,
          totalMs: durationMs,
          view: () => recorder.live(),
        })
      : createPlainDashboard({
          out,
          view: () => recorder.live(),
          everyMs: Math.max(1_000, Math.round(durationMs / 24)),
        });
    dashboard = board;

    for (const group of ['storage', 'api'] as const) {
      const on = group === 'storage' ? s.on.bind(s) : a.failover.on.bind(a.failover);
      on('failover', () => {
        failovers = { ...failovers, [group]: failovers[group] + 1 };
      });
      on('open', ({ target, kind, reason }) => {
        breakerOpens++;
        recorder.recordBreaker(group, target, 'open');
        board.event(
          `${stamp(recorder.now())} ${style.red('breaker OPEN')}  ${laneOf(group, target)?.label ?? target} (${kind ?? '?'}${reason === undefined ? '' : `, ${reason}`})`,
        );
      });
      on('halfOpen', ({ target }) => {
        recorder.recordBreaker(group, target, 'halfOpen');
        board.event(
          `${stamp(recorder.now())} ${style.yellow('half-open')}     ${laneOf(group, target)?.label ?? target}: probing`,
        );
      });
      on('close', ({ target }) => {
        recorder.recordBreaker(group, target, 'close');
        board.event(
          `${stamp(recorder.now())} ${style.green('breaker closed')} ${laneOf(group, target)?.label ?? target}`,
        );
      });
    }
    s.on('held', ({ target, held }) => {
      const label = laneOf('storage', target)?.label ?? target;
      board.event(
        held
          ? `${stamp(recorder.now())} ${style.yellow('on hold')}       ${label}: silent while the others answer (writes skip it)`
          : `${stamp(recorder.now())} ${style.green('off hold')}      ${label}: answered`,
      );
    });
    s.on('repairFinished', () => {
      repairPasses++;
    });

    await fleet?.startInstances({ recorder, board, style, startedAt: started });
    board.start();
    sampler = setInterval(() => recorder.sample(), bucketMs);
    let mainOps = 0;
    let mainErrors = 0;
    const rate = fleet?.perInstanceRate ?? o.opsPerSecond;
    const traffic = startTraffic({
      service,
      random: seededRandom(o.seed),
      opsPerSecond: rate,
      maxInFlight: Math.max(8, rate),
      maxReceiptBytes,
      ...(fleet === undefined ? {} : { idPrefix: 'app-1' }),
      onOutcome: (outcome) => {
        mainOps++;
        if (outcome.error !== undefined) mainErrors++;
        recorder.recordOutcome(outcome);
      },
    });
    try {
      for (const phase of phases) {
        o.signal?.throwIfAborted();
        recorder.setPhase(phase.index);
        const switchStartMs = Date.now() - started;
        await applyPhase(phase, topology.proxies);
        switches.push({ index: phase.index, startMs: switchStartMs, doneMs: Date.now() - started });
        fleet?.phase(phase);
        board.phase(phase);
        const wait = started + phase.startMs + phase.durationMs - Date.now();
        if (wait > 0) await sleep(wait, undefined, o.signal === undefined ? {} : { signal: o.signal });
      }
    } finally {
      await traffic.stop();
    }

    // Every fault is gone; let repair finish copying the outage's writes to the clouds that missed them.
    board.event(`${stamp(recorder.now())} traffic stopped; repairing until every cloud has every write`);
    const others = await fleet?.finish(ledger, tuning.breaker.maxResetTimeoutMs);
    const backlogAtEnd =
      (await settleRepair(s, tuning.breaker.maxResetTimeoutMs, o.signal)) + (others?.backlog ?? 0);
    clearInterval(sampler);
    sampler = undefined;
    recorder.sample();
    board.stop();

    say(`Verifying every object on every cloud directly through its SDK (no failover)…`);
    const verification = await verifyClouds(cloudStores(topology.direct), ledger);
    const own = s.status();
    const status = {
      counts: {
        repaired: own.counts.repaired + (others?.repaired ?? 0),
        journaled: own.counts.journaled + (others?.journaled ?? 0),
      },
    };
    repairPasses += others?.repairPasses ?? 0;
    const fleetSummary: FleetSummary | undefined = fleet?.summary({
      ops: mainOps,
      appErrors: mainErrors,
      repaired: own.counts.repaired,
    });
    const times = failoverTimes(phases, recorder);
    const errors = summarizeErrors(
      recorder.errors,
      phases,
      tuning.breaker.maxResetTimeoutMs + 2 * tuning.attemptTimeoutMs,
      switches,
    );
    const lost = lostWrites(verification);
    const checks = runChecks({
      scenario,
      errors,
      verification,
      lost,
      failovers: failovers.storage + failovers.api,
      times,
      repaired: status.counts.repaired,
      journaled: status.counts.journaled,
      backlogAtEnd,
    });
    const byOp: Partial<Record<OpKind, number>> = {};
    const servedByTarget: Record<string, number> = {};
    const servedByRegion: Record<string, number> = {};
    for (const lane of laneTotals(recorder)) {
      if (lane.group === 'storage') servedByTarget[lane.target] = lane.served;
      else servedByRegion[lane.target] = lane.served;
    }
    for (const [op, n] of recorder.opCounts) byOp[op] = n;
    const counts = ledger.counts();
    const report: DemoReport = {
      scenario: scenario.id,
      scenarioTitle: scenario.title,
      appErrorsExpected: scenario.appErrorsExpected,
      writeMode: o.writeMode,
      seed: o.seed,
      durationMs,
      wallMs: 0,
      phases,
      operations: { total: recorder.live().ops, byOp, servedByTarget, servedByRegion },
      appErrors: errors,
      failovers: { ...failovers, breakerOpens },
      timeToFailoverMs: times.toFailoverMs,
      timeToBreakerOpenMs: times.toBreakerOpenMs,
      timeToFailBackMs: times.toFailBackMs,
      writes: {
        acknowledged: counts.acknowledged,
        unacknowledged: counts.unacknowledged,
        journaled: status.counts.journaled,
        repaired: status.counts.repaired,
        backlogAtEnd,
        repairPasses,
      },
      verification,
      lost,
      checks,
      ok: checks.every((c) => c.ok),
      timeline: { bucketMs, buckets: recorder.buckets, events: recorder.events },
      htmlPath: o.reportPath === null ? undefined : resolve(o.reportPath),
      ...(fleetSummary === undefined ? {} : { fleet: fleetSummary }),
    };
    let final: DemoReport = { ...report, wallMs: Date.now() - wallStart };
    const htmlPath = final.htmlPath;
    if (htmlPath !== undefined) {
      await mkdir(dirname(htmlPath), { recursive: true });
      if (telemetry !== undefined) {
        final = { ...final, telemetry: telemetryReport(await telemetry.write(htmlPath)) };
      }
      const html = renderHtml(final);
      await writeFile(
        htmlPath,
        fleetSummary === undefined
          ? html
          : html.replace('<h2>Checks</h2>', `${fleetHtml(fleetSummary)}<h2>Checks</h2>`),
      );
    }
    for (const line of reportLines(final, style)) say(line);
    if (fleetSummary !== undefined) for (const line of fleetLines(fleetSummary, style)) say(line);
    return final;
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    dashboard?.stop();
    await store?.close().catch(() => undefined);
    await telemetry?.stop();
    api?.failover.close();
    await fleet?.close().catch(() => undefined);
    await topology?.close();
    await rm(journalDir, { recursive: true, force: true });
  }
}

/** Options with defaults filled in; bad values throw `InvalidOptionError` naming the option. */
function resolveOptions(options: DemoOptions) {
  const out = options.out ?? process.stdout;
  const isTty = out === process.stdout && process.stdout.isTTY === true;
  const live = options.live ?? isTty;
  const durationSec = options.durationSec ?? DEFAULTS.durationSec;
  if (!Number.isInteger(durationSec) || durationSec < 10 || durationSec > 3600) {
    throw new InvalidOptionError('durationSec', 'must be a whole number of seconds from 10 to 3600');
  }
  const scenario = options.scenario ?? DEFAULTS.scenario;
  if (!SCENARIO_IDS.includes(scenario)) {
    throw new InvalidOptionError('scenario', `must be one of ${SCENARIO_IDS.join(', ')}`);
  }
  const opsPerSecond = options.opsPerSecond ?? DEFAULTS.opsPerSecond;
  if (!Number.isInteger(opsPerSecond) || opsPerSecond < 1 || opsPerSecond > 200) {
    throw new InvalidOptionError('opsPerSecond', 'must be a whole number from 1 to 200');
  }
  const instances = options.instances ?? 1;
  if (!Number.isInteger(instances) || instances < 1 || instances > 8) {
    throw new InvalidOptionError('instances', 'must be a whole number from 1 to 8');
  }
  const seed = options.seed ?? DEFAULTS.seed;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new InvalidOptionError('seed', 'must be a whole number, 0 or more');
  return {
    durationSec,
    scenario,
    writeMode: options.writeMode ?? DEFAULTS.writeMode,
    seed,
    opsPerSecond,
    instances,
    reportPath: options.reportPath === undefined ? DEFAULTS.reportPath : options.reportPath,
    out,
    live,
    color: options.color ?? (live && process.env.NO_COLOR === undefined),
    signal: options.signal,
  };
}

/**
 * Runs repair passes until the journal is empty. A cloud whose breaker is still open is skipped by
 * a pass, so between passes the loop waits for breakers to let a probe through. Gives up after
 * 30 s plus a few reset timeouts, and returns the backlog left.
 */
async function settleRepair(
  store: MultiCloudStore,
  maxResetMs: number,
  signal: AbortSignal | undefined,
): Promise<number> {
  const deadline = Date.now() + 30_000 + 3 * maxResetMs;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (store.status().journal.backlog === 0) return 0;
    await store.repair().catch(() => undefined);
    if (store.status().journal.backlog === 0) return 0;
    await sleep(Math.min(1_000, Math.max(100, maxResetMs / 4)));
  }
  return store.status().journal.backlog;
}

function laneTotals(recorder: MetricsRecorder) {
  return recorder.live().lanes.map((l) => ({ group: l.lane.group, target: l.lane.target, served: l.served }));
}

function modeName(mode: WriteMode): string {
  if (typeof mode === 'string') return mode;
  return mode.minimum === undefined ? `quorum:${mode.quorum}` : `quorum:${mode.quorum},min:${mode.minimum}`;
}
