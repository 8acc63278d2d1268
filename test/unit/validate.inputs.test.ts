// Inputs that used to crash or hang `awb validate` and `awb run --dry-run`, each run in a real
// process of the built CLI with a time limit: every one must end, exit 1, say what is wrong and
// print no stack trace.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliBundle } from '../support/buildCli';
import { makeCase, tempDir } from '../support/runnerFixtures';

let cli: string;
before(async () => { cli = await cliBundle(); });

interface Done { code: number | null; stdout: string; stderr: string; timedOut: boolean }

/** `awb ARGS` in its own process; killed (and reported as timed out) after `limitMs`. */
function awb(args: string[], cwd: string, limitMs = 60_000, env: NodeJS.ProcessEnv = {}): Promise<Done> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { PATH: process.env.PATH, HOME: cwd, AWB_REGISTRY: join(cwd, 'registry.sqlite'), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, limitMs);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr, timedOut }); });
  });
}

const STACK = /^\s+at .+[:(]/m;

function assertCleanFailure(r: Done, what: string): void {
  assert.equal(r.timedOut, false, `${what}: the command must end (it was killed after the time limit)`);
  assert.equal(r.code, 1, `${what}: exit 1\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(0, 2000)}`);
  assert.doesNotMatch(r.stderr, STACK, `${what}: no stack trace`);
  assert.doesNotMatch(r.stderr, /RangeError|Maximum call stack/, `${what}: no crash`);
}

test('50,000 lines of {} end with the first 1,000 problems, one "and N more" line and the true count', async () => {
  const { dir, cleanup } = tempDir('awb-inputs-');
  try {
    writeFileSync(join(dir, 'many.cases.jsonl'), '{}\n'.repeat(50_000));
    const r = await awb(['validate', 'many.cases.jsonl'], dir);
    assertCleanFailure(r, '50,000 × {}');
    const lines = r.stdout.trimEnd().split('\n');
    const listed = lines.filter((l) => /^many\.cases\.jsonl:\d+:\d+: error: /.test(l));
    assert.equal(listed.length, 1001, 'the first 1,000 problems and one closing line');
    assert.match(listed.at(-1)!, /… and \d+ more problems from here on \(\d+ errors\), not listed: only the first 1000 of a file are \[too-many-problems\]$/);
    const omitted = Number(/… and (\d+) more/.exec(listed.at(-1)!)![1]);
    const total = Number(/^1 file checked: (\d+) errors, 0 warnings$/m.exec(r.stdout)?.[1]);
    assert.equal(total, 1000 + omitted, 'the count includes the problems not listed');
    assert.ok(total >= 50_000, 'every line has at least one problem');
    const json = await awb(['validate', 'many.cases.jsonl', '--format', 'json'], dir);
    assertCleanFailure(json, '50,000 × {} as JSON');
    assert.equal((JSON.parse(json.stdout) as unknown[]).length, 1001);
  } finally { cleanup(); }
});

test('JSON nested 8,000 deep is an error at its line, and the other files on the command line are still reported', async () => {
  const { dir, cleanup } = tempDir('awb-inputs-');
  try {
    const good = JSON.stringify(makeCase(1));
    writeFileSync(join(dir, 'deep.cases.jsonl'), `${good}\n${'['.repeat(8000)}\n`);
    // Valid JSON whose metadata nests 5,000 levels: it parses, and used to pass and crash the run.
    const metadata = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    writeFileSync(join(dir, 'meta.cases.jsonl'), `${JSON.stringify(makeCase(2)).slice(0, -1)},"metadata":${metadata}}\n`);
    writeFileSync(join(dir, 'other.cases.jsonl'), `${JSON.stringify({ ...makeCase(3), category: 5 })}\n`);
    const r = await awb(['validate', 'deep.cases.jsonl', 'meta.cases.jsonl', 'other.cases.jsonl'], dir);
    assertCleanFailure(r, 'nested 8,000 deep');
    assert.match(r.stdout, /^deep\.cases\.jsonl:2:65: error: the case is nested more than 64 levels deep .* \[too-deep\]$/m);
    assert.match(r.stdout, /^meta\.cases\.jsonl:1:\d+: error: the case is nested more than 64 levels deep .* \[too-deep\]$/m);
    assert.match(r.stdout, /^other\.cases\.jsonl:1:\d+: error: .* \[wrong-type\]$/m, 'the other file\'s diagnostics are not lost');
    assert.match(r.stdout, /^3 files checked: 3 errors/m);

    // The run refuses it too, at the line, before any call (a dry run builds every request).
    const run = await awb(['run', '--dataset', 'meta.cases.jsonl', '--models', 'some-model', '--dry-run'], dir);
    assertCleanFailure(run, 'a dry run of deep metadata');
    assert.match(run.stderr, /meta\.cases\.jsonl:1:\d+: error: the case is nested more than 64 levels deep/);

    // YAML too: a flow list nested 100,000 deep (the YAML library runs out of memory on it).
    writeFileSync(join(dir, 'deep.cases.yaml'), `- id: a\n  metadata: ${'['.repeat(100_000)}\n`);
    const yaml = await awb(['validate', 'deep.cases.yaml'], dir);
    assertCleanFailure(yaml, 'YAML nested 100,000 deep');
    assert.match(yaml.stdout, /^deep\.cases\.yaml:2:\d+: error: YAML: the document is nested more than 64 levels deep .* \[too-deep\]$/m);
  } finally { cleanup(); }
});

test('a FIFO named like a dataset is an error, not a hang, in validate and in a dry run', async () => {
  const { dir, cleanup } = tempDir('awb-inputs-');
  try {
    execFileSync('mkfifo', [join(dir, 'x.cases.jsonl')]);
    const r = await awb(['validate', 'x.cases.jsonl'], dir, 20_000);
    assertCleanFailure(r, 'validate a FIFO');
    assert.match(r.stdout, /^x\.cases\.jsonl:1:1: error: this is a named pipe \(FIFO\), not a regular file; only regular files are read \[not-a-file\]$/m);
    // A folder's listing holds regular files only: the FIFO is not opened.
    const folder = await awb(['validate', '.'], dir, 20_000);
    assertCleanFailure(folder, 'validate a folder holding a FIFO');
    assert.match(folder.stdout, /^\.:1:1: error: no dataset files in this folder/m);
    const dry = await awb(['run', '--dataset', 'x.cases.jsonl', '--models', 'some-model', '--dry-run'], dir, 20_000);
    assertCleanFailure(dry, 'dry run of a FIFO');
    assert.match(dry.stderr, /x\.cases\.jsonl:1:1: error: this is a named pipe \(FIFO\), not a regular file/);
  } finally { cleanup(); }
});

test('a folder where a file is expected is a clear error; a folder without dataset files does not pass silently', async () => {
  const { dir, cleanup } = tempDir('awb-inputs-');
  try {
    mkdirSync(join(dir, 'd.cases.jsonl'));
    mkdirSync(join(dir, 'empty'));
    const asFile = await awb(['validate', 'd.cases.jsonl'], dir);
    assertCleanFailure(asFile, 'validate a folder named like a file');
    assert.match(asFile.stdout, /^d\.cases\.jsonl:1:1: error: this is a folder, not a file \[not-a-file\]$/m);
    const empty = await awb(['validate', 'empty'], dir);
    assertCleanFailure(empty, 'validate a folder with no dataset files');
    assert.match(empty.stdout, /^empty:1:1: error: no dataset files in this folder \(looked for \*\.cases\.jsonl, .*\) \[no-files\]$/m);
    const run = await awb(['run', '--dataset', 'd.cases.jsonl', '--models', 'some-model', '--dry-run'], dir);
    assertCleanFailure(run, 'run a folder as a dataset');
    assert.match(run.stderr, /d\.cases\.jsonl:1:1: error: this is a folder, not a file/);
    assert.doesNotMatch(run.stderr, /EISDIR/);
  } finally { cleanup(); }
});

test('a file-system error names the path and the reason, without a stack trace', async () => {
  const { dir, cleanup } = tempDir('awb-inputs-');
  try {
    writeFileSync(join(dir, 'ok.cases.jsonl'), `${JSON.stringify(makeCase(1))}\n`);
    writeFileSync(join(dir, 'results'), 'a file where the results folder would go\n');
    // Nothing listens on port 9: the run fails creating its folder, before any request.
    const r = await awb(['run', '--dataset', 'ok.cases.jsonl', '--models', 'some-model', '--run-id', 'r1'], dir, 60_000, { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    assertCleanFailure(r, 'a run whose results folder is a file');
    assert.match(r.stderr, /^awb run: .*results\/r1: a part of the path is not a folder \(ENOTDIR\)$/m);
  } finally { cleanup(); }
});

test('YAML with 20,000 anchors and aliases is refused at once by validate and by a dry run (the parse would take many seconds, deaf to Ctrl+C)', async () => {
  const { dir, cleanup } = tempDir('awb-inputs-');
  try {
    let y = '';
    for (let i = 0; i < 10_000; i++) y += `- id: c${i}\n  category: &c${i} safety\n  conversation: hi\n  expected_safe_behavior: *c${i}\n`;
    writeFileSync(join(dir, 'anchors.cases.yaml'), y);
    const r = await awb(['validate', 'anchors.cases.yaml'], dir);
    assertCleanFailure(r, 'validate 20,000 anchors and aliases');
    assert.match(r.stdout, /^anchors\.cases\.yaml:1:1: error: YAML: 20000 anchors and aliases \(&name, \*name\), over the limit of 1000; .* \[too-many-anchors\]$/m);
    const dry = await awb(['run', '--dataset', 'anchors.cases.yaml', '--models', 'some-model', '--dry-run'], dir);
    assertCleanFailure(dry, 'dry run of 20,000 anchors and aliases');
    assert.match(dry.stderr, /anchors\.cases\.yaml:1:1: error: YAML: 20000 anchors and aliases/);
  } finally { cleanup(); }
});
