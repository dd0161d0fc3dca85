// Settings every package's vitest.config.ts starts from: resolve workspace packages to their
// TypeScript sources (the `@bmlb/source` export condition), so tests never need a build first.
//
// Two tiers (DESIGN.md, "Tests, from fast to real"): `vitest run` runs unit, property and loopback
// tests (`*.test.ts`); with BMLB_TEST_TIER=interop it runs only the interop suites
// (`*.interop.test.ts`: real routing daemons in network namespaces), one file at a time, so timing
// figures (BFD detection, failover) are not measured on a machine busy with the fast tier.
import { defineConfig } from 'vitest/config';

export const sourceConditions = ['@bmlb/source', 'import', 'module', 'node', 'default'];
const interop = process.env.BMLB_TEST_TIER === 'interop';
const interopFiles = ['src/**/*.interop.test.ts', 'test/**/*.interop.test.ts'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    include: interop ? interopFiles : ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: interop ? ['**/node_modules/**'] : ['**/node_modules/**', ...interopFiles],
    fileParallelism: !interop,
    benchmark: { include: ['src/**/*.bench.ts', 'bench/**/*.bench.ts'] },
    testTimeout: interop ? 120_000 : 20_000,
  },
});
