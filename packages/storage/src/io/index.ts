export { type RequestObserver, RequestScope } from './request-scope.js';
export {
  DEFAULT_IO_TIMEOUTS,
  type IoTimeouts,
  operationIoTimeouts,
  type ResolvedIoTimeouts,
  resolveIoTimeouts,
} from './timeouts.js';
export { TransferError, type TransferErrorContext, type TransferPhase } from './transfer-error.js';
export { createIoWatch, type IoWatch, type IoWatchOptions, type WatchedRequestInfo } from './watch.js';
export { watchPipedRequest } from './watch-pipe.js';
