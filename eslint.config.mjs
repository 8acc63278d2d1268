// The boundaries of docs/architecture.md as rules: `npm run lint` fails when one is crossed.
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

const layer = (files, paths, patterns, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { paths, patterns: patterns.map((regex) => ({ regex, message })) }],
  },
});

const RUN_FILE_NAMES = ['run.json', 'partials.jsonl', 'state.sqlite', 'results.csv', 'results.parquet', 'summary.csv', 'run.log', 'cases.jsonl', 'run.lock', 'grid.cases.jsonl', 'sycophancy.csv', 'reviews.sqlite', 'reviews.csv', 'labels.sqlite', 'labels.csv', 'labels.jsonl']
  .map((n) => n.replace(/\./g, '\\.')).join('|');

/** `no-restricted-syntax` over src/: every rule everywhere, except each rule in its owner's file. */
const restrictedSyntax = (rules) => {
  const owners = rules.map((r) => r.owner);
  const list = (except) => ['error', ...rules.filter((r) => r.owner !== except).map(({ selector, message }) => ({ selector, message }))];
  return [
    { files: ['src/**/*.ts'], ignores: owners, rules: { 'no-restricted-syntax': list(undefined) } },
    ...owners.map((owner) => ({ files: [owner], rules: { 'no-restricted-syntax': list(owner) } })),
  ];
};

const vscodeOnlyInExtension = { name: 'vscode', message: 'Only src/extension/ may import vscode.' };

export default tseslint.config(
  { ignores: ['dist/**', 'dist-vsix/**', 'node_modules/**', '.tools/**', '.e2e/**', 'test-output/**', 'bench-output/**'] },
  {
    files: ['src/**/*.ts', 'webview/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json'] })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      'no-control-regex': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none', caughtErrors: 'none', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  // The engine: no editor, no command line, no webview.
  layer(['src/core/**/*.ts'], [vscodeOnlyInExtension], ['/(extension|cli)/', '^(\\.\\./)+webview/'],
    'src/core is the engine: it never imports the CLI, the extension or the webview.'),
  // Browser-safe code both sides run: no node, no vscode, nothing from the layers above it.
  layer(['src/shared/**/*.ts'], [vscodeOnlyInExtension], ['^node:', '/(core|extension|cli)/', '^(\\.\\./)+webview/'],
    'src/shared runs in the webview too: no node:*, no core, no CLI, no extension.'),
  // The CLI is an adapter over the core; a command module is imported only by the dispatcher
  // (src/cli/main.ts): what two commands (or the bench) share lives in src/cli/. The registry
  // command's parts (commands/registry*.ts) import each other.
  ...[
    [['src/cli/**/*.ts'], [], []],
    [['src/cli/**/*.ts'], ['src/cli/main.ts'], ['(^|/)commands/']],
    [['src/cli/commands/**/*.ts'], [], ['(^|/)commands/', '^\\./(?!registry[A-Z]\\w*$)']],
  ].map(([files, ignores, commandPatterns]) => ({
    files,
    ignores,
    rules: {
      'no-restricted-imports': ['error', {
        paths: [vscodeOnlyInExtension],
        patterns: [
          ...['/extension/', '^(\\.\\./)+webview/'].map((regex) => ({ regex, message: 'The CLI is an adapter over the core: it never imports the extension or the webview.' })),
          ...commandPatterns.map((regex) => ({ regex, message: 'Only src/cli/main.ts imports a command module; code that commands share goes in src/cli/.' })),
        ],
      }],
    },
  })),
  layer(['src/extension/**/*.ts'], [], ['/cli/', '^(\\.\\./)+webview/'],
    'The extension is an adapter over the core: it never imports the CLI or the webview.'),
  // The results UI imports only the browser-safe shared folder.
  layer(['webview/**/*.ts'], [vscodeOnlyInExtension], ['^(\\.\\./)+src/(?!shared/)', '^node:'],
    'The webview imports only from src/shared (browser-safe code).'),
  // ESLint keeps one no-restricted-syntax list per file (a later block replaces it), so each file
  // gets every restriction that applies to it, minus the one its own file is the owner of.
  ...restrictedSyntax([
    // One owner of the run folder: its file names are spelled in src/core/runFolder/names.ts only.
    { owner: 'src/core/runFolder/names.ts', selector: `Literal[value=/^(${RUN_FILE_NAMES})$/]`, message: 'Name run files through RUN_FILES (src/core/runFolder).' },
    // One command table: only registerCommands.ts registers commands (docs/architecture.md).
    { owner: 'src/extension/registerCommands.ts', selector: 'CallExpression[callee.property.name=/^(registerCommand|registerTextEditorCommand)$/]', message: 'Commands are registered in one place: add the id to src/extension/commands.ts and return its handler from the feature.' },
  ]),
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "AssignmentExpression[left.property.name=/^(innerHTML|outerHTML)$/]", message: 'Untrusted text goes in with textContent, never as HTML.' },
        { selector: "CallExpression[callee.property.name=/^(insertAdjacentHTML|write|writeln)$/]", message: 'Untrusted text goes in with textContent, never as HTML.' },
      ],
    },
  },
);
