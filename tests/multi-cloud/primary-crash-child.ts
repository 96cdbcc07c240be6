/**
 * A writer process for primary-crash.test.ts (run with `node --import tsx`): a multi-cloud store in
 * `'primary'` mode over the three local clouds (through their fault proxies) with a file journal.
 * It makes the puts (and deletes) the parent asks for over IPC and reports each acknowledgement; the parent
 * SIGKILLs it between the two steps of a put (its journal record and its upload). To stop it at
 * a chosen point, the parent can `arm` a hold on the journal: appends of that kind are then never
 * written (the process seems stuck in the fsync, as a crash would find it).
 */
import {
  createFileJournal,
  createMultiCloudStore,
  type Journal,
  type JournalEntry,
  type MultiCloudStore,
} from '@failover/storage';
import { installFaultDns } from '@failover/testkit';
import { type CloudEndpoints, storesOf } from './child-stores.js';

/** What the parent passes (as JSON in argv[2]). */
export interface CrashChildConfig extends CloudEndpoints {
  readonly journalDir: string;
  readonly settleMs: number;
}

/** Which journal appends never complete once armed. */
export type Hold =
  /** The provisional record of a put: its upload lands, its record never becomes durable. */
  | 'record'
  /** The acknowledged entry that replaces a provisional record: the put is acknowledged first. */
  | 'acknowledged';

export type ToCrashChild =
  | { readonly type: 'put'; readonly key: string; readonly text: string }
  | { readonly type: 'delete'; readonly key: string }
  | { readonly type: 'repair' }
  | { readonly type: 'arm'; readonly hold: Hold };

export type FromCrashChild =
  | { readonly type: 'ready' }
  | { readonly type: 'acked'; readonly key: string; readonly version: string }
  | { readonly type: 'failed'; readonly key: string; readonly message: string }
  | { readonly type: 'repaired'; readonly backlog: number }
  | { readonly type: 'armed' };

const config = JSON.parse(process.argv[2] ?? '{}') as CrashChildConfig;
let hold: Hold | undefined;

function held(entry: JournalEntry): boolean {
  if (hold === 'record') return entry.provisional === true;
  if (hold === 'acknowledged') return entry.op === 'put' && entry.intent !== true;
  return false;
}

/** The file journal, but an armed hold's appends never complete (and never reach the file). */
function holdingJournal(inner: Journal): Journal {
  return {
    open: () => inner.open?.() ?? Promise.resolve(),
    append: (entry) => (held(entry) ? new Promise<void>(() => {}) : inner.append(entry)),
    resolve: (id, target) => inner.resolve(id, target),
    pending: () => inner.pending(),
    backlog: () => inner.backlog(),
    compact: () => inner.compact(),
    close: () => inner.close(),
  };
}

function send(message: FromCrashChild): void {
  process.send!(message);
}

installFaultDns(); // `*.failover.test` resolves to 127.0.0.1
const store: MultiCloudStore = createMultiCloudStore({
  targets: storesOf(config),
  writes: 'primary',
  journal: holdingJournal(createFileJournal({ dir: config.journalDir })),
  // No hedge (it would send the put to a second cloud) and no time limit that would move a held
  // upload to another cloud: the put goes to S3 and stays there until the parent kills us.
  failover: { attemptTimeoutMs: false, hedge: false, retry: { maxAttempts: 1 } },
  repair: { intervalMs: false, delayMs: false, onRecovery: false, settleMs: config.settleMs },
  amnesia: false,
});

process.on('message', (m: ToCrashChild) => {
  if (m.type === 'put') {
    store.put(m.key, m.text).then(
      (info) => send({ type: 'acked', key: m.key, version: info.version ?? '' }),
      (err: unknown) => send({ type: 'failed', key: m.key, message: String(err) }),
    );
  } else if (m.type === 'delete') {
    store.delete(m.key).then(
      () => send({ type: 'acked', key: m.key, version: '' }),
      (err: unknown) => send({ type: 'failed', key: m.key, message: String(err) }),
    );
  } else if (m.type === 'repair') {
    void (async () => {
      let report = await store.repair();
      for (let i = 0; i < 10 && report.backlog > 0; i++) report = await store.repair();
      send({ type: 'repaired', backlog: report.backlog });
    })();
  } else {
    hold = m.hold;
    send({ type: 'armed' });
  }
});
send({ type: 'ready' });
