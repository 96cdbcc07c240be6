export { instrument } from './instrument.js';
export { ATTR, BREAKER_STATES, type BreakerStateValue, METRICS } from './names.js';
export { type CallObserverOptions, createCallObserver, SPANS } from './observer.js';
export { SCOPE } from './providers.js';
export type { Disposer, Instrumentable, InstrumentOptions } from './types.js';
