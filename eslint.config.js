import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/', 'src/generated/', 'docs/'] },
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
            { group: ['../src/db/*', '../src/midtrans/*', '../src/api/*'], message: 'no I/O modules in workflow code' },
          ],
        },
      ],
    },
  },
);
