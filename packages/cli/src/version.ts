/** The version of @failover/cli (kept equal to its package.json by a test). */
export const CLI_VERSION = '0.1.0';
