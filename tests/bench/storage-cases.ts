import { FAILOVER_SPECS, type FailoverRun, runFailoverCase } from './storage-failover.js';
import { FAULT_SPECS, type FaultRun, runFaultCase } from './storage-faults.js';
import { type GetRun, runGetCase } from './storage-get.js';
import { type MemoryRun, runMemoryCase } from './storage-memory.js';
import { type PutRun, runPutCase } from './storage-puts.js';
import { type RepairRun, runRepairCase } from './storage-repair.js';
import { runStampCase, STAMP_SIZES, type StampRun } from './storage-stamp.js';
import { runThroughputCase, type ThroughputRun } from './storage-throughput.js';

/** Marks the child's result line on stdout (one JSON line), so nothing else is mistaken for it. */
export const RESULT_PREFIX = 'STORAGE_BENCH_RESULT ';

/** What a storage case's child process reports back. */
export type StorageRun =
  | FaultRun
  | FailoverRun
  | RepairRun
  | ThroughputRun
  | PutRun
  | MemoryRun
  | StampRun
  | GetRun;

/** One storage benchmark case; each runs in a fresh child process with its own servers. */
export interface StorageCase {
  /** Unique id, also the child's argument. */
  readonly id: string;
  readonly group: 'faults' | 'failover' | 'repair' | 'throughput' | 'puts' | 'memory' | 'stamp' | 'get';
  /** The row's label in its table. */
  readonly label: string;
  /** The write mode (faults, repair) when there is one. */
  readonly mode?: 'primary' | 'mirror';
  /** Runs per round, each in its own fresh process. Default 1. */
  readonly runs?: number;
  run(): Promise<StorageRun>;
}

const KiB = 1024;
const MiB = 1024 * KiB;

const faultCases: StorageCase[] = (['primary', 'mirror'] as const).flatMap((mode) =>
  FAULT_SPECS.map(
    (spec): StorageCase => ({
      id: `faults/${mode}/${spec.name}`,
      group: 'faults',
      label: spec.name,
      mode,
      run: () => runFaultCase(spec, mode),
    }),
  ),
);

/** "Time to fail over" on default options: each fault, sequential and 8 in flight. */
const failoverCases: StorageCase[] = ([1, 8] as const).flatMap((concurrency) =>
  FAILOVER_SPECS.map(
    (spec): StorageCase => ({
      id: `failover/${concurrency}/${spec.name}`,
      group: 'failover',
      label: spec.name,
      run: () => runFailoverCase(spec, concurrency),
    }),
  ),
);

const repairCases: StorageCase[] = [
  { writes: 'mirror' as const, concurrency: 4, maxConcurrency: 32 },
  { writes: 'mirror' as const, concurrency: 4, maxConcurrency: 4 },
  { writes: 'mirror' as const, concurrency: 16, maxConcurrency: 16 },
  { writes: 'primary' as const, concurrency: 4, maxConcurrency: 32 },
  { writes: 'primary' as const, concurrency: 4, maxConcurrency: 4 },
].map((spec) => ({
  id: `repair/${spec.writes}/${spec.concurrency}-${spec.maxConcurrency}`,
  group: 'repair',
  label:
    spec.concurrency === spec.maxConcurrency
      ? `writes: '${spec.writes}', repair concurrency ${spec.concurrency} (fixed)`
      : `writes: '${spec.writes}', repair concurrency ${spec.concurrency} to ${spec.maxConcurrency} (default, paced)`,
  mode: spec.writes,
  run: () => runRepairCase(spec),
}));

const throughputCases: StorageCase[] = [
  { bytes: KiB, concurrency: 1 },
  { bytes: KiB, concurrency: 8 },
  { bytes: MiB, concurrency: 1 },
  { bytes: MiB, concurrency: 8 },
].map((spec) => ({
  id: `throughput/${spec.bytes}/${spec.concurrency}`,
  group: 'throughput',
  label: `${spec.bytes >= MiB ? `${spec.bytes / MiB} MiB` : `${spec.bytes / KiB} KiB`} objects, ${spec.concurrency} call${spec.concurrency === 1 ? '' : 's'} in flight`,
  run: () => runThroughputCase(spec),
}));

