// A run whose writes start failing (a full disk) must stop calling the provider. The failure is
// real: the built CLI runs under a file-size limit (`ulimit -f`, RLIMIT_FSIZE), so once
// partials.jsonl reaches it the kernel refuses the write (EFBIG), as a full disk refuses it
// (ENOSPC); Node ignores the SIGXFSZ signal, so the process sees the write error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAI, type FakeServer } from '../support/fakeOpenAI';
import { cliBundle } from '../support/buildCli';
import { CANARY_KEY, readPartials, tempDir, writeCases } from '../support/runnerFixtures';

let server: FakeServer;
let cli: string;

before(async () => {
  // Long answers, so partials.jsonl outgrows the limit long before the other files of the run.
  server = await startFakeOpenAI({ script: () => ({ reply: 'An answer that takes room. '.repeat(120) }) });
  cli = await cliBundle();
});
after(async () => { await server.close(); });

interface Done { code: number | null; stdout: string; stderr: string }

/** The built CLI; with `fileSizeKb`, under that file-size limit. Killed after 60 s. */
function awb(args: string[], cwd: string, fileSizeKb?: number): Promise<Done> {
  const node = [process.execPath, cli, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const [cmd, argv] = fileSizeKb ? ['bash', ['-c', `ulimit -f ${fileSizeKb} && exec ${node}`]] as const : [process.execPath, [cli, ...args]] as const;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, env: { PATH: process.env.PATH, HOME: cwd, OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: server.url }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

test('after the first failed write the run stops calling the provider, says so once and is marked failed', async () => {
  const { dir, cleanup } = tempDir('awb-write-failure-');
  try {
    const total = 40;
    writeCases(dir, total);
    const args = ['run', '--dataset', 'bench.cases.jsonl', '--models', 'm1', '--score', 'later', '--concurrency', '1', '--run-id', 'full', '--no-registry'];
    server.reset();
    const r = await awb(args, dir, 32);
    const runDir = join(dir, 'results', 'full');
    // Complete lines only: a torn last line is what a failed write can leave (a resume drops it).
    const written = readFileSync(join(runDir, 'partials.jsonl'), 'utf8').split('\n').slice(0, -1).length;
    const requests = server.requests.filter((q) => q.model === 'm1').length;
    assert.ok(written > 0 && written < total, `some rows fit under the limit, not all (${written} of ${total})`);
    // The answer whose row could not be written, plus at most the one request already on its
    // way when the write failed (concurrency 1): nothing is started after the failure.
    const afterFailure = requests - (written + 1);
    assert.ok(afterFailure <= 1, `${afterFailure} requests were made after the failed write (${requests} requests, ${written} rows written)`);

    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.match(/stopping the run: cannot write partials\.jsonl: file too large/g)?.length, 1, `said once:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /^\s+at .+[:(]/m, 'no stack trace');
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.match(r.stdout, /run full: failed/);
    const runJson = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { status: string; status_reason?: string };
    assert.equal(runJson.status, 'failed');
    assert.match(runJson.status_reason ?? '', /^cannot write partials\.jsonl: file too large \(a size limit was reached\) \(EFBIG\); no more requests are sent/);

    // Once writes work again, resuming finishes the run: every key exactly once, nothing lost or doubled.
    const resumed = await awb(['run', '--run-id', 'full', '--no-registry'], dir);
    assert.equal(resumed.code, 0, resumed.stderr);
    const rows = readPartials(runDir);
    assert.equal(rows.length, total);
    assert.equal(new Set(rows.map((row) => row.key)).size, total);
  } finally { cleanup(); }
});
