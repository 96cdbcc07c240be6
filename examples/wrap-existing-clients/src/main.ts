/**
 * Wrap the clients you already have: an `S3Client`, a Google Cloud Storage `Bucket` and an Azure
 * `ContainerClient` become one multi-cloud store in a few lines. Then AWS stops resolving (as
 * us-east-1 did on 20 October 2025): reads and writes carry on through Google Cloud, the writes
 * AWS missed are journaled, and once AWS is back `store.repair()` copies them there.
 *
 * Run: pnpm --filter @failover/example-wrap-existing-clients start
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ContainerClient } from '@azure/storage-blob';
import { createAzureBlobStore } from '@failover/azure-blob';
import { BreakerOpenError } from '@failover/core';
import { createGcsStore } from '@failover/gcs';
import { createS3Store } from '@failover/s3';
import {
  createFileJournal,
  createMultiCloudStore,
  type MultiCloudStore,
  type RepairReport,
} from '@failover/storage';
import { faults, type LocalCloudClients, startLocalClouds } from '@failover/testkit';
import type { Bucket } from '@google-cloud/storage';
import { checkCloud } from './check-cloud.js';
import { getInvoice, type Invoice, keyOf, putInvoice, type Written } from './invoices.js';

// ── What you copy: the clients you already have in, one multi-cloud store out. ──────────────────

/** The SDK clients an application already has: one per cloud. */
export interface ExistingClients {
  readonly s3: S3Client;
  readonly gcsBucket: Bucket;
  readonly azureContainer: ContainerClient;
}

/** One `BlobStore` over your three clients: reads and writes fail over between the clouds. */
export function wrapExistingClients(
  clients: ExistingClients,
  bucket: string,
  journalDir: string,
): MultiCloudStore {
  return createMultiCloudStore({
    targets: [
      createS3Store({ client: clients.s3, bucket, name: 'aws' }),
      createGcsStore({ bucket: clients.gcsBucket, name: 'gcp' }),
      createAzureBlobStore({ container: clients.azureContainer, name: 'azure' }),
    ],
    writes: 'mirror', // every write goes to every cloud that is up
    journal: createFileJournal({ dir: journalDir }), // what a cloud missed, until it is repaired
    failover: {
      attemptTimeoutMs: 2_000,
      retry: { maxAttempts: 2, baseDelayMs: 50 },
      breaker: { volumeThreshold: 3, resetTimeoutMs: 1_000 }, // short for the demo; seconds in production
    },
    // Repair runs by itself when a cloud recovers and shortly after a write is journaled. This
    // example turns that off to call `store.repair()` itself and print the report.
    repair: { onRecovery: false, delayMs: false, intervalMs: false },
  });
}

// ── The story. ───────────────────────────────────────────────────────────────────────────────

/** What the example saw, for its test. */
export interface WrapResult {
  /** Nothing unexpected happened. */
  readonly ok: boolean;
  /** What went differently than expected (empty when `ok`). */
  readonly problems: readonly string[];
  /** The cloud that served each read, by phase. */
  readonly servedBy: Readonly<Record<'before' | 'outage' | 'after', readonly string[]>>;
  /** `failover` events during the outage. */
  readonly failovers: number;
  /** `journaled` events during the outage (writes AWS missed). */
  readonly journaled: number;
  /** The report of the repair run once AWS was back. */
  readonly repair: RepairReport | undefined;
  /** Outage writes found on AWS, read directly through the S3 store, as acknowledged. */
  readonly awsVerified: number;
}

const BUCKET = 'invoices';

/** The clients of the local clouds (`clouds.app` or `clouds.direct`) as an application holds them. */
function existingClients(clients: LocalCloudClients, bucket: string): ExistingClients {
  return {
    s3: clients.s3,
    gcsBucket: clients.gcs.bucket(bucket),
    azureContainer: clients.azure.getContainerClient(bucket),
  };
}

