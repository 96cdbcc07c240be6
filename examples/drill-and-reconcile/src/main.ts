/**
 * Fire drills and reconcile across S3, Google Cloud Storage and Azure Blob. A drill writes, reads,
 * checks and deletes a canary on every cloud, directly, and says which step failed where. Then
 * copies are changed behind the store's back (one overwritten through the GCS SDK, one deleted
 * through the Azure SDK): reconcile shows what it would change, changes it, and every cloud ends
 * up holding identical bytes for every key.
 *
 * Run: pnpm --filter @failover/example-drill-and-reconcile start
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ContainerClient } from '@azure/storage-blob';
import { createAzureBlobStore } from '@failover/azure-blob';
import { createGcsStore } from '@failover/gcs';
import { createS3Store } from '@failover/s3';
import {
  type BlobStore,
  createFileJournal,
  createMultiCloudStore,
  type DrillReport,
  type MultiCloudStore,
  type ReconcileReport,
} from '@failover/storage';
import { faults, type LocalCloudClients, startLocalClouds } from '@failover/testkit';
import type { Bucket } from '@google-cloud/storage';
import { compareClouds, describeCopies, type KeyCopies, sha256Of } from './compare-clouds.js';

/** The SDK clients an application already has: one per cloud. */
export interface ExistingClients {
  readonly s3: S3Client;
  readonly gcsBucket: Bucket;
  readonly azureContainer: ContainerClient;
}

/** The clients of the local clouds (`clouds.app` or `clouds.direct`) as an application holds them. */
function existingClients(clients: LocalCloudClients, bucket: string): ExistingClients {
  return {
    s3: clients.s3,
    gcsBucket: clients.gcs.bucket(bucket),
    azureContainer: clients.azure.getContainerClient(bucket),
  };
}

/** The stores over one set of clients, named `aws`, `gcp` and `azure`, in the application's order. */
function cloudStores(clients: ExistingClients, bucket: string): [BlobStore, BlobStore, BlobStore] {
  return [
    createS3Store({ client: clients.s3, bucket, name: 'aws' }),
    createGcsStore({ bucket: clients.gcsBucket, name: 'gcp' }),
    createAzureBlobStore({ container: clients.azureContainer, name: 'azure' }),
  ];
}

/** The application's store: every write mirrored to the three clouds. */
function createReportStore(clients: ExistingClients, bucket: string, journalDir: string): MultiCloudStore {
  return createMultiCloudStore({
    targets: cloudStores(clients, bucket),
    writes: 'mirror',
    journal: createFileJournal({ dir: journalDir }),
    failover: { attemptTimeoutMs: 2_000 },
  });
}

/** What the example saw, for its test. */
export interface DrillAndReconcileResult {
  /** Nothing unexpected happened. */
  readonly ok: boolean;
  /** What went differently than expected (empty when `ok`). */
  readonly problems: readonly string[];
  /** The drill with every cloud up. */
  readonly drill: DrillReport;
  /** The drill while Azure refused connections. */
  readonly drillAzureDown: DrillReport;
  /** Keys whose copies differed after they were changed behind the store's back. */
  readonly divergent: readonly string[];
  /** The dry run: what reconcile would change. */
  readonly plan: ReconcileReport;
  /** The reconcile that changed it. */
  readonly report: ReconcileReport;
  /** Every cloud's copy of every key, after reconcile. */
  readonly final: readonly KeyCopies[];
  /** Every cloud holds every key with the acknowledged bytes and one version. */
  readonly identical: boolean;
}

const BUCKET = 'reports';
const PREFIX = 'monthly/';
const MONTHS = ['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06'] as const;

/** A month's report as CSV. */
function reportFor(month: string): Buffer {
  const seed = Number(month.slice(5));
  const rows = ['region,orders,revenue'];
  for (const region of ['emea', 'amer', 'apac']) {
    rows.push(
      `${region},${100 + seed * region.length * 7},${(seed * 1234.5 + region.length * 99).toFixed(2)}`,
    );
  }
  return Buffer.from(`# ${month}\n${rows.join('\n')}\n`);
}

