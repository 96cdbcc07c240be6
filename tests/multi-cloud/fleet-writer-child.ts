/**
 * A writer instance of the fleet tests, in its own process (started by fleet-store.test.ts with
 * `node --import tsx --conditions=source`): a multi-cloud store on the shared Redis journal, no
 * repair of its own. It writes the keys the parent asks for, reports each acknowledged write, and
 * waits: the parent SIGKILLs it with its backlog in Redis.
 */
import { installFaultDns } from '@failover/testkit';
import {
  type CloudEndpoints,
  type FleetInstanceConfig,
  openFleetInstance,
  storesOf,
} from './fleet-instance.js';
import { bodyFor, sha256 } from './jepsen-data.js';

/** Parent to child: write `keys` (generation `seq`), `concurrency` at a time. */
export interface WriterJob {
  readonly instance: FleetInstanceConfig;
  readonly endpoints: CloudEndpoints;
  readonly keys: readonly string[];
  readonly seq: number;
  readonly size: number;
  readonly concurrency: number;
}

/** Child to parent. */
export type WriterMessage =
  | { readonly type: 'acked'; readonly key: string; readonly version: string; readonly sha256: string }
  | { readonly type: 'failed'; readonly key: string; readonly message: string }
  | {
      readonly type: 'done';
      readonly backlog: number;
      readonly fallbackBacklog: number;
      readonly awsOpen: boolean;
    };

function send(message: WriterMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send!(message, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

async function run(job: WriterJob): Promise<void> {
  installFaultDns();
  const instance = await openFleetInstance(storesOf(job.endpoints), job.instance);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < job.keys.length) {
      const key = job.keys[next++]!;
      const bytes = bodyFor(key, job.seq, job.size);
      try {
        const info = await instance.store.put(key, bytes);
        await send({ type: 'acked', key, version: info.version ?? '', sha256: sha256(bytes) });
      } catch (err) {
        await send({ type: 'failed', key, message: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  const pending = await instance.journal.pending();
  await send({
    type: 'done',
    backlog: pending.reduce((n, e) => n + e.missing.length, 0),
    fallbackBacklog: instance.journal.fallbackBacklog(),
    awsOpen: !instance.store.status().targets.find((t) => t.name === 'aws')?.available,
  });
  // Stays up with its store open until the parent kills it.
}

process.once('message', (job: WriterJob) => {
  run(job).catch((err: unknown) => {
    console.error('fleet writer child failed', err);
    process.exit(2);
  });
});
