// How code-server is started, shared by `npm start` (scripts/start.mjs) and the end-to-end
// harness (test/e2e/harness/editor.ts): a private profile, loopback only, nothing fetched from the net.
import { writeFileSync } from 'node:fs';
import { Transform } from 'node:stream';

/** code-server's extension gallery on a dead loopback port: no lookups of open-vsx.org. */
export const OFFLINE_GALLERY = JSON.stringify({
  serviceUrl: 'http://127.0.0.1:9/gallery',
  itemUrl: 'http://127.0.0.1:9/item',
  resourceUrlTemplate: 'http://127.0.0.1:9/{publisher}/{name}/{version}/{path}',
});

/**
 * The command lines of one code-server profile. Writes its own config file, so code-server never
 * writes ~/.config/code-server/config.yaml.
 * @param {{ entry: string, configFile: string, userDataDir: string, extensionsDir: string }} profile
 */
export function codeServerCommands({ entry, configFile, userDataDir, extensionsDir }) {
  writeFileSync(configFile, 'auth: none\ncert: false\n');
  const common = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  return {
    /** Installs (or reinstalls) a VSIX into the profile. */
    install: (/** @type {string} */ vsix) => [entry, ...common, '--force', '--install-extension', vsix],
    /** Serves `folder` on 127.0.0.1:`port`; `trusted` skips the workspace-trust prompt. */
    serve: (/** @type {number} */ port, /** @type {string} */ folder, /** @type {boolean} */ trusted) => [
      entry, ...common,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      ...(trusted ? ['--disable-workspace-trust'] : []),
      folder,
    ],
  };
}

/**
 * User settings of `npm start`'s profile, filled in where the profile lacks them: a quiet editor
 * that opens on the Alignment Workbench view with the Chat/Agent panel closed.
 */
export const START_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'security.workspace.trust.startupPrompt': 'never',
  // examples/ sits inside this repository's git checkout: no "open the parent repository?" prompt.
  'git.openRepositoryInParentFolders': 'never',
  'alignmentWorkbench.showViewOnStartup': true,
};

/** Lines of code-server's output that say nothing a user of `npm start` can act on. */
export const CODE_SERVER_NOISE = [
  // The extension gallery is pointed at a dead loopback port on purpose (no open-vsx.org lookups).
  /ECONNREFUSED 127\.0\.0\.1:9\b/,
  /127\.0\.0\.1:9\/(gallery|item)/,
  /marketplace|extensionsControlUrl|control manifest/i,
  // Files the browser asks for that code-server's npm package does not ship.
  /ENOENT.*\.(wasm|map|js|json|css|png|svg|woff2?)\b/,
  /\.wasm\b.*(not found|ENOENT|404)/i,
  /File not found|Not Found.*\/static\//i,
  // Stack frames of the warnings above.
  /^\s+at\s/,
  // Connection bookkeeping, printed on every browser (re)load.
  /\[reconnection-grace-time\]/,
  /\[AgentHostChannel\]/,
  /\[(ManagementConnection|ExtensionHostConnection)\]/,
];

/**
 * A Transform stream that drops code-server's known noise (see {@link CODE_SERVER_NOISE}) and
 * runs of blank lines; everything else passes through unchanged, line by line.
 */
export function filterCodeServerOutput(noise = CODE_SERVER_NOISE) {
  let buffered = '';
  let blank = true;
  const keep = (line) => {
    const trimmed = line.trim();
    if (trimmed === '') {
      if (blank) return false;
      blank = true;
      return true;
    }
    if (noise.some((re) => re.test(line))) return false;
    blank = false;
    return true;
  };
  return new Transform({
    transform(chunk, _enc, cb) {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      cb(null, lines.filter(keep).map((l) => `${l}\n`).join(''));
    },
    flush(cb) {
      cb(null, buffered && keep(buffered) ? `${buffered}\n` : '');
    },
  });
}
