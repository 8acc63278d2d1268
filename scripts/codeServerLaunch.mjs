// How code-server is started, shared by `npm start` (scripts/start.mjs) and the end-to-end
// harness (test/e2e/harness.ts): a private profile, loopback only, nothing fetched from the net.
import { writeFileSync } from 'node:fs';

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
