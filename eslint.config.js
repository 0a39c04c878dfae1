// Lint rules that catch what the compiler cannot (samples-typescript habits):
// promises must be handled, and workflow code must not reach Node built-ins.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** Workflow code, and the core modules it imports, must stay deterministic. */
const noNodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].map((name) => ({
  name,
  message: 'workflow code must stay deterministic: no Node built-ins',
}));

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      '.tools/',
      'demo-out/',
      'bench-out/',
      '.releases/',
      'bin/',
      'scripts/',
      'test/fixtures/',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'before', 'after'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // A default read by workflow code would change the commands of batches already running.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: noNodeBuiltins,
          patterns: [
            {
              group: ['**/config.js'],
              importNames: [
                'POLICY_DEFAULTS',
                'RUN_DEFAULTS',
                'BATCH_DEFAULTS',
                'ACTIVITY_DEFAULTS',
                'WORKER_DEFAULTS',
                'DEFAULT_ENCODE_SETTINGS',
              ],
              message:
                'workflows take defaults from their recorded policy (src/workflows/policy.ts), never from config.ts',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/config.ts'],
    ignores: ['src/core/hashing.ts', 'src/core/layout.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: noNodeBuiltins,
        },
      ],
    },
  },
);
