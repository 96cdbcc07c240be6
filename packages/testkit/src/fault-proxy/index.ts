export {
  FAULT_DNS_ADDRESS,
  FAULT_DNS_DOMAIN,
  faultHostname,
  installFaultDns,
  isFaultDnsInstalled,
  setDnsFault,
  uninstallFaultDns,
} from './dns-hook.js';
export { faults, type StatusPresetOptions } from './faults.js';
export { createFaultProxy } from './proxy.js';
export { type Random, seededRandom } from './rng.js';
export type {
  BlackholeFault,
  CorruptFault,
  CutFault,
  DnsFault,
  Fault,
  FaultFlavor,
  FaultProxy,
  FaultProxyCounts,
  FaultProxyOptions,
  FaultType,
  LatencyFault,
  MixFault,
  PartialFault,
  PassFault,
  RefuseFault,
  RequestFault,
  RequestInfo,
  RequestMatch,
  ResetFault,
  StallFault,
  StatusFault,
} from './types.js';
