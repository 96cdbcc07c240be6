export { startTcpProxy } from './proxy.js';
export type { TcpFault, TcpFaultProxy, TcpProxyOptions } from './types.js';
