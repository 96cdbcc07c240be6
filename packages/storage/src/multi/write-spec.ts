import type { BlobInfo, BlobStore } from '../types.js';
import type { WriteRecord } from './journaling.js';

/** One write (a put or a delete) to make on the targets: what the journal records of it, and more. */
export interface WriteSpec
  extends Omit<WriteRecord, 'holders' | 'missing' | 'intent' | 'degraded' | 'uncertain' | 'inherited'> {
  readonly signal: AbortSignal | undefined;
  /** Overrides the router's attempt time limit for this write (`false`: none). */
  readonly attemptTimeoutMs?: number | false | undefined;
  /** Makes the write on one target (may be called again on another, or more than once). */
  readonly perform: (store: BlobStore, signal: AbortSignal | undefined) => Promise<BlobInfo | undefined>;
  /**
   * Undoes the write on a target where it succeeded (`written`: what that target answered), used
   * when another target refused it with a precondition failure (`ifNoneMatch`). Only safe when the
   * write itself was conditional.
   */
  readonly rollback?: ((store: BlobStore, written: BlobInfo | undefined) => Promise<void>) | undefined;
  /** `false`: never hedged to another target (a streamed body would be sent twice). */
  readonly hedge?: false | undefined;
  /** Called once no write of this spec runs any more (every straggler has ended). */
  readonly finished?: (() => void) | undefined;
}

/** Where a write landed first (the answer the caller gets). */
export interface WriteResult {
  readonly target: string;
  readonly info: BlobInfo | undefined;
  /** Acknowledged with fewer copies than the write mode asks for. */
  readonly degraded: boolean;
}
