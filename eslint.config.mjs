import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'bin/',
      'coverage/',
      '.plan/',
      '.stryker-tmp/',
      'reports/',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    // Type-aware rules for promises: a promise nobody awaits loses its rejection (and, in a
    // Lambda, may run during a later invocation or never); one passed where a callback's result is
    // ignored does the same. A deliberate fire-and-forget is written `void promise` with a reason.
    // These three, not all of recommendedTypeChecked: its no-unsafe-* rules would flag every
    // protobuf and policy input that is untyped by nature (see the override below).
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Untyped by nature: protobuf requests from Pulumi's mock monitor, resource inputs in policies.
    files: ['scripts/**/*.ts', 'test/**/*.ts', 'policy/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
