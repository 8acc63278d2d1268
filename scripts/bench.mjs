// npm run bench: runs every bench/*.bench.ts (or those named on the command line) one after another.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const only = process.argv.slice(2);
const files = readdirSync('bench').filter((f) => f.endsWith('.bench.ts')).sort()
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '-e', `import('./bench/${f}').then((m) => (m.run ?? m.default.run)()).catch((e) => { console.error(e); process.exit(1); })`], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.log(`(${f} failed with exit ${r.status})`); }
}
process.exit(failed ? 1 : 0);
