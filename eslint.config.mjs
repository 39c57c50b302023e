import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['node_modules/', 'bin/', 'coverage/', '.plan/', '.stryker-tmp/', 'reports/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
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
