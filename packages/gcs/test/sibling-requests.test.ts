import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { createGcsStore } from '@failover/gcs';
import { type BlobStore, type OperationOptions, readAll } from '@failover/storage';
import {
  createFaultProxy,
  type Fault,
  type FaultProxy,
  faults,
  type GcsLocalServer,
  type RequestInfo,
} from '@failover/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, uniqueBucket, until } from './helpers.js';

// @google-cloud/storage 7 destroys the HTTP agent of a download that fails (a cut body, an idle
// bound, a caller giving up on it), and that agent is the keep-alive pool every request of the
// client shares: every other request in flight was reset with it, so one failed download failed
// heads, gets, puts and listings of other keys that had nothing wrong. Here many operations of one
// client are held in flight at the fault proxy while one download fails; none of them may fail.

/** How long the proxy holds each sibling request before forwarding it. Not a bound on anything. */
const HOLD_MS = 2000;
/** The store's bounds are far above the hold, so held siblings just wait (the victim has its own). */
const TIMEOUTS = { responseTimeoutMs: 60_000, idleTimeoutMs: 60_000 };
const VICTIM = 'victim.bin';
const VICTIM_BYTES = randomBytes(1024 * 1024);
const SMALL = Buffer.alloc(1024, 5);

let server: GcsLocalServer;
let proxy: FaultProxy;
let store: BlobStore;
let bucketName: string;
/** Sibling requests that reached the proxy in this round. */
let arrived = 0;

const isVictim = (r: RequestInfo): boolean => r.url.includes(VICTIM);
const isVictimDownload = (r: RequestInfo): boolean => isVictim(r) && r.url.includes('alt=media');
const isSibling = (r: RequestInfo): boolean => {
  if (isVictim(r)) return false;
  arrived++;
  return true;
};

/** The victim's download gets `fault`, the victim's other requests pass, every other request is held. */
function scenario(fault: Fault & { type: 'cut' | 'stall' | 'pass' }): Fault {
  return {
    type: 'mix',
    faults: [
      { ...fault, match: isVictimDownload },
      { type: 'pass', match: isVictim },
      { type: 'latency', ms: HOLD_MS, match: isSibling },
    ],
  };
}

