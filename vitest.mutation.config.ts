import { defineConfig } from 'vitest/config';

// What StrykerJS runs against each mutant (`npm run test:mutation`): the unit layer only. The workflow and integration
// layers need servers and take seconds per file, which over hundreds of mutants would take hours on 2 cores.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/unit/**/*.test.ts'],
  },
});
