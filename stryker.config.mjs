// @ts-check
/**
 * Mutation testing (`npm run test:mutation`): StrykerJS changes the code one small way at a time (a flipped
 * comparison, a removed branch, another constant) and runs the unit tests against each change. A mutant the tests
 * do not notice is a behaviour no test pins down. The score and the survivors are in docs/testing.md.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: ['src/domain/**/*.ts', 'src/midtrans/client.ts', 'activities/**/*.ts', '!src/domain/index.ts', '!activities/index.ts'],
  // The sandbox copy needs only the code and the unit tests, not the local servers' data and binaries.
  ignorePatterns: ['.tools', '.data', 'reports', 'docs', 'bench', 'test/chaos', 'test/replay/histories', 'src/generated'],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants) re-run the whole unit suite each: 9 % of the mutants, 65 % of the time.
  // Their code runs at import, so most are killed by any test; they are counted as ignored in the report.
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 80, low: 60, break: null },
  tempDirName: '.data/stryker-tmp',
  cleanTempDir: 'always',
};
