import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/', 'src/generated/', 'docs/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The simulator is its own program that imitates Midtrans: the service talks to it over HTTP only.
    files: ['src/**/*.ts', 'workflows/**/*.ts', 'activities/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/simulator', '**/simulator/*'], message: 'the service never imports the simulator' }] }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox (Date and Math.random are replayed there); it must not
    // reach Node built-ins or any I/O module. Activities are imported as types only.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'crypto', 'http', 'https', 'net'], message: 'no Node built-ins in workflow code' },
            { group: ['../activities', '../activities/*'], allowTypeImports: true, message: 'workflows import activity types only' },
            {
              group: ['../src/*', '!../src/domain', '!../src/temporal'],
              message: 'workflow code imports src/domain only (and the search-attribute keys and workflow ids)',
            },
            {
              group: ['../src/temporal/*', '!../src/temporal/search-attributes', '!../src/temporal/workflow-ids'],
              message: 'workflow code imports src/domain only (and the search-attribute keys and workflow ids)',
            },
          ],
        },
      ],
    },
  },
  {
    // The worker preloads the workflow modules once and every workflow it holds shares them, frozen
    // (src/temporal/worker.ts): module-level state would leak from one payment into another.
    files: ['workflows/**/*.ts', 'src/domain/**/*.ts', 'src/temporal/search-attributes.ts', 'src/temporal/workflow-ids.ts', 'src/temporal/workflow-stack-traces.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: ':matches(Program, ExportNamedDeclaration) > VariableDeclaration[kind!="const"]',
          message: 'no module-level let/var in workflow code: every workflow of a worker shares its modules',
        },
        {
          selector: ':matches(Program, ExportNamedDeclaration) > VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^(Map|Set|WeakMap|WeakSet|Array)$/]',
          message: 'no module-level collections in workflow code: every workflow of a worker shares its modules',
        },
      ],
    },
  },
  {
    // One-way layers: under src/, only the worker's factory reaches activities/ (and bundles workflows/), and only the
    // API's Temporal client module and the schedules (which start workflows by name) import workflows' public interfaces.
    files: ['src/**/*.ts'],
    ignores: ['src/temporal/worker.ts', 'src/api/payment-workflows.ts', 'src/temporal/schedules.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows', '**/workflows/*', '**/activities', '**/activities/*'],
              message: 'go through src/api/payment-workflows.ts (the workflow) or src/temporal/worker.ts (activities)',
            },
          ],
        },
      ],
    },
  },
);
