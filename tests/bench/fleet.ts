import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFailover, type Failover } from '@failover/core';
import { createFleetHealth, createRedisJournal, type FleetHealth, watchPendingKeys } from '@failover/redis';
import { startRedisServer } from '@failover/testkit';
import { createClient, type RedisClientType } from 'redis';

/**
 * Fleet mode on Redis (`node --import tsx bench/index.ts fleet`): three app instances (routers on
 * their own Redis connections, in this process) share breaker state through a redis-server this
 * benchmark starts. Measures how fast a trip reaches the fleet, how many calls reach a dead cloud
 * fleet-wide compared with one instance alone, and what the Redis journal adds to a get and a
 * write.
 */
const TRIPS = Number(process.env.BENCH_FLEET_TRIPS ?? 20);
const DOWN = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

interface Instance {
  router: Failover<{ name: string }>;
  fleet: FleetHealth | undefined;
  client: RedisClientType | undefined;
  awsCalls: number;
  awsDown: boolean;
}

async function connect(url: string): Promise<RedisClientType> {
  const c = createClient({ url }) as RedisClientType;
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

async function instance(url: string | undefined, prefix: string): Promise<Instance> {
  const self: Instance = {
    router: undefined as never,
    fleet: undefined,
    client: undefined,
    awsCalls: 0,
    awsDown: false,
  };
  self.router = createFailover({
    targets: [{ name: 'aws' }, { name: 'gcp' }],
    breaker: { probeGate: (t) => self.fleet?.probeGate(t) ?? true, resetTimeoutMs: 60_000 },
    retry: { maxAttempts: 1 },
    hedge: false,
    observer: { onCallStart: (info) => self.fleet?.observer.onCallStart(info) },
  });
  if (url !== undefined) {
    self.client = await connect(url);
    self.fleet = createFleetHealth({ client: self.client, router: self.router, prefix });
    await self.fleet.ready;
  }
  return self;
}

function call(i: Instance): Promise<string> {
  return i.router.run(async (t) => {
    if (t.name === 'aws') {
      i.awsCalls++;
      // A dead cloud answers a connect error after a short while (here: about 2 ms).
      if (i.awsDown) {
        await sleep(2);
        throw DOWN;
      }
    }
    await sleep(1);
    return t.name;
  });
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function close(instances: Instance[]): Promise<void> {
  for (const i of instances) {
    await i.fleet?.close();
    i.router.close();
    await i.client?.close();
  }
}

/**
 * Until every instance has left aws: how many calls reached it, under steady traffic: 4 loops per
 * instance, each making a call then pausing 5 ms (about 800 calls/s per instance).
 */
async function deadCloudCalls(instances: Instance[]): Promise<number> {
  for (const i of instances) {
    i.awsCalls = 0;
    i.awsDown = true;
  }
  let running = true;
  const loops = instances.flatMap((i) =>
    Array.from({ length: 4 }, async () => {
      while (running) {
        await call(i).catch(() => undefined);
        await sleep(5);
      }
    }),
  );
  while (instances.some((i) => i.router.isAvailable('aws'))) await sleep(1);
  const total = instances.reduce((n, i) => n + i.awsCalls, 0);
  running = false;
  await Promise.all(loops);
  return total;
}

export async function runFleetBench(): Promise<void> {
  const redis = await startRedisServer();
  try {
    // 1. Trip propagation.
    const prefix = `bench:${randomBytes(4).toString('hex')}`;
    const fleet = [
      await instance(redis.url, prefix),
      await instance(redis.url, prefix),
      await instance(redis.url, prefix),
    ];
    const [a, ...others] = fleet as [Instance, Instance, Instance];
    const latencies: number[] = [];
    for (let trip = 0; trip < TRIPS; trip++) {
      let t0 = 0;
      const seen = others.map(
        (o) =>
          new Promise<number>((resolve) => {
            const off = o.router.on('open', (e) => {
              if (e.remote) {
                off();
                resolve(performance.now());
              }
            });
          }),
      );
      const offA = a.router.on('open', (e) => {
        if (!e.remote) t0 = performance.now();
      });
      a.awsDown = true;
      while (a.router.isAvailable('aws')) await call(a).catch(() => undefined);
      const last = Math.max(...(await Promise.all(seen)));
      latencies.push(last - t0);
      offA();
      a.awsDown = false;
      for (const i of fleet) await i.fleet?.idle();
      await fleet[0]?.client?.sendCommand(['DEL', `{${prefix}}:breakers`]);
      for (const i of fleet) i.router.recover('aws');
    }
    latencies.sort((x, y) => x - y);
    console.log(
      `Fleet trip propagation, 3 instances, ${TRIPS} trips (ms from the first instance's open to the last instance's remote open):`,
    );
    console.log(
      `  p50 ${pct(latencies, 50).toFixed(2)}  p99 ${pct(latencies, 99).toFixed(2)}  max ${latencies.at(-1)?.toFixed(2)}`,
    );

    // 2. Calls that reach a dead cloud before the whole fleet has left it.
    const rounds = 10;
    const fleetCounts: number[] = [];
    const aloneCounts: number[] = [];
    const noFleetCounts: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const p = `bench:${randomBytes(4).toString('hex')}`;
      const three = [
        await instance(redis.url, p),
        await instance(redis.url, p),
        await instance(redis.url, p),
      ];
      fleetCounts.push(await deadCloudCalls(three));
      await close(three);
      const one = [await instance(undefined, '')];
      aloneCounts.push(await deadCloudCalls(one));
      await close(one);
      const threeAlone = [
        await instance(undefined, ''),
        await instance(undefined, ''),
        await instance(undefined, ''),
      ];
      noFleetCounts.push(await deadCloudCalls(threeAlone));
      await close(threeAlone);
    }
    const median = (xs: number[]) =>
      pct(
        [...xs].sort((x, y) => x - y),
        50,
      );
    console.log(
      `Calls reaching a dead cloud until every instance left it (median of ${rounds}; 4 loops per instance, a call then 5 ms pause):`,
    );
    console.log(
      `  one instance ${median(aloneCounts)}, 3 instances with fleet ${median(fleetCounts)} (${(median(fleetCounts) / median(aloneCounts)).toFixed(2)}x), 3 without ${median(noFleetCounts)} (${(median(noFleetCounts) / median(aloneCounts)).toFixed(2)}x)`,
    );
    await close(fleet);

    // 3. What the Redis journal adds to a get (empty backlog) and costs per write.
    const c = await connect(redis.url);
    const jp = `bench:${randomBytes(4).toString('hex')}`;
    const journal = createRedisJournal({ client: c, prefix: jp });
    const watch = watchPendingKeys({ client: c, prefix: jp });
    await watch.ready;
    const strict: number[] = [];
    const local: number[] = [];
    const appends: number[] = [];
    for (let i = 0; i < 5000; i++) {
      let t = performance.now();
      await journal.hasPending(`photos/${i}.jpg`);
      strict.push((performance.now() - t) * 1000);
      t = performance.now();
      watch.has(`photos/${i}.jpg`);
      local.push((performance.now() - t) * 1000);
    }
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      await journal.append({
        id: `v${i}`,
        op: 'put',
        key: `photos/${i % 100}.jpg`,
        version: String(i).padStart(8, '0'),
        holders: ['gcp'],
        missing: ['aws'],
        at: Date.now(),
      });
      appends.push((performance.now() - t) * 1000);
    }
    // What an acknowledged delete adds in fleet mode: one repairLeased lookup (a GET of the lease).
    const leased: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = performance.now();
      await journal.repairLeased?.(`photos/${i % 100}.jpg`);
      leased.push((performance.now() - t) * 1000);
    }
    for (const xs of [strict, local, appends, leased]) xs.sort((x, y) => x - y);
    console.log('Redis journal on loopback (µs):');
    console.log(
      `  get check, strict (hasPending, 1 round trip): p50 ${pct(strict, 50).toFixed(0)}  p99 ${pct(strict, 99).toFixed(0)}`,
    );
    console.log(
      `  get check, watch (watchPendingKeys.has):      p50 ${pct(local, 50).toFixed(2)}  p99 ${pct(local, 99).toFixed(2)}`,
    );
    console.log(
      `  append (EVALSHA, no AOF), 100 keys:           p50 ${pct(appends, 50).toFixed(0)}  p99 ${pct(appends, 99).toFixed(0)}`,
    );
    console.log(
      `  delete's repairLeased (1 round trip):        p50 ${pct(leased, 50).toFixed(0)}  p99 ${pct(leased, 99).toFixed(0)}`,
    );
    await watch.close();
    await c.close();
  } finally {
    await redis.stop();
  }
}
