/**
 * One app instance of the fleet demo, in its own process (started by the fleet runner with
 * `node --import tsx --conditions=source`): the same order service as the main process, on the
 * fleet's store (Redis journal, shared breakers). It reports every operation's outcome, its
 * breaker events and its status to the parent, which draws them with its own.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import {
  gcsRetryOptions,
  installFaultDns,
  S3RVER_CREDENTIALS,
  seededRandom,
  setDnsFault,
} from '@failover/testkit';
import { Storage } from '@google-cloud/storage';
import { createPricingClient } from '../app/pricing-client.js';
import { warmUp } from '../app/warm-up.js';
import { BUCKET, type CloudClients } from '../topology/topology.js';
import { type Expected, Ledger } from '../workload/ledger.js';
import { OrderService } from '../workload/order-service.js';
import { startTraffic } from '../workload/traffic.js';
import { createFleetOrderStore, type FleetOrderStore } from './app-store.js';
import type { FromInstance, InstanceConfig, LedgerRecord, ToInstance } from './protocol.js';

function send(message: FromInstance): void {
  if (process.connected) process.send?.(message);
}

/** A ledger that also keeps every call, to hand them to the parent's verification. */
class RecordingLedger extends Ledger {
  readonly records: LedgerRecord[] = [];
  override ack(key: string, version: Expected): void {
    super.ack(key, version);
    this.records.push({
      key,
      acked: true,
      bytes: version === null ? null : version.bytes().toString('base64'),
    });
  }
  override fail(key: string, version: Expected): void {
    super.fail(key, version);
    this.records.push({
      key,
      acked: false,
      bytes: version === null ? null : version.bytes().toString('base64'),
    });
  }
}

function clientsOf(config: InstanceConfig): CloudClients {
  const s3 = new S3Client({
    region: 'us-east-1',
    credentials: { ...S3RVER_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    endpoint: config.s3Endpoint,
    maxAttempts: 1,
  });
  const gcs = new Storage({
    apiEndpoint: config.gcsEndpoint,
    projectId: 'test',
    retryOptions: gcsRetryOptions(0),
  });
  const azure = BlobServiceClient.fromConnectionString(config.azureConnectionString, {
    retryOptions: { maxTries: 1 },
  });
  return { s3, gcsBucket: gcs.bucket(BUCKET), azureContainer: azure.getContainerClient(BUCKET) };
}

let running: { app: FleetOrderStore; stop: () => Promise<void>; ledger: RecordingLedger } | undefined;
/** Made by `start`, its traffic started by `go`. */
let prepared: (() => void) | undefined;

/** Makes the store and the clients; the traffic starts with {@link go}. */
async function start(config: InstanceConfig): Promise<void> {
  installFaultDns();
  for (const host of config.failingDns) setDnsFault(host, true);
  const clients = clientsOf(config);
  const app = await createFleetOrderStore(clients, {
    redisUrl: config.redisUrl,
    instanceId: config.instanceId,
    writes: config.writeMode,
    journalDir: config.journalDir,
    tuning: config.tuning,
  });
  const api = createPricingClient(config.apiUrls, config.tuning);
  // Ready only once every cloud and region answered once (a fresh process's first calls are slow).
  await warmUp(clients, config.apiUrls);
  const ledger = new RecordingLedger();
  const service = new OrderService(app.store, api, ledger);
  for (const group of ['storage', 'api'] as const) {
    const on = group === 'storage' ? app.store.on.bind(app.store) : api.failover.on.bind(api.failover);
    for (const what of ['open', 'halfOpen', 'close'] as const) {
      on(what, (e: { target: string; remote?: boolean; reason?: string; kind?: string }) =>
        send({
          type: 'breaker',
          event: {
            group,
            target: e.target,
            what,
            remote: e.remote === true,
            reason: e.reason,
            kind: e.kind,
            at: Date.now(),
          },
        }),
      );
    }
  }
  const report = (): void => {
    const st = app.store.status();
    send({
      type: 'status',
      storage: st.targets.map(({ amnesia: _, available: __, behind: ___, ...t }) => t),
      backlog: st.journal.backlog,
      repaired: st.counts.repaired,
      journaled: st.counts.journaled,
      fleet: app.fleet.status(),
    });
  };
  prepared = () => go(config, app, api, ledger, service, report);
}

/** Starts the traffic of a prepared instance. */
function go(
  config: InstanceConfig,
  app: FleetOrderStore,
  api: ReturnType<typeof createPricingClient>,
  ledger: RecordingLedger,
  service: OrderService,
  report: () => void,
): void {
  const reporter = setInterval(report, 250);
  send({ type: 'started', at: Date.now() });
  const traffic = startTraffic({
    service,
    random: seededRandom(config.seed),
    opsPerSecond: config.opsPerSecond,
    maxInFlight: Math.max(8, config.opsPerSecond),
    maxReceiptBytes: config.maxReceiptBytes,
    idPrefix: config.instanceId,
    onOutcome: (outcome) => send({ type: 'outcome', outcome }),
  });
  running = {
    app,
    ledger,
    stop: async () => {
      await traffic.stop();
      clearInterval(reporter);
      report();
      api.failover.close();
    },
  };
}

/** Repairs until nothing is pending fleet-wide (or a deadline), as the main process does. */
async function finish(maxResetMs: number): Promise<void> {
  if (running === undefined) return;
  const { app, ledger } = running;
  await running.stop();
  let passes = 0;
  const deadline = Date.now() + 30_000 + 3 * maxResetMs;
  while (Date.now() < deadline) {
    await app.journal.merge().catch(() => undefined);
    if ((await app.journal.pending()).length === 0) break;
    await app.store.repair().catch(() => undefined);
    passes++;
    await sleep(Math.min(1_000, Math.max(100, maxResetMs / 4)));
  }
  const st = app.store.status();
  send({
    type: 'finished',
    ledger: ledger.records,
    repaired: st.counts.repaired,
    journaled: st.counts.journaled,
    repairPasses: passes + st.counts.repairPasses,
    backlog: (await app.journal.pending()).reduce((n, e) => n + e.missing.length, 0),
  });
}

process.on('message', (message: ToInstance) => {
  const fail = (err: unknown): void => {
    process.stderr.write(`fleet instance: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  };
  if (message.type === 'start') start(message.config).then(() => send({ type: 'ready' }), fail);
  else if (message.type === 'go') {
    const run = prepared;
    prepared = undefined;
    run?.();
  } else if (message.type === 'dns') setDnsFault(message.host, message.failing);
  else if (message.type === 'finish') finish(message.maxResetMs).catch(fail);
  else if (message.type === 'close') {
    void (async () => {
      await running?.app.close().catch(() => undefined);
      process.disconnect();
      process.exit(0);
    })();
  }
});
