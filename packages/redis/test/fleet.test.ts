import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { startTcpProxy } from '@failover/testkit';
import { describe, expect, it } from 'vitest';
import { createFleetHealth } from '../src/index.js';
import { type Instance, type InstanceOptions, instance as startInstance } from './fleet-helpers.js';
import { CLIENT_KINDS, clientOf, destroy, later, raw, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

const prefix = () => `fleet:${randomBytes(6).toString('hex')}`;

async function until(check: () => boolean): Promise<void> {
  while (!check()) await nextTurn();
}

describe.each(CLIENT_KINDS)('createFleetHealth (%s)', (kind) => {
  const instance = (url: string, p: string, options: InstanceOptions = {}) =>
    startInstance(url, p, { kind, ...options });
  const client = (url: string) => clientOf(kind, url);
  /** Three instances of one fleet, started one after the other. */
  const three = async (url: string, p: string, options: InstanceOptions = {}) =>
    [
      await instance(url, p, options),
      await instance(url, p, options),
      await instance(url, p, options),
    ] as const;
  /**
   * Opens aws on the first of `fleet` (its calls fail) and waits until every instance has it open
   * and the lease race is over; returns that first instance.
   */
  const openAwsEverywhere = async (fleet: readonly Instance[]): Promise<Instance> => {
    const [first] = fleet;
    if (!first) throw new Error('unreachable');
    first.down.add('aws');
    await first.call();
    await first.call();
    for (const i of fleet) await until(() => !i.router.isAvailable('aws'));
    for (const i of fleet) await i.fleet.idle();
    return first;
  };
  /** {@link openAwsEverywhere}, and who holds the probe lease. */
  const leaseRace = async (fleet: readonly Instance[]) => {
    const first = await openAwsEverywhere(fleet);
    const holder = fleet.find((i) => i.fleet.status().leases.includes('aws'));
    if (!holder) throw new Error('no instance got the probe lease');
    return { first, holder, others: fleet.filter((i) => i !== holder) };
  };

  it('one instance tripping a breaker trips it on every other instance (remote: true)', async () => {
    const redis = await redisServer();
    const p = prefix();
    const [a, b, c] = await three(redis.url, p);
    for (const i of [a, b, c]) i.down.add('aws');
    expect(await a.call()).toBe('ok:gcp');
    expect(await a.call()).toBe('ok:gcp');
    expect(a.router.isAvailable('aws')).toBe(false);
    expect(a.events[0]).toMatchObject({ event: 'open', payload: { target: 'aws', remote: false } });
    await until(() => !b.router.isAvailable('aws') && !c.router.isAvailable('aws'));
    for (const other of [b, c]) {
      expect(other.events[0]).toMatchObject({ event: 'open', payload: { target: 'aws', remote: true } });
      expect(other.events[0]?.payload).toMatchObject({
        reason: expect.stringMatching(/^fleet: network on /),
      });
      // The others never send a call to the dead target.
      expect(await other.call()).toBe('ok:gcp');
      expect(other.reached.get('aws')).toBeUndefined();
    }
    await a.fleet.idle();
    expect(a.fleet.status()).toMatchObject({ connected: true, published: 1 });
    expect(b.fleet.status().applied).toBe(1);
    // Redis stamps each message: the others know how late they applied it; A got none.
    expect(b.fleet.status().lastMessageDelayMs).toBeGreaterThanOrEqual(0);
    expect(a.fleet.status().lastMessageDelayMs).toBeUndefined();
    // A remote trip is not published again.
    await b.fleet.idle();
    expect(b.fleet.status().published).toBe(0);
  });

  it('coordinates probes: of all instances, only `probes` may probe a recovering target', async () => {
    const redis = await redisServer();
    const p = prefix();
    const fleet = [];
    for (let i = 0; i < 5; i++) fleet.push(await instance(redis.url, p, { probes: 2 }));
    await openAwsEverywhere(fleet);
    const allowed = fleet.filter((i) => i.fleet.probeGate('aws'));
    expect(allowed).toHaveLength(2);
    expect(fleet.flatMap((i) => i.fleet.status().leases)).toEqual(['aws', 'aws']);
  });

  it('only the lease holder probes; its successful probe closes the breaker on every instance', async () => {
    const redis = await redisServer();
    const p = prefix();
    const fleet = await three(redis.url, p, { resetTimeoutMs: 100, probeLeaseMs: 60_000 });
    const { first, holder, others } = await leaseRace(fleet);
    first.down.delete('aws');
    const before = new Map(fleet.map((i) => [i, i.reached.get('aws') ?? 0]));
    // Once half-open, a non-holder does not probe: its calls go to gcp.
    for (const other of others) {
      await until(() => other.router.status().targets[0]?.state === 'halfOpen');
      expect(await other.call()).toBe('ok:gcp');
      expect(other.reached.get('aws') ?? 0).toBe(before.get(other));
    }
    await until(() => holder.router.status().targets[0]?.state === 'halfOpen');
    expect(await holder.call()).toBe('ok:aws');
    expect(holder.events.at(-1)).toMatchObject({ event: 'close', payload: { target: 'aws', remote: false } });
    for (const other of others) {
      await until(() => other.router.isAvailable('aws'));
      expect(other.events.at(-1)).toMatchObject({ event: 'close', payload: { target: 'aws', remote: true } });
      expect(await other.call()).toBe('ok:aws');
    }
    // Fleet-wide, the recovering target got exactly one probe, then one call from each other instance.
    const after = fleet.reduce((n, i) => n + (i.reached.get('aws') ?? 0) - (before.get(i) ?? 0), 0);
    expect(after).toBe(1 + others.length);
  });

  it('the lease of an instance that died is free again after a few renewals: another instance takes it and probes', async () => {
    // Seen in the fleet soak: an instance SIGKILLed while it held aws's probe lease kept the whole
    // fleet from probing aws (back meanwhile) until the lease's window ended.
    const redis = await redisServer();
    const p = prefix();
    const fleet = await three(redis.url, p, {
      resetTimeoutMs: 200,
      probeLeaseMs: 60_000,
      probeLeaseRenewMs: 50,
      timeoutMs: 2000,
    });
    const { first, holder, others } = await leaseRace(fleet);
    // A live holder keeps its lease past its slot's time in Redis (2.1 s): it renews it.
    await sleep(2500);
    for (const i of fleet) await i.fleet.idle();
    expect(holder.fleet.status().leases).toEqual(['aws']);
    for (const other of others) expect(other.fleet.status().leases).toEqual([]);
    // The holder dies: its Redis connection drops and nothing is given back. aws is back.
    destroy(holder.client);
    first.down.delete('aws');
    await until(() => others.some((i) => i.fleet.status().leases.includes('aws')));
    const taker = others.find((i) => i.fleet.status().leases.includes('aws'));
    if (!taker) throw new Error('unreachable');
    await until(() => taker.router.status().targets[0]?.state === 'halfOpen');
    expect(await taker.call()).toBe('ok:aws');
    for (const other of others) await until(() => other.router.isAvailable('aws'));
    expect(others.flatMap((i) => i.fleet.status().leases)).toEqual([]);
  }, 30_000);

  it('failures spread over instances eject the target fleet-wide before any instance trips alone', async () => {
    const redis = await redisServer();
    const p = prefix();
    const fleet = await three(redis.url, p, { consecutiveFailures: 100, tripAfter: 3 });
    for (const i of fleet) i.down.add('aws');
    for (const i of fleet) {
      expect(await i.call()).toBe('ok:gcp');
      await i.fleet.idle();
    }
    for (const i of fleet) await until(() => !i.router.isAvailable('aws'));
    const aws = fleet.reduce((n, i) => n + (i.reached.get('aws') ?? 0), 0);
    expect(aws).toBe(3);
    expect(fleet[2]?.events[0]).toMatchObject({
      event: 'open',
      payload: { remote: true, reason: 'fleet: 3 failures across the fleet' },
    });
  });

  it("instances' first refused connections add up: 2 across the fleet eject the target everywhere (tripAfterConnect)", async () => {
    const redis = await redisServer();
    const p = prefix();
    const fleet = await three(redis.url, p, { consecutiveFailures: 100, tripAfterConnect: 2 });
    for (const i of fleet) i.down.add('aws');
    // One failed call on each of two instances: neither has 2 of its own.
    for (const i of fleet.slice(0, 2)) {
      expect(await i.call()).toBe('ok:gcp');
      await i.fleet.idle();
    }
    for (const i of fleet) await until(() => !i.router.isAvailable('aws'));
    // The third never sent a call to it.
    expect(await fleet[2].call()).toBe('ok:gcp');
    expect(fleet.map((i) => i.reached.get('aws') ?? 0)).toEqual([1, 1, 0]);
    expect(fleet[2]?.events[0]).toMatchObject({
      event: 'open',
      payload: { remote: true, reason: expect.stringMatching(/^fleet: 2 connect failures across the fleet/) },
    });
  });

  it('connections reset before an answer count in the row, which opens once a refusal proves the target gone', async () => {
    const redis = await redisServer();
    const p = prefix();
    const fleet = await three(redis.url, p, { consecutiveFailures: 100, tripAfterConnect: 2 });
    const [a, b, c] = fleet;
    // A killed cloud: the pooled connections of two instances are reset, then the third is refused.
    a.reset.add('aws');
    b.reset.add('aws');
    c.down.add('aws');
    for (const i of [a, b]) {
      await i.call().catch(() => undefined); // maybe sent: not replayed
      await i.fleet.idle();
    }
    // Two resets in a row prove nothing: a keep-alive race resets connections to healthy clouds too.
    for (const i of fleet) expect(i.router.isAvailable('aws')).toBe(true);
    expect(await c.call()).toBe('ok:gcp');
    await c.fleet.idle();
    for (const i of fleet) await until(() => !i.router.isAvailable('aws'));
    expect(fleet.map((i) => i.reached.get('aws') ?? 0)).toEqual([1, 1, 1]);
    expect(a.events[0]).toMatchObject({
      event: 'open',
      payload: { remote: true, reason: expect.stringMatching(/^fleet: 2 connect failures across the fleet/) },
    });
  });

  it('resets alone never open the target, however many; a success ends the row', async () => {
    const redis = await redisServer();
    const p = prefix();
    // The count of failures of any kind (tripAfter) off: nine resets would open the target there.
    const fleet = await three(redis.url, p, { consecutiveFailures: 100, tripAfterConnect: 2, tripAfter: 0 });
    for (let round = 0; round < 3; round++) {
      for (const i of fleet) {
        i.reset.add('aws');
        await i.call().catch(() => undefined);
        i.reset.delete('aws');
        await i.fleet.idle();
      }
    }
    for (const i of fleet) expect(i.router.isAvailable('aws')).toBe(true);
    // A refusal after resets and a success: the row started again, so one refusal is not enough.
    const [a, b] = fleet;
    expect(await a.call()).toBe('ok:aws');
    await a.fleet.idle();
    b.down.add('aws');
    expect(await b.call()).toBe('ok:gcp');
    await b.fleet.idle();
    for (const i of fleet) expect(i.router.isAvailable('aws')).toBe(true);
  });

  it('a failure that was sent (503) ends the fleet-wide count of connect failures; a success ends both', async () => {
    const redis = await redisServer();
    const p = prefix();
    const fleet = await three(redis.url, p, { consecutiveFailures: 100, tripAfterConnect: 2 });
    const [a, b, c] = fleet;
    for (let round = 0; round < 3; round++) {
      a.down.add('aws');
      await a.call();
      await a.fleet.idle();
      b.busy.add('aws');
      await b.call().catch(() => undefined); // a 503 (not replayed: the call was sent): the connect failures in a row end
      b.busy.delete('aws');
      await b.fleet.idle();
      c.down.add('aws');
      await c.call();
      await c.fleet.idle();
      a.down.delete('aws');
      c.down.delete('aws');
      expect(await a.call()).toBe('ok:aws'); // a success ends every count
      await a.fleet.idle();
    }
    for (const i of fleet) expect(i.router.isAvailable('aws')).toBe(true);
  });

  it('a success between failures resets the fleet-wide count: scattered errors never eject', async () => {
    const redis = await redisServer();
    const p = prefix();
    const fleet = await three(redis.url, p, { consecutiveFailures: 100, tripAfter: 2 });
    for (let round = 0; round < 5; round++) {
      for (const i of fleet) {
        i.down.add('aws');
        await i.call();
        i.down.delete('aws');
        expect(await i.call()).toBe('ok:aws');
        await i.fleet.idle();
      }
    }
    for (const i of fleet) expect(i.router.isAvailable('aws')).toBe(true);
  });

  it('Redis paused (SIGSTOP): no call waits for it, and failure reports it runs late eject nothing', async () => {
    const redis = await redisServer();
    const p = prefix();
    const fleet = [];
    for (let i = 0; i < 3; i++) {
      fleet.push(
        await instance(redis.url, p, {
          consecutiveFailures: 100,
          tripAfter: 3,
          failureWindowMs: 20,
          timeoutMs: 50,
        }),
      );
    }
    // One failure and one success first, so Redis has both scripts (it would answer NOSCRIPT to a
    // script it never saw, and the report would not run at all).
    const [first] = fleet;
    first!.down.add('aws');
    await first!.call();
    first!.down.delete('aws');
    await first!.call();
    await first!.fleet.idle();
    await redis.pause();
    try {
      // Two failures on each instance (six fleet-wide, tripAfter 3): every call resolves while
      // Redis is still stopped, so none waited for it.
      for (const i of fleet) i.down.add('aws');
      const failing = await Promise.all(fleet.flatMap((i) => [i.call(), i.call()]));
      expect(failing).toEqual(Array(6).fill('ok:gcp'));
      for (const i of fleet) await i.fleet.idle();
      expect(fleet.map((i) => i.fleet.status().connected)).toEqual([false, false, false]);
      // aws works again; the reports are older than failureWindowMs by the time Redis runs them.
      for (const i of fleet) i.down.delete('aws');
      await sleep(40);
    } finally {
      redis.resume();
    }
    // Redis now runs the six failure reports it held: too old to count.
    // A command on each instance's connection runs after what that connection sent before.
    for (const i of fleet) expect(await raw(i.client, ['PING'])).toBe('PONG');
    const c = fleet[0]!.client;
    expect(await raw(c, ['EXISTS', `{${p}}:failures:aws`])).toBe(0);
    expect(await raw(c, ['HLEN', `{${p}}:breakers`])).toBe(0);
    for (const i of fleet) {
      expect(i.router.isAvailable('aws')).toBe(true);
      expect(await i.call()).toBe('ok:aws');
    }
  });

  /**
   * Checks an opening that must be shared only at the quorum: `open(a)` opens AWS on A alone,
   * nothing is published and B and C keep using AWS; `open(b)` within the window opens it on C with
   * a reason matching `reason`.
   */
  async function sharedAtQuorum(
    url: string,
    p: string,
    [a, b, c]: readonly [Instance, Instance, Instance],
    open: (i: Instance) => Promise<void>,
    reason: RegExp,
  ): Promise<void> {
    await open(a);
    expect(a.router.isAvailable('aws')).toBe(false);
    await a.fleet.idle();
    expect(a.fleet.status().published).toBe(0);
    const raw0 = await client(url);
    expect(await raw(raw0, ['HLEN', `{${p}}:breakers`])).toBe(0);
    // Nothing was published, so nothing can be on its way: the others keep using AWS.
    expect(await b.call()).toBe('ok:aws');
    expect(await c.call()).toBe('ok:aws');
    // B sees the same within the window: now the fleet skips AWS.
    await open(b);
    await b.fleet.idle();
    expect(b.fleet.status().published).toBe(1);
    await until(() => !c.router.isAvailable('aws'));
    expect(c.events[0]).toMatchObject({ event: 'open', payload: { target: 'aws', remote: true, reason } });
    expect(await c.call()).toBe('ok:gcp');
    expect(c.reached.get('aws')).toBe(1);
  }

  it("one instance's ejection by judgement stays local; a second instance's within the window opens it fleet-wide", async () => {
    const redis = await redisServer();
    const p = prefix();
    const fleet = await three(redis.url, p);
    // A, starved of CPU say, judges a healthy AWS silent; then B does.
    await sharedAtQuorum(
      redis.url,
      p,
      fleet,
      async (i) => i.router.eject('aws', { reason: 'unresponsive' }),
      /^fleet: unresponsive on 2 instances on /,
    );
    // An opening caused by failed calls is still published at once.
    const [a, , c] = fleet;
    for (const i of fleet) i.down.add('gcp');
    await c.call().catch(() => undefined);
    await c.call().catch(() => undefined);
    await c.fleet.idle();
    expect(c.fleet.status().published).toBe(1);
    await until(() => !a.router.isAvailable('gcp'));
  });

  it("one instance's opening by timed-out calls stays local; a second instance's within the window opens it fleet-wide", async () => {
    const redis = await redisServer();
    const p = prefix();
    // No fleet-wide count of failures here: the openings themselves are what is shared.
    const fleet = await three(redis.url, p, { tripAfter: 0 });
    // A's calls to AWS time out (its CPU starved, or its own path to AWS stalled); then B's do.
    await sharedAtQuorum(
      redis.url,
      p,
      fleet,
      async (i) => {
        i.silent.add('aws');
        // A call that timed out may have been carried out: it is not sent again elsewhere.
        await expect(i.call()).rejects.toThrow(/timed out/);
        await expect(i.call()).rejects.toThrow(/timed out/);
        expect(i.events.at(-1)).toMatchObject({
          event: 'open',
          payload: { target: 'aws', remote: false, kind: 'timeout' },
        });
      },
      /^fleet: timeout on 2 instances on /,
    );
  });

  it('ejectionQuorum: 1 shares every ejection at once; judgements further apart than ejectionWindowMs never add up', async () => {
    const redis = await redisServer();
    const p = prefix();
    const a = await instance(redis.url, p, { ejectionQuorum: 1 });
    const b = await instance(redis.url, p, { ejectionQuorum: 1 });
    a.router.eject('aws');
    await until(() => !b.router.isAvailable('aws'));
    expect(b.events[0]).toMatchObject({ payload: { reason: expect.stringMatching(/^fleet: timeout on /) } });

    const q = prefix();
    const [x, y, z] = await three(redis.url, q, { ejectionWindowMs: 50 });
    x.router.eject('aws', { reason: 'unresponsive' });
    await x.fleet.idle();
    // The window (Redis's clock) has passed for certain after this wait: the set is gone.
    await sleep(200);
    const c = await client(redis.url);
    expect(await raw(c, ['EXISTS', `{${q}}:ejected:aws`])).toBe(0);
    y.router.eject('aws', { reason: 'unresponsive' });
    await y.fleet.idle();
    expect(x.fleet.status().published + y.fleet.status().published).toBe(0);
    expect(await raw(c, ['HLEN', `{${q}}:breakers`])).toBe(0);
    expect(await z.call()).toBe('ok:aws');
  });

  it('a new instance learns which targets are open fleet-wide when it starts', async () => {
    const redis = await redisServer();
    const p = prefix();
    const a = await instance(redis.url, p);
    a.down.add('aws');
    await a.call();
    await a.call();
    await a.fleet.idle();
    const late = await instance(redis.url, p);
    await late.fleet.idle();
    expect(late.router.isAvailable('aws')).toBe(false);
    expect(late.events[0]).toMatchObject({ event: 'open', payload: { target: 'aws', remote: true } });
  });

  it('an instance whose Redis connections dropped catches up on the openings it missed when they are back', async () => {
    const redis = await redisServer();
    const proxy = await startTcpProxy({ target: redis.port });
    later(() => proxy.close());
    const p = prefix();
    const a = await instance(redis.url, p);
    const b = await instance(`redis://127.0.0.1:${proxy.port}`, p);
    proxy.setFault({ kind: 'reset' });
    await until(() => !b.fleet.status().connected);
    a.down.add('aws');
    await a.call();
    await a.call();
    await a.fleet.idle();
    expect(a.router.isAvailable('aws')).toBe(false);
    // B's subscriber was away when A published: it missed the message.
    expect(b.router.isAvailable('aws')).toBe(true);
    proxy.setFault(null);
    // Reconnected and subscribed again, B reads what is open fleet-wide and trips it.
    await until(() => !b.router.isAvailable('aws'));
    expect(b.events[0]).toMatchObject({ event: 'open', payload: { target: 'aws', remote: true } });
    await until(() => b.fleet.status().connected);
    // And it hears what is published from now on: GCP dies too, on A's calls.
    a.down.add('gcp');
    for (let i = 0; i < 2; i++) await a.call().catch(() => undefined);
    expect(a.router.isAvailable('gcp')).toBe(false);
    await until(() => !b.router.isAvailable('gcp'));
  });

  it('Redis down, hung or slow never surfaces as an app error; the gate falls back to local', async () => {
    const redis = await redisServer();
    const proxy = await startTcpProxy({ target: redis.port });
    later(() => proxy.close());
    const url = `redis://127.0.0.1:${proxy.port}`;
    const p = prefix();
    const a = await instance(url, p, { timeoutMs: 50 });
    const b = await instance(url, p, { timeoutMs: 50 });
    proxy.setFault({ kind: 'stall' });
    a.down.add('aws');
    b.down.add('aws');
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await a.call(), await b.call());
    expect(results.every((r) => r === 'ok:gcp')).toBe(true);
    await a.fleet.idle();
    expect(a.fleet.status().connected).toBe(false);
    // Without Redis every instance probes for itself.
    expect(a.fleet.probeGate('aws')).toBe(true);
    proxy.setFault({ kind: 'reset' });
    for (let i = 0; i < 5; i++) results.push(await a.call(), await b.call());
    expect(results.every((r) => r === 'ok:gcp')).toBe(true);
    proxy.setFault(null);
    await redis.kill();
    for (let i = 0; i < 5; i++) expect(await a.call()).toBe('ok:gcp');
  });

  it('rejects bad options with the option path', async () => {
    const redis = await redisServer();
    const c = await client(redis.url);
    const a = await instance(redis.url, prefix());
    expect(() => createFleetHealth({ client: {} as never, router: a.router })).toThrow(/"client"/);
    expect(() => createFleetHealth({ client: c, router: {} as never })).toThrow(/"router"/);
    expect(() => createFleetHealth({ client: c, router: a.router, probes: 0 })).toThrow(/"probes"/);
    expect(() => createFleetHealth({ client: c, router: a.router, prefix: 'a b' })).toThrow(/"prefix"/);
  });
});
