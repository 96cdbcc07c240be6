import './augment.js';

export { EndpointError, type EndpointErrorInit } from './endpoint-error.js';
export type { ResolvedEndpoint } from './endpoints.js';
export { allEndpointsFailed, ERR_ALL_ENDPOINTS_FAILED } from './errors.js';
export type {
  AttemptFailure,
  Endpoint,
  FailoverConfigField,
  FailoverOutcome,
  FailoverRequestOptions,
  HttpFailoverOptions,
} from './types.js';
export {
  type CreateFailoverAxiosOptions,
  createFailoverAxios,
  type FailoverAxiosInstance,
  type WithFailoverOptions,
  withFailover,
} from './with-failover.js';
