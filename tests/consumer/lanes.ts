/**
 * The consumer test's matrix: each lane is a fresh npm project outside the workspace, on one Node
 * major, with one set of peer SDK versions.
 *
 * - Node 20 with the OLDEST versions the peer ranges allow (what a user who has not upgraded has).
 * - Node 22 and 24 with the NEWEST majors (@google-cloud/storage 8 and @azure/storage-blob 12.33+
 *   need Node 22).
 * - Node 26 with the NEWEST majors too: npm must pick an opossum whose engines accept it.
 *
 * Keep these in step with the `peerDependencies` of packages/*: the oldest versions below are
 * the lower bounds of those ranges (or the oldest release the registry has inside them).
 */
export interface Lane {
  /** Shown in the output, e.g. `node22-newest`. */
  readonly id: string;
  /** The Node major the lane runs (installs, compiles and runs with). */
  readonly nodeMajor: 20 | 22 | 24 | 26;
  /** Peer SDKs and tools installed next to the tarballs, as `name@range` specs. */
  readonly peers: readonly string[];
  /** The opossum major npm must pick for @failover/core on this Node (engines-aware resolution). */
  readonly opossumMajor: 9 | 10;
  /**
   * Install @failover/core alone (no SDKs, no servers) and run one call through it: for a Node
   * newer than the SDKs and emulators support yet, where only the engines check matters.
   */
  readonly coreOnly?: boolean;
  /** Also type-check under `moduleResolution: node10` (version-independent: done once). */
  readonly node10Types: boolean;
  /** Also install a project with the S3 SDK only and compile the testkit's types there (once). */
  readonly s3OnlyProject: boolean;
}

/** The TypeScript the apps compile with (the workspace's own version). */
export const TYPESCRIPT = 'typescript@5.9.3';

/** What docs/getting-started.md's try-out runs with (`npx tsx see-failover.mts`). */
export const TSX = 'tsx@4';

/** The oldest supported peers: the lower bounds of the packages' peer ranges. */
export const OLDEST_PEERS: readonly string[] = [
  '@aws-sdk/client-s3@3.1169.0',
  '@google-cloud/storage@7.0.0',
  // The peer range is ^12.20.0; 12.23.0 is the oldest release inside it that the registry serves.
  '@azure/storage-blob@12.23.0',
  'axios@1.19.0',
];

/** The newest majors of the peers, as a user starting today gets them. */
export const NEWEST_PEERS: readonly string[] = [
  '@aws-sdk/client-s3@latest',
  '@google-cloud/storage@^8',
  '@azure/storage-blob@latest',
  'axios@latest',
];

export const LANES: readonly Lane[] = [
  {
    id: 'node20-oldest',
    nodeMajor: 20,
    peers: [...OLDEST_PEERS, TYPESCRIPT, TSX, '@types/node@20'],
    opossumMajor: 9,
    node10Types: true,
    s3OnlyProject: true,
  },
  {
    id: 'node22-newest',
    nodeMajor: 22,
    peers: [...NEWEST_PEERS, TYPESCRIPT, TSX, '@types/node@22'],
    opossumMajor: 10,
    node10Types: false,
    s3OnlyProject: false,
  },
  {
    id: 'node24-newest',
    nodeMajor: 24,
    peers: [...NEWEST_PEERS, TYPESCRIPT, TSX, '@types/node@24'],
    opossumMajor: 10,
    node10Types: false,
    s3OnlyProject: false,
  },
  {
    // Node 26 with the whole SDK (the peers and the packed testkit's local clouds run on it since
    // December 2026; before, this lane installed @failover/core alone). opossum 9 declares Node up
    // to 24: npm must pick opossum 10 here, with no EBADENGINE warning.
    id: 'node26-newest',
    nodeMajor: 26,
    peers: [...NEWEST_PEERS, TYPESCRIPT, TSX, '@types/node@26'],
    opossumMajor: 10,
    node10Types: false,
    s3OnlyProject: false,
  },
];