/** Runs the story; `log` receives the narration (console.log by default). */
export async function main(log: (line: string) => void = console.log): Promise<DrillAndReconcileResult> {
  const problems: string[] = [];
  const expect = (ok: boolean, problem: string): void => {
    if (!ok) {
      problems.push(problem);
      log(`  UNEXPECTED: ${problem}`);
    }
  };

  log('Starting local S3 (s3rver), GCS (emulator) and Azure (Azurite), each behind a fault proxy...');
  const clouds = await startLocalClouds({ buckets: [BUCKET] });
  const directClients = existingClients(clouds.direct, BUCKET);
  const journalDir = await mkdtemp(join(tmpdir(), 'failover-drill-example-'));
  const store = createReportStore(existingClients(clouds.app, BUCKET), BUCKET, journalDir);
  // Each cloud read directly (straight to the server): what it really holds.
  const direct = cloudStores(directClients, BUCKET);
  try {
    log(`1. Six monthly reports written through the store (mirror: to every cloud).`);
    const expected = new Map<string, string>();
    for (const month of MONTHS) {
      const key = `${PREFIX}${month}.csv`;
      const bytes = reportFor(month);
      const info = await store.put(key, bytes, { contentType: 'text/csv' });
      expected.set(key, sha256Of(bytes));
      log(`  put ${key} (${bytes.length} bytes) -> version ${info.version}`);
    }

    log('2. A drill: a canary written, read back, checked and deleted on every cloud, directly.');
    const drill = await store.drill();
    printDrill(drill, log);
    expect(drill.ok, 'the drill failed with every cloud up');

    log('   The same drill while Azure refuses connections: the report says where and at which step.');
    await clouds.proxies.azure.setFault(faults.refuse());
    const drillAzureDown = await store.drill({ timeoutMs: 5_000 });
    await clouds.proxies.azure.setFault(faults.pass());
    printDrill(drillAzureDown, log);
    const azureDrill = drillAzureDown.targets.find((t) => t.target === 'azure');
    expect(
      !drillAzureDown.ok && azureDrill?.error?.step === 'put' && azureDrill.error.kind === 'network',
      'the drill did not report Azure failing at put with a network error',
    );
    expect(
      drillAzureDown.targets.filter((t) => t.target !== 'azure').every((t) => t.ok),
      'the drill failed on a cloud that was up',
    );

    log("3. Copies changed behind the store's back, through the clouds' own SDKs:");
    const overwritten = `${PREFIX}2026-03.csv`;
    const removed = `${PREFIX}2026-05.csv`;
    await directClients.gcsBucket
      .file(overwritten)
      .save(Buffer.from('# edited by hand\nregion,orders,revenue\n'), {
        resumable: false,
        contentType: 'text/csv',
      });
    log(`  gcp: ${overwritten} overwritten with other bytes (bucket.file().save())`);
    await directClients.azureContainer.deleteBlob(removed);
    log(`  azure: ${removed} deleted (containerClient.deleteBlob())`);
    const broken = await compareClouds(direct, PREFIX);
    const divergent = broken.filter((k) => !k.identical).map((k) => k.key);
    for (const k of broken) if (!k.identical) log(`  ${describeCopies(k)}`);
    expect(
      divergent.join() === [overwritten, removed].join(),
      `divergent keys: ${divergent.join(', ') || 'none'}`,
    );

    log(`4. reconcile({ prefix: '${PREFIX}', dryRun: true }): what would change.`);
    const plan = await store.reconcile({ prefix: PREFIX, dryRun: true });
    printReconcile(plan, log);
    const afterPlan = await compareClouds(direct, PREFIX);
    expect(
      afterPlan.filter((k) => !k.identical).length === divergent.length,
      'the dry run changed what the clouds hold',
    );
    expect(
      plan.changes.length === 2 && plan.copied === 0,
      `the dry run planned ${plan.changes.length} changes`,
    );

    log(`5. reconcile({ prefix: '${PREFIX}' }): the newest version is copied where it is missing or older.`);
    const report = await store.reconcile({ prefix: PREFIX });
    printReconcile(report, log);
    expect(report.errors.length === 0 && report.skippedTargets.length === 0, 'reconcile reported errors');
    expect(report.copied === 2, `reconcile made ${report.copied} copies instead of 2`);

    log('6. Every cloud, read directly: the same bytes (SHA-256) and version for every key.');
    const final = await compareClouds(direct, PREFIX);
    for (const k of final) log(`  ${describeCopies(k)}${k.identical ? '' : '  <- DIFFERS'}`);
    const keys = final.map((k) => k.key);
    expect(keys.join() === [...expected.keys()].join(), `keys on the clouds: ${keys.join(', ')}`);
    for (const k of final) {
      expect(k.identical, `${k.key} differs between clouds`);
      const want = expected.get(k.key);
      for (const [cloud, c] of Object.entries(k.copies)) {
        expect(c?.sha256 === want, `${k.key} on ${cloud} does not hold the bytes written`);
      }
    }
    const identical =
      final.length === expected.size && final.every((k) => k.identical) && problems.length === 0;

    const ok = problems.length === 0;
    log(
      ok
        ? `OK: ${final.length} keys, identical on ${direct.map((s) => s.name).join(', ')}.`
        : `FAILED: ${problems.length} unexpected result(s).`,
    );
    return { ok, problems, drill, drillAzureDown, divergent, plan, report, final, identical };
  } finally {
    await store.close();
    await clouds.stop();
    await rm(journalDir, { recursive: true, force: true });
  }
}

function printDrill(report: DrillReport, log: (line: string) => void): void {
  log(`  drill: ${report.ok ? 'ok' : 'FAILED'}`);
  for (const t of report.targets) {
    const steps = Object.entries(t.stepsMs)
      .map(([step, ms]) => `${step} ${Math.round(ms)}`)
      .join(', ');
    const outcome = t.ok ? 'ok' : `FAILED at ${t.error?.step} (${t.error?.kind})`;
    log(`    ${t.target.padEnd(6)} ${outcome}; ${Math.round(t.latencyMs)} ms (${steps})`);
    if (t.error !== undefined) log(`           ${t.error.message}`);
  }
}

function printReconcile(r: ReconcileReport, log: (line: string) => void): void {
  log(
    `  checked ${r.checked}, in sync ${r.inSync}, copied ${r.copied}, deleted ${r.deleted}, ` +
      `conflicts ${r.conflicts}, corrupt ${r.corrupt}, errors ${r.errors.length}, ` +
      `skipped targets ${r.skippedTargets.length === 0 ? 'none' : r.skippedTargets.join(', ')}`,
  );
  for (const c of r.changes) {
    const what =
      c.action === 'copy' ? `copy from ${c.from} to ${c.targets.join(', ')}` : `delete on ${c.targets}`;
    log(`    ${r.dryRun ? 'would ' : ''}${what}: ${c.key} (version ${c.version})`);
  }
  for (const e of r.errors) log(`    error ${e.op} ${e.key} -> ${e.target}: ${e.kind} ${e.message}`);
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
