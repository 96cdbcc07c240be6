import type { Options } from 'tsup';

/**
 * The build every package shares (each package's `tsup.config.ts` starts from it): `src/index.ts`
 * bundled as ESM and CommonJS for Node 20, with type declarations and source maps, from the
 * package's `tsconfig.build.json`, into a cleaned `dist/`.
 */
export const baseConfig = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { composite: false } },
  tsconfig: 'tsconfig.build.json',
  clean: true,
  sourcemap: true,
  target: 'node20',
} satisfies Options;