beforeAll(async () => {
  server = await startEmulator();
  proxy = await createFaultProxy({ target: server.origin, flavor: 'gcs' });
  bucketName = uniqueBucket('siblings');
  await server.createBucket(bucketName);
  await server.emulator.putObject(bucketName, VICTIM, VICTIM_BYTES);
  for (let i = 0; i < 4; i++) await server.emulator.putObject(bucketName, `sib/${i}`, SMALL);
  // One client for every call, its own retries off: a reset reaches the store as it happens. No
  // remembered metadata: every get sends its two requests, so the count in flight is known.
  store = createGcsStore({
    bucket: server.clientFor(proxy.url, { sdkRetries: 0 }).bucket(bucketName),
    timeouts: TIMEOUTS,
    metadataCacheSize: 0,
  });
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

interface Outcome {
  readonly label: string;
  readonly error: unknown;
  /** Settled after the victim's download had failed (so it was in flight when it failed). */
  readonly afterVictim: boolean;
}

/** The sibling calls (gets, heads, exists, small puts, a listing) and how many requests they send. */
function siblings(victimDone: () => boolean): { calls: Promise<Outcome>[]; requests: number } {
  const calls: [string, () => Promise<unknown>][] = [];
  for (let i = 0; i < 4; i++) {
    calls.push([`get sib/${i}`, async () => readAll((await store.get(`sib/${i}`)).body)]);
    calls.push([`head sib/${i}`, () => store.head(`sib/${i}`)]);
    calls.push([`put new/${i}`, () => store.put(`new/${i}`, SMALL)]);
  }
  calls.push(['exists sib/0', () => store.exists('sib/0')]);
  calls.push([
    'list sib/',
    async () => {
      for await (const _ of store.list({ prefix: 'sib/' })) {
        // drained
      }
    },
  ]);
  // A get sends two requests (the metadata and the bytes, at once); the others one each.
  const requests = 4 * 2 + 4 + 4 + 1 + 1;
  return {
    requests,
    calls: calls.map(([label, run]) =>
      run().then(
        () => ({ label, error: undefined, afterVictim: victimDone() }),
        (error: unknown) => ({ label, error, afterVictim: victimDone() }),
      ),
    ),
  };
}

/**
 * Holds the siblings in flight at the proxy, runs `victim` (which ends once its download failed),
 * then waits for the siblings. A round where a sibling settled before the victim failed (a machine
 * so loaded that the hold ran out first) proves nothing and is run again.
 */
async function withSiblingsInFlight(fault: Fault, victim: () => Promise<void>): Promise<Outcome[]> {
  for (let round = 1; ; round++) {
    await proxy.setFault(fault);
    arrived = 0;
    let done = false;
    const { calls, requests } = siblings(() => done);
    await until(() => arrived >= requests);
    await victim();
    // The client's clean-up of the failed download runs in the ticks after its stream failed.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    done = true;
    const outcomes = await Promise.all(calls);
    await proxy.setFault(faults.pass());
    if (outcomes.every((o) => o.afterVictim) || round === 5) return outcomes;
  }
}

function expectNoneFailed(outcomes: Outcome[]): void {
  const failed = outcomes
    .filter((o) => o.error !== undefined)
    .map((o) => `${o.label}: ${(o.error as Error).message}`);
  expect(failed).toEqual([]);
  // Else the hold ran out before the download failed five rounds in a row: nothing was proven.
  expect(
    outcomes.filter((o) => !o.afterVictim).map((o) => o.label),
    'settled before the download failed',
  ).toEqual([]);
}

/** Reads a get's body to its failure; the error it failed with. */
async function bodyFailure(options: OperationOptions = {}): Promise<unknown> {
  const { body } = await store.get(VICTIM, options);
  return readAll(body).then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('GCS store: one failed download leaves the client’s other requests alone', () => {
  it('a download cut in the middle of its body', async () => {
    const outcomes = await withSiblingsInFlight(
      scenario(faults.cut({ afterBytes: 128 * 1024 })),
      async () => {
        expect(await bodyFailure()).toMatchObject({ kind: 'network' });
      },
    );
    expectNoneFailed(outcomes);
  });

  it('a download stalled past its idle bound', async () => {
    const outcomes = await withSiblingsInFlight(
      scenario(faults.stall({ afterBytes: 128 * 1024 })),
      async () => {
        expect(await bodyFailure({ timeouts: { idleTimeoutMs: 300 } })).toMatchObject({ kind: 'network' });
      },
    );
    expectNoneFailed(outcomes);
  });

  it('a download the caller aborts', async () => {
    const outcomes = await withSiblingsInFlight(scenario(faults.pass()), async () => {
      const controller = new AbortController();
      const { body } = await store.get(VICTIM, { signal: controller.signal });
      const failure = readAll(body).then(
        () => undefined,
        (err: unknown) => err,
      );
      controller.abort(new Error('caller gave up'));
      expect(await failure).toMatchObject({ kind: 'aborted' });
    });
    expectNoneFailed(outcomes);
  });

  it('a body the caller stops reading and destroys; its own connection is closed', async () => {
    const downloads: ClientRequest[] = [];
    const onRequest = (message: unknown): void => {
      const { request } = message as { request: ClientRequest };
      if (request.path.includes(VICTIM) && request.path.includes('alt=media')) downloads.push(request);
    };
    subscribe('http.client.request.start', onRequest);
    try {
      const outcomes = await withSiblingsInFlight(scenario(faults.pass()), async () => {
        const { body } = await store.get(VICTIM);
        await new Promise<void>((resolve) => body.once('readable', resolve));
        body.destroy();
        await new Promise((resolve) => body.once('close', resolve));
      });
      expectNoneFailed(outcomes);
      // The unread rest of the body does not keep its socket open (node-fetch 2 would).
      expect(downloads.length).toBeGreaterThan(0);
      await until(() => downloads.every((r) => r.socket === null || r.socket.destroyed));
    } finally {
      unsubscribe('http.client.request.start', onRequest);
    }
  });
});
