import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { FailoverEventName, TypedEmitter } from '@failover/core';
import { NotFoundError, StorageError } from '../errors.js';
import { createFileJournal } from '../journal/file.js';
import type {
  BlobBody,
  BlobStore,
  CopyOptions,
  DeleteOptions,
  GetOptions,
  ListOptions,
  OperationOptions,
  PutOptions,
} from '../types.js';
import type { MultiContext } from './context.js';
import { copyObject } from './copy.js';
import { drill } from './drill.js';
import { listObjects } from './list.js';
import { type MultiCloudStoreOptions, resolveMultiOptions } from './options.js';
import { presignObject } from './presign.js';
import { deleteObject, putObject } from './put.js';
import { getObject, headObject } from './read.js';
import { reconcile } from './reconcile.js';
import { statusOf } from './status.js';
import { assembleStore, closeStore } from './store-parts.js';
import type {
  MultiCloudEventName,
  MultiCloudListener,
  MultiCloudOwnEvents,
  MultiCloudStore,
} from './types.js';

const ROUTER_EVENTS: ReadonlySet<string> = new Set<FailoverEventName>([
  'failover',
  'open',
  'halfOpen',
  'close',
  'retry',
  'hedge',
  'rejected',
  'panic',
  'budgetExhausted',
]);

const OWN_EVENTS: ReadonlySet<string> = new Set<keyof MultiCloudOwnEvents>([
  'journaled',
  'repaired',
  'conflict',
  'integrityError',
  'degraded',
  'lost',
  'amnesia',
  'journalReset',
  'held',
  'resumed',
  'staleCopy',
  'repairFinished',
  'error',
]);

/**
 * The directory of the default file journal: `.failover/journal/<id>` under the current
 * directory, `<id>` being the first 16 hex digits of the SHA-256 of the target names (so the same
 * targets find the same journal after a restart, and other target sets get their own).
 */
export function defaultJournalDir(targets: readonly BlobStore[]): string {
  const id = createHash('sha256')
    .update(targets.map((t) => t.name).join('\n'))
    .digest('hex')
    .slice(0, 16);
  return join(process.cwd(), '.failover', 'journal', id);
}

/**
 * A {@link BlobStore} over several stores, in order of preference: reads and writes fail over
 * between them (through core's router: a breaker per target, retries, budget, deadlines, hedging),
 * every write is stamped with a version and a SHA-256, every write some target lacks is recorded
 * in a durable journal before it is acknowledged, and repair copies it there when the target is
 * back. See docs/multi-cloud.md.
 *
 * @example
 * const store = createMultiCloudStore({
 *   targets: [s3Store, gcsStore, azureStore],
 *   writes: 'mirror',
 *   journal: createFileJournal({ dir: '/var/lib/my-app/journal' }),
 *   failover: { attemptTimeoutMs: 5000, breaker: { resetTimeoutMs: 30000 } },
 * });
 * await store.put('invoices/42.pdf', pdf);
 * const { body } = await store.get('invoices/42.pdf');
 *
 * @throws InvalidOptionError (from `@failover/core`) naming the bad option.
 */
export function createMultiCloudStore(options: MultiCloudStoreOptions): MultiCloudStore {
  const o = resolveMultiOptions(options);
  const parts = assembleStore(o, o.journal ?? createFileJournal({ dir: defaultJournalDir(o.targets) }));
  const { ctx, scheduler, journalResets, writerClaim, life } = parts;
  const { router, counts } = ctx;
  const whenOpen = <R>(fn: () => Promise<R>): Promise<R> => {
    if (life.closed)
      return Promise.reject(new StorageError('invalid', `The multi-cloud store "${o.name}" is closed`));
    return fn();
  };
  const store: MultiCloudStore = {
    name: o.name,
    targets: o.targets,

    put: (key: string, body: BlobBody, putOptions?: PutOptions) =>
      whenOpen(() => putObject(ctx, key, body, putOptions)),

    get: (key: string, getOptions: GetOptions = {}) =>
      whenOpen(async () => {
        counts.gets++;
        const res = await getObject(ctx, key, getOptions);
        if (res === null) throw new NotFoundError(key, { target: o.name });
        return res;
      }),

    head: (key: string, headOptions: OperationOptions = {}) =>
      whenOpen(() => headObject(ctx, key, headOptions)),

    exists: (key: string, existsOptions: OperationOptions = {}) =>
      whenOpen(async () => (await headObject(ctx, key, existsOptions)) !== null),

    delete: (key: string, deleteOptions?: DeleteOptions) =>
      whenOpen(() => deleteObject(ctx, key, deleteOptions)),

    list: (listOptions?: ListOptions) => listObjects(ctx, listOptions),

    copy: (from: string, to: string, copyOptions?: CopyOptions) =>
      whenOpen(() => copyObject(ctx, from, to, copyOptions)),

    repair: (repairOptions) => whenOpen(() => scheduler.run(repairOptions)),

    reconcile: (reconcileOptions) => whenOpen(() => reconcile(ctx, reconcileOptions)),

    drill: (drillOptions) => whenOpen(() => drill(ctx, drillOptions)),

    presign: (key, presignOptions) => whenOpen(() => presignObject(ctx, key, presignOptions)),

    status: () => statusOf(ctx, scheduler, life.closed, journalResets.status, writerClaim.shared),

    trip: (name, tripOptions) => router.trip(name, tripOptions),

    recover: (name) => router.recover(name),

    ...listeners(router, ctx.events),

    close: () => closeStore(parts),
  };
  return store;
}

/** The store's `on` and `off`: the router's events from the router, the store's own from `events`. */
function listeners(
  router: MultiContext['router'],
  events: TypedEmitter<MultiCloudOwnEvents>,
): Pick<MultiCloudStore, 'on' | 'off'> {
  return {
    on<E extends MultiCloudEventName>(event: E, listener: MultiCloudListener<E>): () => void {
      if (ROUTER_EVENTS.has(event)) {
        return router.on(event as FailoverEventName, listener as MultiCloudListener<FailoverEventName>);
      }
      checkEvent(event);
      return events.on(
        event as keyof MultiCloudOwnEvents,
        listener as MultiCloudListener<keyof MultiCloudOwnEvents>,
      );
    },
    off<E extends MultiCloudEventName>(event: E, listener: MultiCloudListener<E>): void {
      if (ROUTER_EVENTS.has(event)) {
        router.off(event as FailoverEventName, listener as MultiCloudListener<FailoverEventName>);
        return;
      }
      events.off(
        event as keyof MultiCloudOwnEvents,
        listener as MultiCloudListener<keyof MultiCloudOwnEvents>,
      );
    },
  };
}

function checkEvent(event: string): void {
  if (!OWN_EVENTS.has(event)) {
    throw new TypeError(`Unknown event "${event}" (known: ${[...OWN_EVENTS, ...ROUTER_EVENTS].join(', ')})`);
  }
}
