/**
 * The GitHub Action's script (action.yml runs it as dist/action.js): runs the benchmark with the
 * awb CLI, compares the run with the baseline run folder, writes the comparison to the job
 * summary, creates or updates one pull request comment, and reports the gate's verdict as step
 * outputs (action.yml fails the job on it after the run folder is uploaded).
 *
 * Inputs arrive as INPUT_* environment variables (action.yml passes them); the GitHub context
 * as GITHUB_* variables. No network but the model endpoints (the awb run) and GITHUB_API_URL.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CompareDataError, GateSyntaxError, compareSides, evaluateGate, formatMarkdown, headline, loadRunSide, mdText, parseGate, MARKDOWN_LIMIT,
} from '../core/compare';
import { shardFolderName } from '../core/run/shard';
import { RUN_FILES } from '../core/runFolder';
import { GitHubApiError, GitHubClient, upsertComment } from './github';

export interface ActionIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

type Env = Record<string, string | undefined>;

/** An input: INPUT_FAIL_ON (what action.yml passes) or INPUT_FAIL-ON (a JavaScript action's form). */
export function input(env: Env, name: string): string {
  const up = name.toUpperCase();
  return (env[`INPUT_${up.replace(/-/g, '_')}`] ?? env[`INPUT_${up}`] ?? '').trim();
}

function list(v: string): string[] {
  return v.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}

/** A GitHub step output (GITHUB_OUTPUT file), multi-line safe. */
function setOutput(env: Env, name: string, value: string): void {
  const file = env.GITHUB_OUTPUT;
  if (!file) return;
  const delim = `awb_${Math.random().toString(36).slice(2)}`;
  appendFileSync(file, `${name}<<${delim}\n${value}\n${delim}\n`);
}

interface PullRequest {
  number: number;
  fork: boolean;
  headRepo: string | null;
}

function readPullRequest(env: Env): PullRequest | null {
  const path = env.GITHUB_EVENT_PATH;
  if (!path || !existsSync(path)) return null;
  let event: { pull_request?: { number?: number; head?: { repo?: { full_name?: string } | null }; base?: { repo?: { full_name?: string } } } };
  try { event = JSON.parse(readFileSync(path, 'utf8')) as typeof event; } catch { return null; }
  const pr = event.pull_request;
  if (!pr || typeof pr.number !== 'number') return null;
  const head = pr.head?.repo?.full_name ?? null;
  const base = pr.base?.repo?.full_name ?? env.GITHUB_REPOSITORY ?? null;
  // pull_request_target runs in the base repository's context with its secrets: not a fork's limits.
  const fork = env.GITHUB_EVENT_NAME !== 'pull_request_target' && (head === null || (base !== null && head !== base));
  return { number: pr.number, fork, headRepo: head };
}

/** Runs `awb ARGS` as a child process; its output goes to ours. */
function runAwb(cli: string, args: string[], cwd: string, env: Env, io: ActionIO): Promise<{ code: number; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => io.out(d.toString().replace(/\n$/, '')));
    child.stderr.on('data', (d: Buffer) => { const s = d.toString(); if (stderr.length < 100_000) stderr += s; io.err(s.replace(/\n$/, '')); });
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code: code ?? 1, stderr }));
  });
}

function isDir(p: string): boolean {
  try { return statSync(p).isDirectory(); } catch { return false; }
}

/**
 * The action's steps. Returns the script's exit code: 0 (done; the gate's verdict is the `gate`
 * output), 1 (the run could not be made, or GitHub refused the comment), 2 (invalid inputs).
 */
