import type { IoTimeouts } from './io/timeouts.js';

/** Options every operation accepts. */
export interface OperationOptions {
  /** Aborts the operation (and the provider SDK call under it). */
  signal?: AbortSignal;
  /**
   * Bounds on this call's HTTP requests, replacing the cloud store's `timeouts` field by field
   * (see {@link IoTimeouts}). Stores without a network (memory, file system) ignore it.
   */
  timeouts?: IoTimeouts;
}
