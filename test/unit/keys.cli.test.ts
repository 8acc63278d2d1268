// Where the built `awb` CLI sends keys when a workspace file names an endpoint: real processes,
// real HTTP servers on 127.0.0.1. One server is the user's own (OPENAI_BASE_URL), the other is the
// one a cloned repository's models.yaml (or run folder) points at.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAI, type FakeServer } from '../support/fakeOpenAI';
import { cliBundle } from '../support/buildCli';
import { CANARY_KEY, tempDir, writeCases } from '../support/runnerFixtures';

const OTHER_SECRET = 'sk-OTHER-SECRET-5e1d0c9b8a7f6e5d';
const GITHUB_SECRET = 'ghp-GITHUB-SECRET-0a1b2c3d4e5f';

let mine: FakeServer;
let theirs: FakeServer;
let cli: string;

before(async () => {
  mine = await startFakeOpenAI({ latencyMs: 1 });
  theirs = await startFakeOpenAI({ latencyMs: 1 });
  cli = await cliBundle();
});
after(async () => { await mine.close(); await theirs.close(); });

interface Done { code: number | null; stdout: string; stderr: string }

function awb(args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<Done> {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    env: {
      PATH: process.env.PATH, HOME: cwd,
      OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: mine.url, ANTHROPIC_API_KEY: OTHER_SECRET, GITHUB_TOKEN: GITHUB_SECRET,
      AWB_ENDPOINTS_FILE: join(cwd, 'approvals', 'endpoints.json'), AWB_REGISTRY: join(cwd, 'registry.sqlite'),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const origin = (s: FakeServer) => new URL(s.url).origin;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const runArgs = (runId: string, more: string[] = []) => ['run', '--dataset', 'bench.cases.jsonl', '--models', 'm1', '--personas', 'default', '--judge-model', 'judge-main', '--run-id', runId, ...more];
// A keyless call to this machine carries the SDK's placeholder `Bearer none`, which is no key.
const withKey = (s: FakeServer) => s.requests.filter((r) => r.headers.authorization !== undefined && r.headers.authorization !== 'Bearer none');

/** The refusal names the file and line, the URL, and the command that approves it. */
function assertRefusal(r: Done, file: string, line: number): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`${esc(file)}:${line}: `));
  assert.match(r.stderr, new RegExp(esc(origin(theirs))));
  assert.match(r.stderr, new RegExp(`awb endpoints approve ${esc(origin(theirs))}`));
  assert.match(r.stderr, new RegExp(`--allow-endpoint ${esc(origin(theirs))}`));
  assert.ok(!r.stderr.includes(CANARY_KEY) && !r.stderr.includes(OTHER_SECRET));
}

