import type { FailoverConfigField, FailoverRequestOptions } from './types.js';

declare module 'axios' {
  interface AxiosRequestConfig<D, P> {
    /**
     * Per-request failover options (see `@failover/http`'s {@link FailoverRequestOptions}).
     * Only read by instances wrapped with `withFailover` or made by `createFailoverAxios`.
     */
    failover?: FailoverRequestOptions;
  }

  interface InternalAxiosRequestConfig<D, P> {
    /**
     * The per-request failover options; on `response.config` (and on an error's `config`) also
     * what failover did: which endpoint served the response, how many attempts it took, and the
     * failed attempts (see `@failover/http`'s `FailoverOutcome`).
     */
    failover?: FailoverConfigField;
  }
}
