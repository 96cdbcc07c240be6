import { setTimeout as sleep } from 'node:timers/promises';
import { classifyFailure } from '@failover/core';
import { type BlobStore, isPrefixEntry, VERSION_KEY } from '@failover/storage';
import { type Fault, type FaultProxy, faults, type RequestInfo } from '@failover/testkit';
import type { Rng } from './jepsen-data.js';

/** Every fault kind the soak switches among. */
export const FAULT_KINDS = [
  'refuse',
  'dns',
  'reset',
  '503',
  '429',
  'blackhole',
  'latency',
  'cut',
  'corrupt',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A fault in force on one cloud from `from` to `to` (wall-clock ms). */
export interface FaultWindow {
  readonly cloud: number;
  readonly kind: FaultKind | 'amnesia';
  readonly from: number;
  to: number;
  /**
   * For `amnesia`: when the wipe began (wall-clock ms), and, read straight after it on the other
   * clouds, the newest version of each key that survived it (a key absent from the map survived
   * nowhere). Ground truth for the checker: an acknowledged put no cloud holds any more (nor a
   * newer version of its key) was destroyed, and a read that misses it afterwards is a justified
   * loss, not a stale read.
   */
  wipedAt?: number;
  /** When the other clouds were read for `survivors` (after the wipe). */
  probedAt?: number;
  survivors?: ReadonlyMap<string, string>;
}

/** The phases of the schedule. */
export type PhaseKind = 'calm' | 'one' | 'allButOne' | 'allDown' | 'amnesia';

/** What the schedule needs from the harness besides the proxies. */
export interface FaultHooks {
  /** A `dns` fault starts or ends on a proxy: the writer child must stop (or go on) resolving it. */
  dns(host: string, failing: boolean): void;
  /** Writes a line to the log. */
  log(line: string): void;
}

function faultOf(kind: FaultKind, rng: Rng, cloud: number): Fault {
  // A third of the request-level faults are partial: a brown-out rather than an outage.
  const partial = rng.chance(1 / 3) ? { probability: 0.5 } : {};
  switch (kind) {
    case 'refuse':
      return faults.refuse();
    case 'dns':
      return faults.dns();
    case 'reset':
      return faults.reset(partial);
    case '503':
      return faults.slowDown(partial);
    case '429':
      return faults.throttle(1, partial);
    case 'blackhole':
      return faults.blackhole(partial);
    case 'latency':
      return faults.latency(rng.int(20, 300), partial);
    case 'cut':
      // Forwarded, then the connection is reset after a few bytes of the answer: a write lands
      // but its caller sees a broken connection; a download stops in the middle.
      return faults.reset({ ...partial, afterBytes: rng.int(0, 64) });
    case 'corrupt':
      // Object downloads answer whole, with one byte's bits flipped: a copy gone bad at rest. No
      // read may return it as good, and repair or reconcile must not copy it to another cloud.
      return faults.corrupt({ ...partial, afterBytes: rng.int(0, 64), match: (r) => isDownload(cloud, r) });
  }
}

/** An object download (not a listing, a metadata read or a multipart call) of cloud 0 (S3), 1 (GCS) or 2 (Azure). */
function isDownload(cloud: number, r: RequestInfo): boolean {
  if (r.method !== 'GET') return false;
  switch (cloud) {
    case 0: // s3rver, path style: GET /bucket/key
      return (
        /^\/[^/]+\/./.test(r.path) && !/[?&](uploads|uploadId|list-type|location|acl|tagging)/.test(r.url)
      );
    case 1: // the GCS JSON API's media downloads
      return /[?&]alt=media/.test(r.url);
    default: // Azurite: GET /account/container/blob
      return /^\/[^/]+\/[^/]+\/./.test(r.path) && !/[?&](comp|restype)=/.test(r.url);
  }
}

/**
 * Switches faults on the three proxies at seeded times: calm phases, one cloud down (any fault
 * kind), all but one down, brief "all down" phases, and a cloud that comes back empty (its bucket
 * wiped directly while it refuses connections, as a provider-side data loss). Records every
 * window, so failures can be judged afterwards.
 */
export class FaultSchedule {
  readonly windows: FaultWindow[] = [];
  readonly phases: Record<PhaseKind, number> = { calm: 0, one: 0, allButOne: 0, allDown: 0, amnesia: 0 };
  readonly kinds: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<
    FaultKind,
    number
  >;
  readonly #proxies: readonly FaultProxy[];
  readonly #direct: readonly BlobStore[];
  readonly #rng: Rng;
  readonly #hooks: FaultHooks;
  readonly #maxAmnesia: number;
  readonly #open: (FaultWindow | undefined)[] = [undefined, undefined, undefined];
  /** Proxy hosts whose DNS fails now. */
  readonly failingDns = new Set<string>();

  constructor(
    proxies: readonly FaultProxy[],
    direct: readonly BlobStore[],
    rng: Rng,
    hooks: FaultHooks,
    maxAmnesia: number,
  ) {
    this.#proxies = proxies;
    this.#direct = direct;
    this.#rng = rng;
    this.#hooks = hooks;
    this.#maxAmnesia = maxAmnesia;
  }

  /** Runs phases until `done()` says stop, then clears every fault. */
  async run(done: () => boolean): Promise<void> {
    while (!done()) await this.#phase();
    await this.clear();
  }

  /** Every proxy back to `pass`, every name resolving. */
  async clear(): Promise<void> {
    await Promise.all([0, 1, 2].map((c) => this.#set(c, undefined)));
  }

  /**
   * True when `cloud` had a fault that can fail a call (any kind but latency) at some time in
   * [from, to].
   */
  wasDown(cloud: number, from: number, to: number): boolean {
    return this.windows.some(
      (w) => w.cloud === cloud && w.kind !== 'latency' && w.from <= to && w.to >= from,
    );
  }

  /** True when `cloud` was wiped (an amnesia phase) at or before `at`. */
  wasWipedBefore(cloud: number, at: number): boolean {
    return this.windows.some((w) => w.cloud === cloud && w.kind === 'amnesia' && (w.wipedAt ?? w.from) <= at);
  }

  async #phase(): Promise<void> {
    const rng = this.#rng;
    const kind = rng.weighted<PhaseKind>({
      calm: 3,
      one: 4,
      allButOne: 2,
      allDown: 1,
      amnesia: this.phases.amnesia < this.#maxAmnesia ? 0.6 : 0,
    });
    this.phases[kind]++;
    const clouds = shuffled([0, 1, 2], rng);
    switch (kind) {
      case 'calm':
        await this.clear();
        await sleep(rng.int(300, 1200));
        return;
      case 'one':
      case 'allButOne':
      case 'allDown': {
        const n = kind === 'one' ? 1 : kind === 'allButOne' ? 2 : 3;
        await Promise.all(
          [0, 1, 2].map((c) => this.#set(c, clouds.indexOf(c) < n ? rng.pick(FAULT_KINDS) : undefined)),
        );
        await sleep(kind === 'allDown' ? rng.int(150, 500) : rng.int(300, 1500));
        return;
      }
      case 'amnesia': {
        const c = clouds[0]!;
        await this.clear();
        await this.#set(c, 'amnesia');
        await sleep(100); // requests already forwarded finish before the data goes
        const window = this.#open[c]!;
        window.wipedAt = Date.now();
        const wiped = await this.#wipe(c);
        window.probedAt = Date.now();
        window.survivors = await this.#survivors(c);
        this.#hooks.log(`amnesia: ${this.#direct[c]!.name} lost ${wiped} objects`);
        await sleep(rng.int(200, 800));
        await this.#set(c, undefined);
        return;
      }
    }
  }

  /** Deletes every object of a cloud's bucket, straight on the server (the proxy refuses meanwhile). */
  async #wipe(cloud: number): Promise<number> {
    const store = this.#direct[cloud]!;
    const keys = await harnessCall(() => keysOf(store));
    for (const key of keys) await harnessCall(() => store.delete(key));
    return keys.length;
  }

  /** The newest version of each key on the clouds other than `wiped`, read directly. */
  async #survivors(wiped: number): Promise<Map<string, string>> {
    const newest = new Map<string, string>();
    for (const [i, store] of this.#direct.entries()) {
      if (i === wiped) continue;
      for (const key of await harnessCall(() => keysOf(store))) {
        if (key.startsWith('_failover/')) continue;
        const info = await harnessCall(() => store.head(key)).catch(() => null);
        const version = info?.metadata[VERSION_KEY] ?? '';
        if (version > (newest.get(key) ?? '')) newest.set(key, version);
        else if (!newest.has(key)) newest.set(key, version);
      }
    }
    return newest;
  }

  async #set(cloud: number, kind: FaultKind | 'amnesia' | undefined): Promise<void> {
    const now = Date.now();
    const open = this.#open[cloud];
    if (open !== undefined) open.to = now;
    this.#open[cloud] = undefined;
    const proxy = this.#proxies[cloud]!;
    const dns = kind === 'dns';
    if (this.failingDns.has(proxy.host) !== dns) {
      if (dns) this.failingDns.add(proxy.host);
      else this.failingDns.delete(proxy.host);
      this.#hooks.dns(proxy.host, dns);
    }
    if (kind === undefined) {
      await proxy.setFault(faults.pass());
      return;
    }
    if (kind !== 'amnesia') this.kinds[kind]++;
    const window: FaultWindow = { cloud, kind, from: now, to: Number.POSITIVE_INFINITY };
    this.windows.push(window);
    this.#open[cloud] = window;
    await proxy.setFault(kind === 'amnesia' ? faults.refuse() : faultOf(kind, this.#rng, cloud));
  }
}

/** A seeded Fisher-Yates shuffle. */
function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Every key of a bucket (one listing, from the start). */
async function keysOf(store: BlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const e of store.list({})) if (!isPrefixEntry(e)) keys.push(e.key);
  return keys;
}

/**
 * A call of the harness itself, straight to an emulator (no proxy, no store): tried again on a
 * network failure. Under load, an emulator closing an idle keep-alive connection just as the SDK
 * reuses it answers `ECONNRESET` (Azurite's "socket hang up"); the soak's faults are the proxies'.
 */
export async function harnessCall<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 5 || classifyFailure(err) !== 'network') throw err;
      await sleep(50 * attempt);
    }
  }
}