describe('awb run / awb score: keys go only where the user approved', () => {
  test('provider: openai with a base_url from models.yaml: refused before any request until approved (flag, env, awb endpoints approve)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 2);
      writeFileSync(join(dir, 'models.yaml'), `models:\n  - slug: m1\n    provider: openai\n    base_url: ${theirs.url}\n    concurrency: 1\n  - slug: judge-main\n    base_url: ${mine.url}\n    concurrency: 1\n`);
      mine.reset(); theirs.reset();
      const refused = await awb(runArgs('r1'), dir);
      assertRefusal(refused, 'models.yaml', 4);
      assert.match(refused.stderr, /OPENAI_API_KEY/);
      assert.equal(theirs.requests.length, 0, 'no request reached the endpoint the file named');
      assert.equal(mine.requests.length, 0, 'nothing was sent at all');
      assert.ok(!existsSync(join(dir, 'results', 'r1')), 'no run folder left behind');

      // Approved for one run with the flag: the run goes through and the key arrives there.
      const flag = await awb(runArgs('r2', ['--allow-endpoint', theirs.url]), dir);
      assert.equal(flag.code, 0, flag.stderr);
      assert.equal(theirs.requests.length, 2);
      assert.ok(theirs.requests.every((r) => r.headers.authorization === `Bearer ${CANARY_KEY}`));

      // For CI: AWB_ALLOW_ENDPOINTS.
      theirs.reset();
      const ci = await awb(runArgs('r3'), dir, { AWB_ALLOW_ENDPOINTS: `https://example.invalid, ${origin(theirs)}` });
      assert.equal(ci.code, 0, ci.stderr);
      assert.equal(withKey(theirs).length, 2);

      // The user-level list: approve, list, run, revoke, refused again.
      theirs.reset();
      const ap = await awb(['endpoints', 'approve', `${theirs.url}/chat`], dir);
      assert.equal(ap.code, 0, ap.stderr);
      assert.match(ap.stdout, new RegExp(`approved ${esc(origin(theirs))}`));
      const ls = await awb(['endpoints', 'list'], dir);
      assert.match(ls.stdout, new RegExp(esc(origin(theirs))));
      const approved = await awb(runArgs('r4'), dir);
      assert.equal(approved.code, 0, approved.stderr);
      assert.equal(withKey(theirs).length, 2);
      const rv = await awb(['endpoints', 'revoke', theirs.url], dir);
      assert.equal(rv.code, 0, rv.stderr);
      theirs.reset();
      assertRefusal(await awb(runArgs('r5'), dir), 'models.yaml', 4);
      assert.equal(theirs.requests.length, 0);
    } finally {
      cleanup();
    }
  });

  test('api_key_env naming another secret: refused until approved; a variable that is not a model key is never sent', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 2);
      const roster = (keyEnv: string) => `models:\n  - slug: judge-main\n    base_url: ${mine.url}\n    concurrency: 1\n  - slug: m1\n    base_url: ${theirs.url}\n    api_key_env: ${keyEnv}\n    concurrency: 1\n`;
      writeFileSync(join(dir, 'models.yaml'), roster('ANTHROPIC_API_KEY'));
      mine.reset(); theirs.reset();
      const refused = await awb(runArgs('k1'), dir);
      assertRefusal(refused, 'models.yaml', 6);
      assert.match(refused.stderr, /ANTHROPIC_API_KEY/);
      assert.equal(theirs.requests.length, 0);
      assert.equal(mine.requests.length, 0);

      const ok = await awb(runArgs('k2', ['--allow-endpoint', theirs.url]), dir);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(theirs.requests.length, 2);
      assert.ok(theirs.requests.every((r) => r.headers.authorization === `Bearer ${OTHER_SECRET}`));

      // GITHUB_TOKEN is not a model key: refused even for an approved endpoint, at the api_key_env line.
      writeFileSync(join(dir, 'models.yaml'), roster('GITHUB_TOKEN'));
      theirs.reset(); mine.reset();
      const gh = await awb(runArgs('k3', ['--allow-endpoint', theirs.url]), dir);
      assert.equal(gh.code, 2, gh.stderr);
      assert.match(gh.stderr, /models\.yaml:7: .*GITHUB_TOKEN.*_API_KEY/);
      assert.match(gh.stderr, /--allow-key-env GITHUB_TOKEN/);
      assert.ok(!gh.stderr.includes(GITHUB_SECRET));
      assert.equal(theirs.requests.length, 0);
      assert.equal(mine.requests.length, 0);
    } finally {
      cleanup();
    }
  });

  test('awb score checks the judge named through run.json\'s models file the same way', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 2);
      writeFileSync(join(dir, 'models.yaml'), `models:\n  - slug: m1\n    base_url: ${mine.url}\n    concurrency: 1\n`);
      mine.reset(); theirs.reset();
      const gen = await awb([...runArgs('s1'), '--score', 'later'], dir);
      assert.equal(gen.code, 0, gen.stderr);
      // A run folder is a file too: its run.json names the models file the judge is found in.
      const runJson = join(dir, 'results', 's1', 'run.json');
      const rj = JSON.parse(readFileSync(runJson, 'utf8'));
      writeFileSync(join(dir, 'judges.yaml'), `models:\n  - slug: judge-x\n    provider: openai\n    base_url: ${theirs.url}\n    model: judge-main\n    concurrency: 1\n`);
      rj.config.modelsFile = join(dir, 'judges.yaml');
      writeFileSync(runJson, JSON.stringify(rj));
      theirs.reset();
      const refused = await awb(['score', join('results', 's1'), '--judge-model', 'judge-x'], dir);
      assertRefusal(refused, 'judges.yaml', 4);
      assert.equal(theirs.requests.length, 0);

      const ok = await awb(['score', join('results', 's1'), '--judge-model', 'judge-x', '--allow-endpoint', theirs.url], dir);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /scored 2 of 2 rows with judge-x/);
      assert.equal(theirs.requests.length, 2);
      assert.ok(theirs.requests.every((r) => r.headers.authorization === `Bearer ${CANARY_KEY}`));
    } finally {
      cleanup();
    }
  });

  test('plain http to another machine is refused from the URL alone (nothing is looked up or sent), with or without a key', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 2);
      // `.invalid` never resolves; the refusal comes before any lookup, even for a dry run.
      writeFileSync(join(dir, 'models.yaml'), `models:\n  - slug: m1\n    provider: openai\n    base_url: http://awb-test.invalid/v1\n    concurrency: 1\n  - slug: m2\n    base_url: http://awb-test.invalid:8080/v1\n    concurrency: 1\n`);
      for (const models of ['m1', 'm2']) {
        const r = await awb(['run', '--dataset', 'bench.cases.jsonl', '--models', models, '--dry-run', '--allow-endpoint', 'http://awb-test.invalid'], dir);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, new RegExp(`models\\.yaml:${models === 'm1' ? 4 : 7}: .*plain http to http://awb-test\\.invalid`));
      }
      const ap = await awb(['endpoints', 'approve', 'http://awb-test.invalid/v1'], dir);
      assert.equal(ap.code, 1);
      assert.match(ap.stderr, /plain http/);
      assert.ok(!existsSync(join(dir, 'approvals', 'endpoints.json')));
    } finally {
      cleanup();
    }
  });

  test('a nearby models.yaml that redefines a name given with --models is used with a warning naming where', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 1);
      writeFileSync(join(dir, 'models.yaml'), `models:\n  - slug: judge-main\n    base_url: ${mine.url}\n    concurrency: 1\n  - slug: gpt-4o\n    base_url: ${theirs.url}\n    model: served-elsewhere\n    concurrency: 1\n`);
      mine.reset(); theirs.reset();
      const r = await awb(['run', '--dataset', 'bench.cases.jsonl', '--models', 'gpt-4o', '--personas', 'default', '--judge-model', 'judge-main', '--run-id', 'sh'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /model "gpt-4o" is the entry at models\.yaml:5 \(served-elsewhere at http:\/\/127\.0\.0\.1:\d+\/v1\), not the default provider/);
      // Keyless to this machine: allowed, and no key went with it.
      assert.equal(theirs.requests.length, 1);
      assert.equal(withKey(theirs).length, 0);
    } finally {
      cleanup();
    }
  });
});
