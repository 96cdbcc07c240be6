import axios from 'axios';
import type { ApiRegion } from '../topology/pricing-api.js';
import type { CloudClients } from '../topology/topology.js';
import { cloudStores } from './order-store.js';

/** How long the warm-up waits for each dependency before it goes on anyway. */
const WARM_UP_LIMIT_MS = 30_000;

/**
 * A readiness check, as a deployment runs before it sends an instance traffic: one cheap call to
 * each cloud (a `head` of a key nobody writes, through the app's own SDK clients) and each pricing
 * region, awaited without the scenario's short attempt limit.
 *
 * A fresh process pays once for what its first calls load and open: the SDKs' lazily loaded
 * modules, TLS-free but still new keep-alive sockets through each fault proxy, the emulators' first
 * request. On a loaded machine that took more than the demo's 0.9 s attempt limit on every cloud at
 * once, and the first order failed before any fault was switched on. Nothing here touches the
 * store's breakers or journal: the calls go to the clouds' adapters directly. A dependency that
 * does not answer is not an error here; the scenario shows what happens then.
 */
export async function warmUp(
  clients: CloudClients,
  apiUrls: Readonly<Record<ApiRegion, string>>,
): Promise<void> {
  const key = `warm-up/${process.pid}`;
  const calls: Promise<unknown>[] = cloudStores(clients).map((store) =>
    store.head(key, { signal: AbortSignal.timeout(WARM_UP_LIMIT_MS) }),
  );
  for (const url of Object.values(apiUrls)) {
    calls.push(axios.get(`${url}/prices`, { params: { skus: 'warm-up' }, timeout: WARM_UP_LIMIT_MS }));
  }
  await Promise.allSettled(calls);
}
