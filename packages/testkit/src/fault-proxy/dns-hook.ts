import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import { InvalidOptionError, optionError } from '@failover/core';

/**
 * The reserved domain (RFC 2606 `.test`) whose names the fault DNS hook answers: every
 * `*.failover.test` name resolves to `127.0.0.1`, except while a `dns` fault makes it fail.
 */
export const FAULT_DNS_DOMAIN = 'failover.test';

/** The loopback address every `failover.test` name resolves to. */
export const FAULT_DNS_ADDRESS = '127.0.0.1';

interface HostEntry {
  failing(): boolean;
  onFailedLookup(): void;
}

const proxyHosts = new Map<string, HostEntry>();
const failingHosts = new Set<string>();

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address?: string | LookupAddress[],
  family?: number,
) => void;

let original: { lookup: typeof dns.lookup; promisesLookup: typeof dns.promises.lookup } | undefined;

/**
 * Turns `name` into a full `failover.test` host name: `'aws-us-east-1'` becomes
 * `'aws-us-east-1.failover.test'`; a name already under the domain is kept (lower-cased).
 * Throws `InvalidOptionError` for anything that is not a valid DNS name.
 */
export function faultHostname(name: string): string {
  if (typeof name !== 'string') throw optionError('hostname', 'a DNS name', name);
  const lower = name.toLowerCase().replace(/\.$/, '');
  const full = isUnderDomain(lower) ? lower : `${lower}.${FAULT_DNS_DOMAIN}`;
  const labels = full.split('.');
  if (full.length > 253 || labels.some((l) => !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l))) {
    throw optionError('hostname', 'a valid DNS name (labels of a-z, 0-9 and "-")', name);
  }
  return full;
}

function isUnderDomain(hostname: string): boolean {
  return hostname === FAULT_DNS_DOMAIN || hostname.endsWith(`.${FAULT_DNS_DOMAIN}`);
}

/** The entry deciding `hostname`'s fate: the name itself or its nearest registered parent. */
function failingEntry(hostname: string): { failing: boolean; entry: HostEntry | undefined } {
  let name = hostname;
  while (isUnderDomain(name)) {
    if (failingHosts.has(name)) return { failing: true, entry: proxyHosts.get(name) };
    const entry = proxyHosts.get(name);
    if (entry?.failing()) return { failing: true, entry };
    const dot = name.indexOf('.');
    if (dot < 0) break;
    name = name.slice(dot + 1);
  }
  return { failing: false, entry: undefined };
}

/** An error shaped like the one Node's `getaddrinfo` gives for a name that does not exist. */
export function notFoundError(hostname: string): NodeJS.ErrnoException & { hostname: string } {
  const err = new Error(`getaddrinfo ENOTFOUND ${hostname}`) as NodeJS.ErrnoException & { hostname: string };
  err.errno = -3008; // UV_EAI_NONAME
  err.code = 'ENOTFOUND';
  err.syscall = 'getaddrinfo';
  err.hostname = hostname;
  return err;
}

/** What the hook answers for a `failover.test` name: an error or the loopback address. */
function resolveFaultName(hostname: string): NodeJS.ErrnoException | undefined {
  const { failing, entry } = failingEntry(hostname);
  if (!failing) return undefined;
  entry?.onFailedLookup();
  return notFoundError(hostname);
}

function wantsAll(options: unknown): boolean {
  return typeof options === 'object' && options !== null && (options as LookupOptions).all === true;
}

function normalised(hostname: unknown): string | undefined {
  if (typeof hostname !== 'string') return undefined;
  const lower = hostname.toLowerCase().replace(/\.$/, '');
  return isUnderDomain(lower) ? lower : undefined;
}

function hookedLookup(this: unknown, ...args: unknown[]): unknown {
  const [hostname, options, callback] = args;
  const name = normalised(hostname);
  if (name === undefined || original === undefined) {
    // Other names go to the original lookup exactly as given.
    return Reflect.apply(original?.lookup ?? dns.lookup, this, args);
  }
  const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
  const opts = typeof options === 'function' ? undefined : options;
  const err = resolveFaultName(name);
  process.nextTick(() => {
    if (err) cb(err);
    else if (wantsAll(opts)) cb(null, [{ address: FAULT_DNS_ADDRESS, family: 4 }]);
    else cb(null, FAULT_DNS_ADDRESS, 4);
  });
  return {};
}

async function hookedPromisesLookup(this: unknown, ...args: unknown[]): Promise<unknown> {
  const [hostname, options] = args;
  const name = normalised(hostname);
  if (name === undefined || original === undefined) {
    return Reflect.apply(original?.promisesLookup ?? dns.promises.lookup, this, args);
  }
  const err = resolveFaultName(name);
  if (err) throw err;
  return wantsAll(options)
    ? [{ address: FAULT_DNS_ADDRESS, family: 4 }]
    : { address: FAULT_DNS_ADDRESS, family: 4 };
}

/**
 * Installs the process-wide fault DNS hook on `dns.lookup` and `dns.promises.lookup` (what
 * `net.connect`, `http.request`, the AWS and Azure SDKs and `fetch` use to resolve names).
 *
 * Names under {@link FAULT_DNS_DOMAIN} resolve to `127.0.0.1`, or fail with a real-looking
 * `ENOTFOUND` (`code: 'ENOTFOUND'`, `syscall: 'getaddrinfo'`, `hostname`) while the proxy that owns
 * the name (or a parent name) has the `dns` fault, or after {@link setDnsFault}. Every other name
 * goes to the original functions untouched. Idempotent; `createFaultProxy({ hostname })` calls it.
 */
export function installFaultDns(): void {
  if (original) return;
  original = { lookup: dns.lookup, promisesLookup: dns.promises.lookup };
  dns.lookup = hookedLookup as unknown as typeof dns.lookup;
  dns.promises.lookup = hookedPromisesLookup as unknown as typeof dns.promises.lookup;
  syncBuiltinESMExports();
}

/**
 * Removes the hook installed by {@link installFaultDns}, restoring the original functions (left
 * alone if something else replaced them since). `failover.test` names then no longer resolve.
 */
export function uninstallFaultDns(): void {
  if (!original) return;
  if (dns.lookup === (hookedLookup as unknown)) dns.lookup = original.lookup;
  if (dns.promises.lookup === (hookedPromisesLookup as unknown))
    dns.promises.lookup = original.promisesLookup;
  original = undefined;
  syncBuiltinESMExports();
}

/** True while the fault DNS hook is installed. */
export function isFaultDnsInstalled(): boolean {
  return original !== undefined;
}

/**
 * Makes a `failover.test` name (and its sub-domains) fail to resolve (`failing: true`) or resolve
 * again (`false`), independently of any proxy: for clients pointed straight at a server by name.
 * Installs the hook if needed. `name` is completed like the proxy's `hostname` option.
 */
export function setDnsFault(name: string, failing: boolean): void {
  const hostname = faultHostname(name);
  installFaultDns();
  if (failing) failingHosts.add(hostname);
  else failingHosts.delete(hostname);
}

/**
 * Registers a proxy's host name. Throws `InvalidOptionError` when another live proxy owns it.
 * Returns the function that releases it.
 */
export function registerFaultHost(hostname: string, entry: HostEntry): () => void {
  if (proxyHosts.has(hostname)) {
    throw new InvalidOptionError('hostname', `${hostname} is already used by another open fault proxy`);
  }
  installFaultDns();
  proxyHosts.set(hostname, entry);
  return () => {
    if (proxyHosts.get(hostname) === entry) proxyHosts.delete(hostname);
  };
}
