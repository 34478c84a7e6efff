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
