// Settings every package's vitest.config.ts starts from: resolve workspace packages to their
// TypeScript sources (the `@bmlb/source` export condition), so tests never need a build first.
import { defineConfig } from 'vitest/config';

export const sourceConditions = ['@bmlb/source', 'import', 'module', 'node', 'default'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    benchmark: { include: ['src/**/*.bench.ts', 'bench/**/*.bench.ts'] },
    testTimeout: 20_000,
  },
});
