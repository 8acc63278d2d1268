// The VSIX under test, packaged once per process.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './paths';
import { childEnv, runChild } from './processes';

let vsixPromise: Promise<string> | undefined;

/**
 * The VSIX under test: `AWB_E2E_VSIX` if set (test.mjs packages once for all test files),
 * otherwise `scripts/package.mjs` runs once per process.
 */
export function ensureVsix(): Promise<string> {
  const fromEnv = process.env.AWB_E2E_VSIX;
  if (fromEnv && existsSync(fromEnv)) return Promise.resolve(resolve(fromEnv));
  vsixPromise ??= (async () => {
    const out = join(REPO_ROOT, 'dist-vsix', 'alignment-workbench.vsix');
    await runChild(process.execPath, [join(REPO_ROOT, 'scripts', 'package.mjs'), '--out', out], {
      timeoutMs: 300_000,
      cwd: REPO_ROOT,
      env: childEnv(),
    });
    return out;
  })();
  return vsixPromise;
}
