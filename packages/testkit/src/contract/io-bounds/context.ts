import type { BlobStore } from '@failover/storage';
import type { FaultProxy, RequestMatch } from '../../fault-proxy/index.js';
import type { IoBoundsTimeouts, IoBoundsUploadPhases } from './types.js';

/** What the cases of {@link ioBoundsContract} get. */
export interface IoBoundsCaseContext {
  /** The store under test through the fault proxy, with these bounds (`undefined`: the defaults). */
  readonly open: (timeouts: IoBoundsTimeouts | undefined) => BlobStore;
  /** The fault proxy in front of the server (reset to `pass` before every test). */
  readonly proxy: () => FaultProxy;
  /** The seeded object's key (`big`) and fresh keys for a test's writes. */
  readonly keys: () => { readonly big: string; readonly key: (name: string) => string };
  /** The requests that download the seeded object's body. */
  readonly download: () => RequestMatch;
  /** The requests of each phase of a streamed upload, when the subject names them. */
  readonly upload: () => IoBoundsUploadPhases | undefined;
  /** The seeded object's bytes (512 KiB). */
  readonly body: Buffer;
}
