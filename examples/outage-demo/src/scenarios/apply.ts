import { type FaultProxy, faults } from '@failover/testkit';
import { type Phase, PROXY_IDS, type ProxyId } from './types.js';

/** Puts every proxy into the fault the phase gives it (`pass` for the ones it leaves out). */
export async function applyPhase(
  phase: Phase,
  proxies: Readonly<Record<ProxyId, FaultProxy>>,
): Promise<void> {
  await Promise.all(PROXY_IDS.map((id) => proxies[id].setFault(phase.faults[id] ?? faults.pass())));
}

/** Whether the phase injects any fault at all. */
export function isFaulty(phase: Phase, ids: readonly ProxyId[] = PROXY_IDS): boolean {
  return ids.some((id) => phase.faults[id] !== undefined && phase.faults[id]?.type !== 'pass');
}
