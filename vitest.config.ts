import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkgs = [
  'core',
  'storage',
  's3',
  'gcs',
  'azure-blob',
  'http',
  'cli',
  'redis',
  'testkit',
  'otel',
] as const;
const dirOf = (pkg: string): string => pkg;

/**
 * Tests import the workspace packages by name; they resolve to the TypeScript sources so the
 * suite runs without a build. A separate packaging test checks the built `dist/` output.
 */
export default defineConfig({
  resolve: {
    alias: [
      {
        find: '@failover/testkit/contract',
        replacement: fileURLToPath(new URL('./packages/testkit/src/contract/index.ts', import.meta.url)),
      },
      ...pkgs.map((p) => ({
        find: `@failover/${p}`,
        replacement: fileURLToPath(new URL(`./packages/${dirOf(p)}/src/index.ts`, import.meta.url)),
      })),
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'tests/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
