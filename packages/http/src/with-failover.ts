import {
  createFailover,
  type Failover,
  type FailoverOptions,
  InvalidOptionError,
  optionError,
  readOptions,
} from '@failover/core';
import axios, { type AxiosAdapter, type AxiosInstance, type CreateAxiosDefaults } from 'axios';
import { createFailoverAdapter } from './adapter.js';
import type { ResolvedEndpoint } from './endpoints.js';
import { resolveHttpOptions } from './options.js';
import type { HttpFailoverOptions } from './types.js';

/**
 * Options of {@link withFailover}: the endpoints and HTTP rules, plus `@failover/core`'s router
 * options (`breaker`, `retry`, `budget`, `attemptTimeoutMs`, `hedge`, `bulkhead`, `observer`,
 * `classify`).
 */
export interface WithFailoverOptions
  extends HttpFailoverOptions,
    Omit<FailoverOptions<ResolvedEndpoint>, 'targets'> {}

/** Options of {@link createFailoverAxios}: axios' `create` config and {@link WithFailoverOptions} together. */
export type CreateFailoverAxiosOptions = Omit<CreateAxiosDefaults, 'sensitiveHeaders'> & WithFailoverOptions;

/** An axios instance whose requests fail over across endpoints, with its router at `failover`. */
export type FailoverAxiosInstance = AxiosInstance & {
  /**
   * The failover router over the endpoints: `status()`, `on(event, listener)`, `isAvailable(name)`,
   * `close()` (stops the breakers' timers; later requests reject).
   */
  readonly failover: Failover<ResolvedEndpoint>;
};

const ROUTER_KEYS = [
  'breaker',
  'retry',
  'budget',
  'attemptTimeoutMs',
  'hedge',
  'bulkhead',
  'observer',
  'classify',
] as const;
const HTTP_KEYS = ['endpoints', 'failoverOn500', 'sensitiveHeaders', 'trustedOrigins'] as const;
const WRAPPED = Symbol.for('@failover/http.adapter');

/**
 * Makes an existing axios instance fail over across `options.endpoints`, in place, and returns it
 * with its router at `.failover`. Interceptors, headers, `timeout` (per attempt), transforms and
 * the instance's adapter keep working; relative request URLs are sent to one endpoint per attempt.
 * Throws an `InvalidOptionError` naming the option when an option is invalid, or when the instance
 * is already wrapped.
 *
 * @example
 * const api = withFailover(axios.create({ headers: { Authorization: `Bearer ${token}` } }), {
 *   endpoints: [
 *     { name: 'aws-us-east-1', baseURL: 'https://api.use1.example.com' },
 *     { name: 'gcp', baseURL: 'https://api.gcp.example.com' },
 *   ],
 * });
 * const { data } = await api.get('/orders/42');
 */
export function withFailover(instance: AxiosInstance, options: WithFailoverOptions): FailoverAxiosInstance {
  if (typeof instance !== 'function' || instance.defaults === undefined) {
    throw optionError('instance', 'an axios instance (axios.create())', instance);
  }
  const current = instance.defaults.adapter;
  if (typeof current === 'function' && (current as { [WRAPPED]?: true })[WRAPPED]) {
    throw new InvalidOptionError(
      'instance',
      'this axios instance already fails over (withFailover was called on it)',
    );
  }
  const http = resolveHttpOptions(options, ROUTER_KEYS);
  const router = createFailover<ResolvedEndpoint>({ ...pick(options, ROUTER_KEYS), targets: http.endpoints });
  const adapter: AxiosAdapter = createFailoverAdapter({
    router,
    http,
    inner: current,
    classify: options.classify,
  });
  Object.defineProperty(adapter, WRAPPED, { value: true });
  instance.defaults.adapter = adapter;
  instance.defaults.baseURL = http.endpoints[0]!.baseURL;
  Object.defineProperty(instance, 'failover', { value: router, enumerable: false, configurable: true });
  return instance as FailoverAxiosInstance;
}

/**
 * Creates an axios instance that fails over: `axios.create(config)` then {@link withFailover}.
 * `options` holds axios' `create` config and the failover options side by side; `sensitiveHeaders`
 * serves both.
 */
export function createFailoverAxios(options: CreateFailoverAxiosOptions): FailoverAxiosInstance {
  readOptions(options); // an object; withFailover checks the failover options
  const axiosConfig: Record<string, unknown> = { ...options };
  for (const key of [...ROUTER_KEYS, ...HTTP_KEYS]) delete axiosConfig[key];
  if (options.sensitiveHeaders !== undefined) axiosConfig.sensitiveHeaders = [...options.sensitiveHeaders];
  const failover: WithFailoverOptions = {
    ...pick(options, ROUTER_KEYS),
    ...pick(options, HTTP_KEYS),
  } as WithFailoverOptions;
  return withFailover(axios.create(axiosConfig as CreateAxiosDefaults), failover);
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (source[k] !== undefined) out[k] = source[k];
  return out;
}