export async function runAction(env: Env, io: ActionIO): Promise<number> {
  const error = (msg: string) => io.err(`::error title=Alignment Workbench::${msg.replace(/\r?\n/g, '%0A')}`);
  const warn = (msg: string) => io.err(`::warning title=Alignment Workbench::${msg.replace(/\r?\n/g, '%0A')}`);
  const cwd = resolve(env.GITHUB_WORKSPACE ?? process.cwd(), input(env, 'working-directory') || '.');
  const comment = input(env, 'comment') || 'sticky';
  if (!['sticky', 'new', 'off'].includes(comment)) { error(`comment must be sticky, new or off (got "${comment}")`); return 2; }
  let gate;
  try {
    gate = parseGate(list(input(env, 'fail-on')));
  } catch (err) {
    if (err instanceof GateSyntaxError) { error(err.message); return 2; }
    throw err;
  }
  const shard = input(env, 'shard'), shards = input(env, 'shards');
  if ((shard === '') !== (shards === '')) { error('give both shard and shards (shard I of N, 0-based), or neither'); return 2; }

  const pr = readPullRequest(env);

  // 1. The run: an existing folder (`run`), or awb run now.
  let runDir: string;
  const existing = input(env, 'run');
  let runNote = '';
  if (existing) {
    runDir = resolve(cwd, existing);
    if (!isDir(runDir)) { error(`run folder not found: ${existing}`); return 1; }
  } else {
    const bench = input(env, 'bench');
    const datasets = list(input(env, 'dataset'));
    if (!bench && !datasets.length) { error('nothing to run: give bench (a *.bench.yaml), or dataset and models (or run: an existing run folder)'); return 2; }
    // Shards share one run id: a re-run shard job (a new attempt) must still merge with the others.
    const runId = input(env, 'run-id') || (shard ? `ci-${env.GITHUB_RUN_ID ?? Date.now()}` : `ci-${env.GITHUB_RUN_ID ?? Date.now()}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`);
    const out = input(env, 'out') || 'results';
    const args = ['run', ...(bench ? [bench] : []), ...datasets.flatMap((d) => ['--dataset', d])];
    const models = input(env, 'models'), personas = input(env, 'personas'), judge = input(env, 'judge-model');
    if (models) args.push('--models', list(models).join(','));
    if (personas) args.push('--personas', list(personas).join(','));
    if (judge) args.push('--judge-model', judge);
    if (shard) args.push('--shard', `${shard}/${shards}`);
    args.push('--run-id', runId, '--out', out, ...(input(env, 'args') ? input(env, 'args').split(/\s+/) : []));
    const cli = env.AWB_CLI || join(__dirname, 'cli.js');
    if (!existsSync(cli)) { error(`the awb CLI is not built at ${cli}: use a release of the action (its dist/ holds the built CLI), or run "npm ci && npm run build" in the action's folder first`); return 1; }
    io.out(`awb ${args.join(' ')}`);
    // The run needs model keys, not the GitHub token.
    const runEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !/^INPUT_GITHUB[_-]TOKEN$/.test(k)));
    const r = await runAwb(cli, args, cwd, runEnv, io);
    runDir = resolve(cwd, out, shard ? shardFolderName(runId, { index: Number(shard), count: Number(shards) }) : runId);
    if (r.code === 2) {
      error('awb run refused its inputs (see the log above)');
      return 2;
    }
    if (pr?.fork && r.code !== 0 && /no API key/i.test(r.stderr) && !existsSync(join(runDir, RUN_FILES.partials))) {
      const msg = `pull request #${pr.number} comes from a fork (${pr.headRepo ?? 'a deleted repository'}): GitHub gives its workflows no secrets, so the model API keys are missing and the benchmark was not run. A maintainer can run it from a branch of this repository.`;
      warn(msg);
      if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, `### Alignment Workbench\n\nSkipped: ${mdText(msg, 400)}\n`);
      setOutput(env, 'gate', 'none');
      return 0;
    }
    if (!isDir(runDir) || !existsSync(join(runDir, RUN_FILES.partials))) { error(`awb run exited ${r.code} and left no run folder at ${runDir}`); return 1; }
    if (r.code !== 0) runNote = `awb run exited ${r.code}: the run has errors or is partial; errors are counted below, never as safe.`;
  }
  setOutput(env, 'run-dir', runDir);

  // 2. Compare with the baseline.
  const title = `Alignment Workbench${input(env, 'comment-key') ? ` (${input(env, 'comment-key')})` : ''}: comparison with the baseline`;
  const baseline = input(env, 'baseline');
  let markdown: string;
  let gateState: 'pass' | 'fail' | 'none' = 'none';
  let reasons: string[] = [];
  const baseDir = baseline ? resolve(cwd, baseline) : '';
  if (!baseline || !isDir(baseDir)) {
    const why = baseline ? `the baseline folder ${baseline} was not found (no artifact of the base branch yet?)` : 'no baseline was given';
    const line = `${why}: the run is not compared${gate.length ? ' and fail-on is not checked' : ''}`;
    if (baseline) warn(line);
    else io.out(line);
    markdown = `### ${mdText(title, 200)}\n\nNo comparison: ${mdText(why, 300)}.${gate.length ? ' The fail-on conditions were not checked.' : ''}\n`;
  } else {
    try {
      const c = compareSides(loadRunSide(baseDir, baseline), loadRunSide(runDir, existing || runDir));
      markdown = formatMarkdown(c, { title, limit: MARKDOWN_LIMIT - 2_000 });
      reasons = evaluateGate(c, gate);
      if (gate.length) gateState = reasons.length ? 'fail' : 'pass';
      io.out(headline(c));
      if (c.judge_changed) warn(`the judge changed between the baseline and this run — the numbers are not comparable: ${c.judge_notes.join('; ')}`);
      setOutput(env, 'regressions', String(c.counts.regression));
    } catch (err) {
      if (err instanceof CompareDataError) { error(err.message); return 2; }
      throw err;
    }
  }
  if (runNote) markdown += `\n> ${mdText(runNote, 300)}\n`;
  if (gateState !== 'none') markdown += `\n**Gate (${mdText(list(input(env, 'fail-on')).join(', '))}):** ${gateState === 'fail' ? `❌ failed — ${reasons.map((r) => mdText(r, 200)).join('; ')}` : '✅ passed'}\n`;
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) markdown += `\n<sub>[workflow run](${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}) · run folder uploaded as an artifact</sub>\n`;
  setOutput(env, 'gate', gateState);
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
  for (const r of reasons) io.err(`fail-on: ${r}`);

  // 3. The pull request comment.
  if (comment === 'off') { io.out('comment: off — no pull request comment'); return 0; }
  if (!pr) { io.out('not a pull request event: no comment (the comparison is in the job summary)'); return 0; }
  const token = input(env, 'github-token');
  if (pr.fork && !token) {
    warn(`pull request #${pr.number} comes from a fork (${pr.headRepo ?? 'a deleted repository'}): GitHub gives its workflows no secrets and a read-only token, so no comment is posted. The comparison is in the job summary.`);
    return 0;
  }
  if (!token) { warn('no github-token: no pull request comment (the comparison is in the job summary)'); return 0; }
  const repo = env.GITHUB_REPOSITORY;
  if (!repo) { error('GITHUB_REPOSITORY is not set: cannot comment'); return 1; }
  const client = new GitHubClient({ apiUrl: env.GITHUB_API_URL || 'https://api.github.com', token });
  try {
    const r = await upsertComment(client, repo, pr.number, markdown, comment as 'sticky' | 'new', input(env, 'comment-key') || undefined);
    io.out(`pull request #${pr.number}: comment ${r.action}${r.comment.html_url ? ` (${r.comment.html_url})` : ''}`);
    setOutput(env, 'comment-id', String(r.comment.id));
    return 0;
  } catch (err) {
    if (err instanceof GitHubApiError) {
      error(pr.fork && err.status === 403 ? `${err.message} (pull request #${pr.number} comes from a fork: its token is read-only)` : err.message);
      return 1;
    }
    error(`GitHub API: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

// Bundled as dist/action.js, or run with tsx: `require.main === module` in both.
if (require.main === module) {
  runAction(process.env, { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) }).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => { process.stderr.write(`::error title=Alignment Workbench::${err instanceof Error ? err.stack ?? err.message : String(err)}\n`); process.exitCode = 1; },
  );
}
