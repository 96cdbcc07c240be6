import { faults } from '@failover/testkit';
import { it } from 'vitest';
import { freshBuckets, multiStore, startClouds, untilRepaired, Workload } from './harness.js';

it('debug', async () => {
  const clouds = await startClouds();
  try {
    const buckets = await freshBuckets(clouds, 'dbg');
    const { store } = await multiStore(clouds, buckets, { writes: 'primary' });
    for (const e of ['retry', 'failover', 'open', 'close', 'halfOpen', 'rejected'] as const) {
      store.on(e, (p) => console.log(e, JSON.stringify({ ...p, error: undefined })));
    }
    const w = new Workload(store);
    await w.round('before', 4);
    await untilRepaired(store);
    console.log('---- fault');
    await clouds.proxies[0].setFault(faults.dns());
    try {
      await w.put('x');
    } catch (e) {
      console.log('ERR', (e as Error).message, (e as { kind?: string }).kind);
    }
    console.log(JSON.stringify(store.status().targets.map((t) => [t.name, t.state, t.failures])));
    await store.close();
  } finally {
    await clouds.stop();
  }
});