/** Latency each proxy adds in the `puts/.../lat<ms>` cases (a model of remote clouds). */
const PUT_LATENCY_MS = Number(process.env.BENCH_PUT_LATENCY_MS ?? 20);

/** Puts alone, per write mode against each cloud's raw SDK; local, and with equal latency on every cloud. */
const putCases: StorageCase[] = [0, PUT_LATENCY_MS].flatMap((latencyMs) =>
  [
    { bytes: KiB, concurrency: 1 },
    { bytes: KiB, concurrency: 8 },
    { bytes: MiB, concurrency: 1 },
    { bytes: MiB, concurrency: 8 },
  ].map((spec) => ({
    id: `puts/${spec.bytes}/${spec.concurrency}${latencyMs > 0 ? `/lat${latencyMs}` : ''}`,
    group: 'puts' as const,
    label: `${spec.bytes >= MiB ? `${spec.bytes / MiB} MiB` : `${spec.bytes / KiB} KiB`}, ${spec.concurrency} in flight${latencyMs > 0 ? `, +${latencyMs} ms per request on every cloud` : ''}`,
    run: () => runPutCase({ ...spec, latencyMs }),
  })),
);

/** RSS depends on when the GC runs: the memory cases run several times, the worst run counts. */
const MEMORY_RUNS = Number(process.env.BENCH_MEMORY_RUNS ?? 3);

const MEMORY_LABELS = {
  raw: 'raw SDK, one streamed PutObject (floor)',
  upload: "raw SDK, lib-storage Upload (5 MiB parts, 2 at once: the adapter's defaults)",
  adapter: 'S3 adapter store alone (defaults: multipart above 100 MiB)',
  'adapter-single': 'S3 adapter store alone, multipartThreshold 5 GiB (one streamed PutObject)',
  multi: "multi-cloud store, writes: 'primary' (to S3; S3 adapter defaults)",
  'multi-single': "multi-cloud store, writes: 'primary' (to S3; S3 multipartThreshold 5 GiB)",
  'multi-quorum': 'multi-cloud store, default quorum (S3, GCS and Azure at once; S3 adapter defaults)',
  'multi-quorum-single': 'multi-cloud store, default quorum (S3 multipartThreshold 5 GiB)',
  'adapter-8x2': 'S3 adapter store alone, 8 MiB parts, 2 at once (its defaults before 5 December 2026)',
  'upload-8x2': 'raw SDK, lib-storage Upload (8 MiB parts, 2 at once)',
} as const;

const memoryCases: StorageCase[] = (Object.keys(MEMORY_LABELS) as (keyof typeof MEMORY_LABELS)[]).map(
  (client) => ({
    id: `memory/${client}`,
    group: 'memory',
    runs: MEMORY_RUNS,
    label: MEMORY_LABELS[client],
    run: () => runMemoryCase(client),
  }),
);

/** Stamp cost per object size (each case times every cloud). */
const stampCases: StorageCase[] = STAMP_SIZES.map((bytes) => ({
  id: `stamp/${bytes}`,
  group: 'stamp',
  label: bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`,
  run: () => runStampCase(bytes),
}));

/** Gets against the raw SDK, with time to first byte. */
const getCases: StorageCase[] = [
  { bytes: KiB, concurrency: 1 },
  { bytes: KiB, concurrency: 8 },
  { bytes: MiB, concurrency: 1 },
  { bytes: MiB, concurrency: 8 },
].map((spec) => ({
  id: `get/${spec.bytes}/${spec.concurrency}`,
  group: 'get',
  label: `${spec.bytes >= MiB ? `${spec.bytes / MiB} MiB` : `${spec.bytes / KiB} KiB`} objects, ${spec.concurrency} call${spec.concurrency === 1 ? '' : 's'} in flight`,
  run: () => runGetCase(spec),
}));

/** Every storage case, in the order the tables show them. */
export const storageCases: readonly StorageCase[] = [
  ...faultCases,
  ...failoverCases,
  ...repairCases,
  ...throughputCases,
  ...putCases,
  ...memoryCases,
  ...stampCases,
  ...getCases,
];