/** Runs the story; `log` receives the narration (console.log by default). */
export async function main(log: (line: string) => void = console.log): Promise<WrapResult> {
  const problems: string[] = [];
  const expect = (ok: boolean, problem: string): void => {
    if (!ok) {
      problems.push(problem);
      log(`  UNEXPECTED: ${problem}`);
    }
  };
  const servedBy = { before: [] as string[], outage: [] as string[], after: [] as string[] };
  let failovers = 0;
  let journaled = 0;
  let repair: RepairReport | undefined;
  let awsVerified = 0;

  log('Starting local S3 (s3rver), GCS (emulator) and Azure (Azurite), each behind a fault proxy...');
  const clouds = await startLocalClouds({ buckets: [BUCKET] });
  const journalDir = await mkdtemp(join(tmpdir(), 'failover-wrap-example-'));
  const store = wrapExistingClients(existingClients(clouds.app, BUCKET), BUCKET, journalDir);
  store.on('failover', (e) => {
    failovers++;
    const why = e.error instanceof BreakerOpenError ? 'breaker open, skipped' : e.kind;
    log(`    failover ${e.from} -> ${e.to} (${why})`);
  });
  store.on('journaled', (e) => {
    journaled++;
    log(`    journaled ${e.op} ${e.key}: on ${e.holders.join(', ')}; for ${e.missing.join(', ')} later`);
  });
  store.on('open', (e) =>
    log(`    breaker OPEN for ${e.target} (${e.kind}): skipped for ${e.resetTimeoutMs} ms`),
  );
  store.on('halfOpen', (e) => log(`    breaker HALF-OPEN for ${e.target}: the next call is a probe`));
  store.on('close', (e) => log(`    breaker CLOSED for ${e.target}: calls go there again`));

  const written = new Map<string, Written | null>();
  const put = async (invoice: Invoice): Promise<void> => {
    const w = await putInvoice(store, invoice);
    written.set(keyOf(invoice.id), w);
    log(`  put ${keyOf(invoice.id)} (${invoice.status}, ${invoice.total}) -> version ${w.version}`);
  };
  const get = async (id: string, phase: keyof typeof servedBy): Promise<void> => {
    const got = await getInvoice(store, id);
    servedBy[phase].push(got.target);
    const want = written.get(keyOf(id));
    expect(
      want !== null && want !== undefined && got.bytes.equals(want.bytes),
      `${keyOf(id)} read back different bytes`,
    );
    log(`  get ${keyOf(id)} <- served by ${got.target} (${got.invoice.status}, ${got.invoice.total})`);
  };

  try {
    log('1. Every cloud is up: writes go to all three, reads come from aws.');
    await put({ id: '2026-001', customer: 'acme', total: 1200, status: 'open' });
    await put({ id: '2026-002', customer: 'globex', total: 310, status: 'open' });
    await put({ id: '2026-003', customer: 'initech', total: 75, status: 'open' });
    for (const id of ['2026-001', '2026-002']) await get(id, 'before');
    expect(
      servedBy.before.every((t) => t === 'aws'),
      `reads before the outage came from ${servedBy.before}`,
    );

    log('2. AWS stops resolving (ENOTFOUND). Reads and writes carry on; AWS misses the writes.');
    await clouds.proxies.aws.setFault(faults.dns());
    for (const id of ['2026-001', '2026-002']) await get(id, 'outage');
    await put({ id: '2026-004', customer: 'umbrella', total: 980, status: 'open' });
    await put({ id: '2026-002', customer: 'globex', total: 310, status: 'paid' });
    await store.delete(keyOf('2026-003'));
    written.set(keyOf('2026-003'), null);
    log(`  delete ${keyOf('2026-003')}`);
    await put({ id: '2026-005', customer: 'hooli', total: 42, status: 'open' });
    for (const id of ['2026-004', '2026-002', '2026-001']) await get(id, 'outage');
    expect(!(await store.exists(keyOf('2026-003'))), `${keyOf('2026-003')} still exists after its delete`);
    const outageServed = servedBy.outage;
    expect(
      outageServed.every((t) => t === 'gcp'),
      `reads during the outage came from ${outageServed}`,
    );
    expect(failovers > 0, 'no failover event during the outage');
    expect(journaled === 4, `${journaled} writes journaled during the outage instead of 4`);
    log(`  journal backlog: ${store.status().journal.backlog} (write, cloud) pairs to repair`);

    log('3. AWS is back. Once its breaker lets a probe through, a read closes it; then repair.');
    await clouds.proxies.aws.setFault(faults.pass());
    // On a busy machine the probe itself can fail (a connection the outage dropped, reused before
    // the client saw it close): the breaker then opens again, and the next probe closes it.
    for (let waited = 0; waited < 30_000; waited += 25) {
      if (store.status().targets[0]!.available && (await getInvoice(store, '2026-001')).target === 'aws')
        break;
      await sleep(25);
    }
    await get('2026-001', 'after');
    repair = await store.repair();
    log(
      `  repair: attempted ${repair.attempted}, repaired ${repair.repaired}, conflicts ${repair.conflicts}, ` +
        `skipped ${repair.skipped}, failed ${repair.failed.length}, backlog ${repair.backlog}`,
    );
    for (const f of repair.failed) log(`    failed ${f.op} ${f.key} -> ${f.target}: ${f.kind} ${f.message}`);
    expect(repair.repaired === 4 && repair.failed.length === 0, 'repair did not copy the 4 outage writes');
    expect(store.status().journal.backlog === 0, 'the journal backlog is not empty after repair');

    log('4. What AWS holds now, read directly through the S3 store (no failover, no journal):');
    const aws = createS3Store({ client: clouds.direct.s3, bucket: BUCKET, name: 'aws (direct)' });
    const checked = await checkCloud(aws, written);
    for (const line of checked.lines) log(`  ${line}`);
    for (const p of checked.problems) expect(false, p);
    awsVerified = checked.lines.length;
    for (const id of ['2026-004', '2026-002']) await get(id, 'after');
    expect(
      servedBy.after.every((t) => t === 'aws'),
      `reads after the repair came from ${servedBy.after}`,
    );
  } finally {
    await store.close();
    await clouds.stop();
    await rm(journalDir, { recursive: true, force: true });
  }

  const ok = problems.length === 0;
  log(
    ok
      ? 'OK: no call failed during the outage, and AWS holds every write it missed.'
      : `FAILED: ${problems.length} unexpected result(s).`,
  );
  return { ok, problems, servedBy, failovers, journaled, repair, awsVerified };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (r) => {
      process.exitCode = r.ok ? 0 : 1;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
