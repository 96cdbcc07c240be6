// The BlobStore contract suite (`@failover/testkit/contract`). Imports vitest, so it is a
// separate entry point: importing `@failover/testkit` never loads a test runner.
export {};
