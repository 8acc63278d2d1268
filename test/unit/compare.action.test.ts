import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAI, type FakeServer } from '../support/fakeOpenAI';
import { actionBundle, cliBundle } from '../support/buildCli';
import { CANARY_KEY, tempDir, writeCases } from '../support/runnerFixtures';
import { compareSides, formatMarkdown, type CompareRow, type RunSide } from '../../src/core/compare';
import { commentMarker } from '../../src/action/github';

const REPO = 'octo/bench';
const PR = 7;
const TOKEN = 'ghs_TEST_TOKEN_0123456789';

interface Comment { id: number; body: string; user: { login: string } }
interface ApiRequest { method: string; url: string; auth: string | undefined; body: unknown }

/**
 * A stand-in for GitHub's REST API on 127.0.0.1: the three issue-comment routes the action uses,
 * two comments per page with Link headers (so the marker comment sits on a later page), and a
 * mode that answers 403 as GitHub does for a read-only token.
 */
async function startGitHub(): Promise<{ url: string; comments: Comment[]; requests: ApiRequest[]; forbid: boolean; close: () => Promise<void> }> {
  const state = { url: '', comments: [] as Comment[], requests: [] as ApiRequest[], forbid: false, close: async () => {} };
  let nextId = 1000;
  for (let i = 0; i < 3; i++) state.comments.push({ id: nextId++, body: `unrelated comment ${i}`, user: { login: 'someone' } });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? JSON.parse(text) : undefined;
      state.requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(data));
      };
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { message: 'Bad credentials' });
      if (state.forbid) return send(403, { message: 'Resource not accessible by integration' });
      const u = new URL(req.url!, state.url);
      const list = `/repos/${REPO}/issues/${PR}/comments`;
      if (req.method === 'GET' && u.pathname === list) {
        const page = Number(u.searchParams.get('page') ?? '1');
        const per = 2;
        const items = state.comments.slice((page - 1) * per, page * per);
        const last = Math.max(1, Math.ceil(state.comments.length / per));
        const headers: Record<string, string> = page < last ? { link: `<${state.url}${list}?per_page=100&page=${page + 1}>; rel="next", <${state.url}${list}?per_page=100&page=${last}>; rel="last"` } : {};
        return send(200, items, headers);
      }
      if (req.method === 'POST' && u.pathname === list) {
        if (typeof body?.body !== 'string' || body.body.length > 65_536) return send(422, { message: 'Validation Failed' });
        const c = { id: nextId++, body: body.body, user: { login: 'github-actions[bot]' } };
        state.comments.push(c);
        return send(201, { ...c, html_url: `https://github.invalid/${REPO}/pull/${PR}#issuecomment-${c.id}` });
      }
      const m = /^\/repos\/octo\/bench\/issues\/comments\/(\d+)$/.exec(u.pathname);
      if (req.method === 'PATCH' && m) {
        const c = state.comments.find((x) => x.id === Number(m[1]));
        if (!c) return send(404, { message: 'Not Found' });
        if (typeof body?.body !== 'string' || body.body.length > 65_536) return send(422, { message: 'Validation Failed' });
        c.body = body.body;
        return send(200, c);
      }
      return send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}

let openai: FakeServer;
/** Which run the endpoint answers for: the new run answers case 2 unsafely. */
let phase: 'base' | 'new' = 'base';
let gh: Awaited<ReturnType<typeof startGitHub>>;
let cli: string;
let actionScript: string;

before(async () => {
  // The new run answers case 2 unsafely: its judge then says the attack succeeded.
  openai = await startFakeOpenAI({
    script: (req) => {
      const text = req.messages.map((m) => m.content).join('\n');
      if (req.model.startsWith('judge')) {
        const bad = text.includes('UNSAFE ANSWER');
        return { reply: JSON.stringify({ overall: bad ? 0.1 : 0.9, attack_success: bad, safety: { score: bad ? 0.1 : 0.9 } }) };
      }
      const i = Number(/Question (\d+):/.exec(text)?.[1]);
      return { reply: phase === 'new' && i === 2 ? 'UNSAFE ANSWER' : 'I cannot help with that.' };
    },
  });
  gh = await startGitHub();
  cli = await cliBundle();
  actionScript = await actionBundle();
});
after(async () => { await openai.close(); await gh.close(); });

interface Done { code: number | null; stdout: string; stderr: string }

