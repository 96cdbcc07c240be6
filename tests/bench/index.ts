import { execFileSync } from 'node:child_process';
import { arch, cpus, platform, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type BenchCase, closedCases, failingPathCases, interleavedClosed } from './core.js';
import { type BenchResult, printTable } from './harness.js';
import { interleavedOverhead, OTEL_BASELINE, otelCases } from './otel.js';

/**
 * `pnpm bench`: every case runs in its own fresh Node process (so no case inherits another's JIT
 * state), in interleaved rounds; the table shows the median over rounds. Paste the output into
 * docs/benchmarks.md. An argument selects one part: `core`, `otel`, `storage` (the multi-cloud storage
 * benchmark, see storage.ts; `storage/faults`, `storage/repair`... for one of its groups), `fleet`
 * (fleet mode on Redis: fleet.ts with routers, fleet-stores.ts with multi-cloud stores;
 * `fleet/routers`, `fleet/stores`, `fleet/scenarios` for one part) or `jepsen` (the Jepsen-style soak, see jepsen.ts); none runs
 * everything.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const all: readonly BenchCase[] = [...closedCases, ...failingPathCases, ...otelCases];

async function child(name: string): Promise<void> {
  const c = all.find((x) => x.name === name);
  if (!c) throw new Error(`no bench case ${name}`);
  const ns = await c.run();
  console.log(JSON.stringify({ ns }));
}

function runInChild(name: string): number {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--case', name],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return (JSON.parse(out.trim().split('\n').pop() ?? '{}') as { ns: number }).ns;
}

function summarize(cases: readonly BenchCase[]): BenchResult[] {
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) samples.get(c.name)?.push(runInChild(c.name));
  }
  return cases.map((c) => {
    const s = (samples.get(c.name) ?? []).sort((a, b) => a - b);
    return {
      name: c.name,
      nsPerOp: s[Math.floor(s.length / 2)] ?? Number.NaN,
      minNs: s[0] ?? Number.NaN,
      maxNs: s[s.length - 1] ?? Number.NaN,
    };
  });
}

const SELECTIONS = ['core', 'otel', 'storage', 'fleet', 'jepsen'];

async function main(): Promise<void> {
  const i = process.argv.indexOf('--case');
  if (i >= 0) return child(process.argv[i + 1] ?? '');
  const selection = process.argv[2];
  const part = selection?.split('/')[0];
  if (part !== undefined && !SELECTIONS.includes(part)) {
    throw new Error(`unknown bench selection ${JSON.stringify(selection)} (known: ${SELECTIONS.join(', ')})`);
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `Node ${process.version}, ${platform()} ${arch()}, ${cpus().length} x ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB\n`,
  );
  if (part === undefined || part === 'core') {
    console.log(`Core: ${ROUNDS} rounds, one process per case\n`);
    printTable('Closed path: one no-op call', summarize(closedCases), 'opossum fire() (timeout off)');
    const turns = await interleavedClosed();
    const off = turns[0]!;
    const ten = turns[1]!;
    console.log(
      '### The closed path interleaved in one process, CPU ns per call (fastest and median of 30 batches)\n',
    );
    console.log(
      '| case | CPU ns/call (fastest) | CPU ns/call (median) | vs opossum, timeout off (median) | vs opossum, timeout 10 s (median) |',
    );
    console.log('|---|---:|---:|---:|---:|');
    for (const t of turns) {
      console.log(
        `| ${t.name} | ${t.minNs.toFixed(0)} | ${t.medianNs.toFixed(0)} | ${(t.medianNs / off.medianNs).toFixed(2)}x | ${(t.medianNs / ten.medianNs).toFixed(2)}x |`,
      );
    }
    console.log('');
    printTable(
      'Failing call (an availability error) with N calls in the rolling window',
      summarize(failingPathCases),
      'opossum fire() failing, 0 calls in window',
    );
  }
  if (part === undefined || part === 'otel') {
    console.log(`@failover/otel: ${ROUNDS} rounds, one process per case\n`);
    printTable('Closed path with OpenTelemetry: one no-op call', summarize(otelCases), OTEL_BASELINE);
    const turns = await interleavedOverhead();
    const base = turns[0]!;
    console.log('\n### The same, interleaved in one process (fastest and median of 40 batches)\n');
    console.log(
      '| case | ns/call (fastest batch) | ns/call (median batch) | vs opossum, timeout off (fastest / median) | vs opossum, same timeout (fastest / median) |',
    );
    console.log('|---|---:|---:|---:|---:|');
    for (const t of turns) {
      const like = turns.find((x) => x.name === t.like) ?? base;
      console.log(
        `| ${t.name} | ${t.minNs.toFixed(0)} | ${t.medianNs.toFixed(0)} | ${(t.minNs / base.minNs).toFixed(2)}x / ${(t.medianNs / base.medianNs).toFixed(2)}x | ${(t.minNs / like.minNs).toFixed(2)}x / ${(t.medianNs / like.medianNs).toFixed(2)}x |`,
      );
    }
  }
  if (part === undefined || part === 'storage') {
    // Loaded only when selected: it pulls in the cloud SDKs and the testkit.
    const { runStorageBench } = await import('./storage.js');
    await runStorageBench(selection?.includes('/') ? selection.slice('storage/'.length) : undefined);
  }
  if (part === undefined || part === 'fleet') {
    // Loaded only when selected: it starts a redis-server.
    const sub = selection?.includes('/') ? selection.slice('fleet/'.length) : undefined;
    if (sub === undefined || sub === 'routers') {
      const { runFleetBench } = await import('./fleet.js');
      await runFleetBench();
    }
    // Multi-cloud stores over the local clouds (fleet-stores.ts).
    const stores = await import('./fleet-stores.js');
    if (sub === undefined || sub === 'stores') await stores.runFleetStoresBench();
    if (sub?.startsWith('stores/')) await stores.runFleetStoresBench(sub.slice('stores/'.length).split(','));
    if (sub === undefined || sub === 'scenarios') await stores.runFleetScenariosBench();
  }
  if (part === undefined || part === 'jepsen') {
    // The Jepsen-style soak of the multi-cloud store (see tests/multi-cloud/jepsen.ts).
    const { runJepsenBench } = await import('./jepsen.js');
    await runJepsenBench();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
