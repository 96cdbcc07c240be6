import type { BlobStore } from '@failover/storage';

/** The contract options with every default filled in. */
export interface ResolvedContractOptions {
  readonly bufferBytes: number;
  readonly largeObjectBytes: number;
  readonly keyPrefix: string;
  readonly timeoutMs: number;
  readonly deleteKeys: boolean;
  readonly ifMatch: boolean;
}

/** What each group of contract cases gets. */
export interface ContractContext {
  /** The store under test (available inside tests, after the suite's `beforeAll`). */
  readonly store: () => BlobStore;
  /** A key prefix no other test uses, ending in `/`, e.g. `failover-contract/<run>/12-copy/`. */
  readonly prefix: (test: string) => string;
  readonly options: ResolvedContractOptions;
}
