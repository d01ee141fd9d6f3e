// ESLint flat config: typescript-eslint's type-aware recommended rules over every TypeScript source.
import { readFileSync } from 'node:fs';
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import prettier from 'eslint-config-prettier/flat';
import tseslint from 'typescript-eslint';

// Prettier sets the width; the width check reads it from the same file so the two cannot drift.
const { printWidth } = JSON.parse(readFileSync(`${import.meta.dirname}/.prettierrc.json`, 'utf8'));

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'coverage/**',
      'reports/**',
      'node_modules/**',
      '.github/actions/*/dist/**',
      'loadtest/results/**',
      '.venv-tools/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      // Small modules and functions: a reader keeps one in view; long positional
      // lists become one object whose field names say what each value is.
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
      'max-params': ['error', 5],
    },
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      // supertest bodies are untyped JSON; asserting on them is the point of the test.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // A describe() callback holds a file's cases: its length is the number of cases, not a function to split.
      'max-lines-per-function': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Plain CommonJS config and reporter files run by Node and Jest.
    files: ['**/*.cjs', '**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        process: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Prettier owns layout: turn off every ESLint rule that would fight it.
  prettier,
  {
    // Prettier breaks code at printWidth but leaves comments and long strings whole: this holds
    // every line, those included, to the same width. A regex literal cannot be split without
    // turning it into `new RegExp('...')`, which loses the literal's syntax check.
    plugins: { '@stylistic': stylistic },
    rules: { '@stylistic/max-len': ['error', { code: printWidth, tabWidth: 2, ignoreRegExpLiterals: true }] },
  },
);
