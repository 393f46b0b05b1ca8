import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The signer island never reaches the network or the online half (DESIGN.md section 4).
    files: [
      'src/signer/**',
      'src/keys/**',
      'src/policy/**',
      'src/approvals/**',
      'src/bitcoin/**',
      'src/artifacts/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['http', 'https', 'net', 'dgram', 'tls', 'http2'].flatMap((m) => [
            { name: m, message: 'The signer island must not open sockets.' },
            { name: `node:${m}`, message: 'The signer island must not open sockets.' },
          ]),
          patterns: [
            {
              group: ['**/coordinator/**', '**/chain/**'],
              message: 'The signer island must not import the online half.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'The signer island must not open sockets.' },
      ],
    },
  },
);
