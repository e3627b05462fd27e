// Lint runs with type information so that leaked `any` values are caught, not only explicit ones.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers (docs/architecture.md): each outside library stays in its layer, and the domain depends
// on neither the web layer nor the adapters. test/unit/architecture.test.ts checks the folder graph.
const KOA = { regex: '^(koa|@koa/.*)$', message: 'Koa stays in the web layer (interactions/) and the wiring (app.ts, server.ts).' };
const REDIS = { regex: '^redis$', message: 'Redis stays in adapters/.' };
const SMTP = { regex: '^nodemailer$', message: 'SMTP stays in adapters/.' };
const EJS = { regex: '^ejs$', message: 'Templates are compiled in views/ (views/templates.ts).' };
const WEB = { regex: '(^|/)interactions/', message: 'Only the wiring imports the web layer.' };
const ADAPTERS = { regex: '(^|/)adapters/', message: 'The domain talks to storage and gateways through its interfaces; adapters/ implements them.' };
const OUTER = { regex: '(^|/)(provider|views)/|^\\.\\./(\\.\\./)*app\\.ts$', message: 'The domain does not depend on the provider, the views or the wiring.' };
const RP = { regex: '^openid-client$', message: 'The relying-party library stays in sso/upstream.ts (and the demo app and the console sign-in).' };
const layer = (files, patterns, ignores = []) => ({ files, ignores, rules: { 'no-restricted-imports': ['error', { patterns }] } });

export default tseslint.config(
  { ignores: ['node_modules/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // openid-client and oauth4webapi mark plain-HTTP issuers deprecated; tests and the demo run on loopback HTTP.
      '@typescript-eslint/no-deprecated': [
        'error',
        {
          allow: [
            { from: 'package', package: 'openid-client', name: 'allowInsecureRequests' },
            { from: 'package', package: 'oauth4webapi', name: 'allowInsecureRequests' },
          ],
        },
      ],
    },
  },
  layer(['mfa/**/*.ts', 'directory/**/*.ts', 'audit/**/*.ts', 'config/**/*.ts', 'lib/**/*.ts', 'sso/**/*.ts', 'notify/**/*.ts', 'admin/**/*.ts', 'self_service/**/*.ts'], [KOA, REDIS, SMTP, EJS, WEB, ADAPTERS, OUTER, RP], ['sso/upstream.ts']),
  layer(['sso/upstream.ts'], [KOA, REDIS, SMTP, EJS, WEB, ADAPTERS, OUTER]),
  layer(['provider/**/*.ts', 'seed/**/*.ts'], [KOA, REDIS, SMTP, EJS, WEB, RP]),
  layer(['adapters/**/*.ts'], [KOA, EJS, WEB, RP]),
  layer(['views/**/*.ts'], [KOA, REDIS, SMTP, WEB, RP]),
  layer(['interactions/**/*.ts', 'app.ts', 'server.ts'], [REDIS, SMTP, EJS, RP], ['interactions/demo/**', 'interactions/first_party/relying_party.ts']),
  // The demo app and the admin console are relying parties of ours, written with the same library.
  layer(['interactions/demo/**/*.ts', 'interactions/first_party/relying_party.ts'], [REDIS, SMTP, EJS]),
  // The pages' browser scripts (views/assets/, served as they are): plain JavaScript, no type information.
  {
    ...tseslint.configs.disableTypeChecked,
    files: ['views/assets/**/*.js'],
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, sourceType: 'script', globals: { document: 'readonly', navigator: 'readonly' } },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // mocha's `this.skip()` and chai-less assertions use function callbacks and non-null assertions.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
