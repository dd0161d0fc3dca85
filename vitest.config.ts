// Root config for watch mode across the monorepo: `pnpm vitest` runs every package as a project.
// CI and `pnpm test` run each package's own config through turbo instead.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
  },
});
