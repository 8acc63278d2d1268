// The folder an editor opens and the user settings it starts with, in the editor's temp dir.
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './paths';

/**
 * The folder to open: a path (relative to the repository; copied to a temp dir first) or the
 * files to create, as `{ 'relative/path': 'content' }`.
 */
export type WorkspaceSpec = string | Record<string, string>;

/** Colour theme: `'dark'` (default), `'light'` or a theme's label. Fixed so screenshots compare. */
export type ThemeChoice = 'dark' | 'light' | (string & {});

/** The harness's user settings: telemetry off, no welcome page, no prompts, a fixed theme. */
export function baseSettings(theme: ThemeChoice | undefined): Record<string, unknown> {
  const colorTheme =
    theme === 'light' ? 'Default Light Modern' : theme === 'dark' || theme === undefined ? 'Default Dark Modern' : theme;
  return {
    'telemetry.telemetryLevel': 'off',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.colorTheme': colorTheme,
    'workbench.enableExperiments': false,
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'git.enabled': false,
    'git.openRepositoryInParentFolders': 'never',
    'chat.disableAIFeatures': true,
    'files.simpleDialog.enable': true,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'always',
    'window.restoreWindows': 'none',
    'editor.minimap.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
  };
}

/** Creates the workspace under `root` (copied or written) and returns its absolute path. */
export function prepareWorkspace(root: string, workspace: WorkspaceSpec): string {
  if (typeof workspace === 'string') {
    const src = resolve(REPO_ROOT, workspace);
    if (!existsSync(src)) throw new Error(`workspace ${src} does not exist`);
    const dest = join(root, basename(src));
    cpSync(src, dest, { recursive: true });
    return dest;
  }
  const dest = join(root, 'workspace');
  mkdirSync(dest, { recursive: true });
  for (const [rel, content] of Object.entries(workspace)) {
    if (isAbsolute(rel) || relative(dest, join(dest, rel)).startsWith('..')) throw new Error(`bad path ${rel}`);
    mkdirSync(dirname(join(dest, rel)), { recursive: true });
    writeFileSync(join(dest, rel), content);
  }
  return dest;
}