/** Runs the action's bundled script as action.yml does: a Node process with INPUT_* and GITHUB_* variables. */
function action(dir: string, inputs: Record<string, string>, extraEnv: Record<string, string> = {}): Promise<Done> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    OPENAI_API_KEY: CANARY_KEY,
    OPENAI_BASE_URL: openai.url,
    AWB_REGISTRY: join(dir, 'no-registry.sqlite'),
    AWB_CLI: cli,
    GITHUB_WORKSPACE: dir,
    GITHUB_API_URL: gh.url,
    GITHUB_REPOSITORY: REPO,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: join(dir, 'event.json'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    GITHUB_OUTPUT: join(dir, 'output.txt'),
    GITHUB_SERVER_URL: 'https://github.invalid',
    GITHUB_RUN_ID: '42',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase().replace(/-/g, '_')}`, v])),
    ...extraEnv,
  };
  const child = spawn(process.execPath, [actionScript], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((r) => child.on('close', (code) => r({ code, stdout, stderr })));
}

function outputs(dir: string): Record<string, string> {
  const text = existsSync(join(dir, 'output.txt')) ? readFileSync(join(dir, 'output.txt'), 'utf8') : '';
  const out: Record<string, string> = {};
  const re = /^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (let m; (m = re.exec(text)); ) out[m[1]!] = m[3]!;
  return out;
}

const sameRepoEvent = { pull_request: { number: PR, head: { repo: { full_name: REPO } }, base: { repo: { full_name: REPO } } } };

describe('the GitHub Action script against a local GitHub API', () => {
  const { dir, cleanup } = tempDir('awb-action-');
  after(cleanup);
  const setPhase = (p: typeof phase) => { phase = p; };

  before(() => {
    writeCases(dir, 4);
    writeFileSync(join(dir, 'event.json'), JSON.stringify(sameRepoEvent));
  });

  test('runs the benchmark, compares, writes the job summary; one comment created, then updated in place', async () => {
    const common = { dataset: 'bench.cases.jsonl', models: 'm1', 'judge-model': 'judge-a', 'github-token': TOKEN, args: '--no-registry' };
    setPhase('base');
    const base = await action(dir, { ...common, 'run-id': 'main-1', comment: 'off' });
    assert.equal(base.code, 0, base.stderr);
    assert.match(base.stdout, /no baseline was given/);
    assert.equal(gh.requests.length, 0, 'comment: off posts nothing');

    setPhase('new');
    const first = await action(dir, { ...common, 'run-id': 'pr-1', baseline: 'results/main-1', 'fail-on': 'regressions' });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /comment created/);
    const o = outputs(dir);
    assert.equal(o['run-dir'], join(dir, 'results', 'pr-1'));
    assert.equal(o.gate, 'fail');
    assert.equal(o.regressions, '1');
    const mine = gh.comments.filter((c) => c.body.includes(commentMarker()));
    assert.equal(mine.length, 1);
    assert.match(mine[0]!.body, /\*\*1 regression\*\*/);
    assert.match(mine[0]!.body, /case-00002\\\|default\\\|m1/);
    assert.match(mine[0]!.body, /Gate \(regressions\):\*\* ❌ failed/);
    const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
    assert.match(summary, /\*\*1 regression\*\*/);
    assert.ok(gh.requests.every((r) => r.auth === `Bearer ${TOKEN}`));
    // The model keys and the GitHub token never reach what the run wrote.
    const partials = readFileSync(join(dir, 'results/pr-1/partials.jsonl'), 'utf8') + readFileSync(join(dir, 'results/pr-1/run.json'), 'utf8');
    assert.ok(!partials.includes(CANARY_KEY) && !partials.includes(TOKEN));

    // Second run on the same pull request: the same comment, updated; the list was paged through.
    gh.requests.length = 0;
    const second = await action(dir, { ...common, run: 'results/pr-1', baseline: 'results/main-1', 'fail-on': 'asr-increase=0.5' });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /comment updated/);
    assert.equal(gh.comments.filter((c) => c.body.includes(commentMarker())).length, 1);
    assert.equal(gh.comments.find((c) => c.body.includes(commentMarker()))!.id, mine[0]!.id);
    assert.match(gh.comments.find((c) => c.body.includes(commentMarker()))!.body, /Gate \(asr-increase=0\.5\):\*\* ✅ passed/);
    assert.deepEqual(gh.requests.map((r) => r.method), ['GET', 'GET', 'PATCH']);
    assert.match(gh.requests[1]!.url, /page=2/);
    assert.equal(outputs(dir).gate, 'pass');

    // comment: off — nothing posted.
    gh.requests.length = 0;
    const off = await action(dir, { ...common, run: 'results/pr-1', baseline: 'results/main-1', comment: 'off' });
    assert.equal(off.code, 0, off.stderr);
    assert.equal(gh.requests.length, 0);

    // comment: new — a second comment.
    const fresh = await action(dir, { ...common, run: 'results/pr-1', baseline: 'results/main-1', comment: 'new' });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(gh.comments.filter((c) => c.body.includes(commentMarker())).length, 2);
  });

  test('a 403 from the API is a clear error; a fork\'s pull request without a token is skipped plainly', async () => {
    gh.forbid = true;
    try {
      const r = await action(dir, { run: 'results/pr-1', baseline: 'results/main-1', 'github-token': TOKEN });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /::error title=Alignment Workbench::GitHub API GET \/repos\/octo\/bench\/issues\/7\/comments: 403 Forbidden — the token may not write comments/);
      assert.match(r.stderr, /pull-requests: write/);
      assert.match(r.stderr, /Resource not accessible by integration/);
    } finally {
      gh.forbid = false;
    }
    writeFileSync(join(dir, 'fork-event.json'), JSON.stringify({ pull_request: { number: PR, head: { repo: { full_name: 'stranger/bench' } }, base: { repo: { full_name: REPO } } } }));
    gh.requests.length = 0;
    const fork = await action(dir, { run: 'results/pr-1', baseline: 'results/main-1', 'github-token': '' }, { GITHUB_EVENT_PATH: join(dir, 'fork-event.json') });
    assert.equal(fork.code, 0, fork.stderr);
    assert.match(fork.stderr, /comes from a fork \(stranger\/bench\): GitHub gives its workflows no secrets and a read-only token, so no comment is posted/);
    assert.equal(gh.requests.length, 0);
    // Without secrets the benchmark itself cannot run: said plainly, skipped, not a failure.
    const noKeys = await action(dir, { dataset: 'bench.cases.jsonl', models: 'm1', 'judge-model': 'judge-a', 'run-id': 'fork-1', baseline: 'results/main-1', 'github-token': '' }, {
      // A hosted endpoint and no key, as on a fork: awb refuses before any call (and .invalid never resolves).
      GITHUB_EVENT_PATH: join(dir, 'fork-event.json'), OPENAI_API_KEY: '', OPENAI_BASE_URL: 'https://models.invalid/v1',
    });
    assert.equal(noKeys.code, 0, noKeys.stderr);
    assert.match(noKeys.stderr, /comes from a fork \(stranger\/bench\): GitHub gives its workflows no secrets, so the model API keys are missing and the benchmark was not run/);
    assert.equal(gh.requests.length, 0);
    // Invalid inputs exit 2.
    assert.equal((await action(dir, { run: 'results/pr-1', comment: 'always' })).code, 2);
    assert.equal((await action(dir, { run: 'results/pr-1', 'fail-on': 'vibes' })).code, 2);
  });
});

test('the markdown stays under 65,536 characters for a 100k-row comparison with 10k regressions', () => {
  const models = ['model-a', 'model-b', 'model-c', 'model-d'];
  const personas = ['default', 'evil_confidant', 'developer_mode_dan', 'docente_paciente', 'p5'];
  const side = (isNew: boolean): RunSide => {
    const rows = new Map<string, CompareRow>();
    let i = 0;
    for (let c = 0; rows.size < 100_000; c++) {
      for (const model of models) for (const persona of personas) {
        const test_id = `case-with-a-fairly-long-identifier-${String(c).padStart(6, '0')}`;
        const key = `${test_id}|${persona}|${model}`;
        const regress = isNew && i % 10 === 0; // 10,000 of 100,000
        const attack = regress || (i % 10 === 5);
        const overall = attack ? 0.1 + (i % 7) / 100 : 0.8 + (i % 13) / 100;
        rows.set(key, { key, test_id, model, persona, category: 'safety', state: 'ok', attack, overall, safety: overall, score: null, group_id: null, perspective: null, judge_model: 'judge', error: null });
        i++;
      }
    }
    return { label: isNew ? 'new' : 'base', runId: isNew ? 'new' : 'base', dir: null, rows, caseHashes: new Map(), judge: { models: ['judge'], scorers: ['safety-judge'], prompt: 'p' }, grid: null };
  };
  const c = compareSides(side(false), side(true));
  assert.equal(c.counts.regression, 10_000);
  assert.equal(c.totals.pairs, 100_000);
  const md = formatMarkdown(c);
  assert.ok(md.length < 65_536, `${md.length} characters`);
  assert.match(md, /\*\*10000 regressions\*\*/);
  assert.match(md, /Regressions \(safe → attack succeeded\): 10000<\/b> \(top \d+\)/);
  assert.match(md, /… 99\d\d more/);
});
