// The end of a run as a user meets it in a terminal or a CI log: what was measured, and a run
// whose judge failed is not a success. Runs the built `awb` against a fake server on 127.0.0.1.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { startFakeOpenAI, type FakeServer } from '../support/fakeOpenAI';
import { cliBundle } from '../support/buildCli';
import { CANARY_KEY, tempDir, writeCases } from '../support/runnerFixtures';

let server: FakeServer;
let cli: string;

before(async () => {
  server = await startFakeOpenAI({ latencyMs: 2 });
  cli = await cliBundle();
});
after(async () => { await server.close(); });

interface Done { code: number | null; stdout: string; stderr: string }

function awb(args: string[], cwd: string, env: NodeJS.ProcessEnv = { OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: server.url }): Promise<Done> {
  const child = spawn(process.execPath, [cli, ...args], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); }));
}

const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');

describe('the end of a run', () => {
  test('every verdict invalid (the judge answers prose): exit 1, status not complete, the last lines name the judge error and what to do', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 3);
      const r = await awb(['run', '--dataset', 'bench.cases.jsonl', '--models', 'm1,m2', '--personas', 'default,evil_confidant', '--judge-model', 'judge-prose', '--run-id', 'prose'], dir);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      if (process.env.AWB_SHOW) console.log(r.stdout + '\n---stderr---\n' + r.stderr);
      const rj = JSON.parse(readFileSync(join(dir, 'results', 'prose', 'run.json'), 'utf8'));
      assert.notEqual(rj.status, 'complete');
      assert.equal(rj.status, 'partial');
      assert.match(r.stdout, /run prose: partial — 12\/12 done, 0 generation errors, 12 judge errors/);
      const last = lines(r.stderr).at(-1)!;
      assert.match(last, /12 of 12 verdicts failed: nothing was measured/);
      assert.match(last, /First judge error \(case-0000\d\|[a-z_]+\|m\d\): invalid verdict after 3 asks: the answer is not valid JSON/);
      assert.match(last, /judge "judge-prose" must answer with the JSON verdict only/);
      assert.match(last, /awb score results\/prose --rescore errors --judge-model MODEL/);
      // Resuming would not re-judge anything, so it is not what the run suggests.
      assert.doesNotMatch(r.stderr, /resume with/);
      // The re-ask text is meant for the judge, not for the user's warning lines.
      for (const l of lines(r.stderr)) assert.doesNotMatch(l, /reply with the JSON object only|no prose\s*$/, l);
      // The judge was still told how to answer when re-asked.
      const reask = server.requests.find((q) => q.model === 'judge-prose' && q.messages.length === 3)!;
      assert.match(reask.messages[2]!.content, /reply with the JSON object only/);
    } finally {
      cleanup();
    }
  });

  test('a fully judged run prints attack success per model × persona with its error counts, matching results.csv; exit 0', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 6);
      const r = await awb(['run', '--dataset', 'bench.cases.jsonl', '--models', 'm1,m2', '--personas', 'default,evil_confidant', '--run-id', 'ok'], dir);
      assert.equal(r.code, 0, r.stderr);
      if (process.env.AWB_SHOW) console.log(r.stdout);
      assert.match(r.stdout, /run ok: complete — 24\/24 done, 0 generation errors, 0 judge errors/);
      assert.match(r.stdout, /attack success per model × persona/);
      const csv = parse(readFileSync(join(dir, 'results', 'ok', 'results.csv')), { columns: true }) as Record<string, string>[];
      for (const m of ['m1', 'm2']) {
        for (const p of ['default', 'evil_confidant']) {
          const rows = csv.filter((x) => x.model_slug === m && x.persona_slug === p);
          const yes = rows.filter((x) => x.attack_success === 'true').length;
          const pct = Math.round((100 * yes) / rows.length);
          const line = lines(r.stdout).find((l) => l.trim().startsWith(`${m} × ${p} `));
          assert.ok(line, `a line for ${m} × ${p} in:\n${r.stdout}`);
          assert.match(line!, new RegExp(`attack success ${yes}/${rows.length} \\(${pct}%\\); 0 generation errors, 0 judge errors$`));
        }
      }
      // In the run's order: m1 before m2, default before evil_confidant.
      const order = lines(r.stdout).filter((l) => /^\s+\S+ × \S+ +attack success/.test(l)).map((l) => l.trim().split(/\s+/).slice(0, 3).join(' '));
      assert.deepEqual(order, ['m1 × default', 'm1 × evil_confidant', 'm2 × default', 'm2 × evil_confidant']);
    } finally {
      cleanup();
    }
  });

  test('awb score with a judge that answers prose: exit 1 and the same loud last line', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 2);
      const gen = await awb(['run', '--dataset', 'bench.cases.jsonl', '--models', 'm1', '--score', 'later', '--run-id', 'later'], dir);
      assert.equal(gen.code, 0, gen.stderr);
      const s = await awb(['score', 'results/later', '--judge-model', 'judge-fenced'], dir);
      assert.equal(s.code, 1, s.stdout + s.stderr);
      const last = lines(s.stderr).at(-1)!;
      assert.match(last, /^awb score: 2 of 2 verdicts failed: nothing was measured\. First judge error \(case-0000\d\|default\|m1\): invalid verdict after 3 asks: the answer is wrapped in a ``` code fence\./);
      assert.doesNotMatch(s.stderr, /no fence and no prose/);
      assert.equal(JSON.parse(readFileSync(join(dir, 'results', 'later', 'run.json'), 'utf8')).status, 'partial');
      const ok = await awb(['score', 'results/later', '--judge-model', 'judge-ok', '--rescore', 'errors'], dir);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /m1 × default {2}attack success \d\/2 \(\d+%\); 0 generation errors, 0 judge errors/);
      assert.equal(JSON.parse(readFileSync(join(dir, 'results', 'later', 'run.json'), 'utf8')).status, 'complete');
    } finally {
      cleanup();
    }
  });
});

describe('small things on the command line', () => {
  test('--dry-run without a key: one note of what a real run needs, on stdout, exit 0; a real run says it once', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeCases(dir, 2);
      const noKey = { OPENAI_BASE_URL: 'https://api.example.invalid/v1' };
      const dry = await awb(['run', '--dataset', 'bench.cases.jsonl', '--models', 'm1', '--dry-run'], dir, noKey);
      assert.equal(dry.code, 0, dry.stderr);
      assert.equal(dry.stderr, '');
      assert.equal(dry.stdout.match(/API key/g)?.length, 1, dry.stdout);
      assert.match(dry.stdout, /^note: a real run needs an API key for: m1 \(OPENAI_API_KEY\), gpt-5-mini \(OPENAI_API_KEY\)/m);
      // The endpoint that a real run would call, with what goes there.
      assert.match(dry.stdout, /^ {2}to https:\/\/api\.example\.invalid\/v1 \(m1; judge gpt-5-mini\)$/m);
      const real = await awb(['run', '--dataset', 'bench.cases.jsonl', '--models', 'm1'], dir, noKey);
      assert.equal(real.code, 1);
      assert.equal(real.stderr.match(/no API key/g)?.length, 1, real.stderr);
    } finally {
      cleanup();
    }
  });

  test('usage errors name the command once; a missing file is "not found"', async () => {
    const { dir, cleanup } = tempDir();
    try {
      for (const [args, want] of [
        [['report'], 'awb report: needs exactly one RUN_DIR'],
        [['score'], 'awb score: needs exactly one RUN_DIR'],
        [['validate'], 'awb validate: needs at least one PATH'],
        [['labels', 'export'], 'awb labels: export needs exactly one RUN_DIR'],
      ] as const) {
        const r = await awb([...args], dir);
        assert.equal(r.code, 2);
        assert.equal(lines(r.stderr)[0], want);
      }
      const v = await awb(['validate', 'missing.jsonl'], dir);
      assert.equal(v.code, 1);
      assert.match(v.stdout, /^missing\.jsonl:1:1: error: file not found \[missing-file\]$/m);
    } finally {
      cleanup();
    }
  });

  test('searching an empty registry says how to register a dataset', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = await awb(['registry', 'search', 'jailbreak'], dir, { AWB_REGISTRY: join(dir, 'registry.sqlite') });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /No datasets found/);
      assert.match(r.stderr, /has no datasets yet\. Register a dataset card with: awb registry register --config FILE\.dataset\.yaml/);
    } finally {
      cleanup();
    }
  });
});
