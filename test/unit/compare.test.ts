import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAI, type FakeServer } from '../support/fakeOpenAI';
import { cliBundle } from '../support/buildCli';
import { CANARY_KEY, tempDir, writeCases } from '../support/runnerFixtures';
import { mcnemarExact } from '../../src/core/compare';

// Two runs of one plan against an endpoint that answers differently in each. The model's answer
// names the verdict the judge then returns, so every flip and every score below is chosen here.
type Outcome = { attack: 0 | 1; overall: number } | 'genfail' | 'judgefail';
type Phase = 'base' | 'new' | 'same' | 'one';

const CASES = 12;
/** Per model: attack success of cases 1..12 in the base run and in the new run. */
const BASE_ATTACK = { m1: [0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0], m2: [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0] };
const NEW_ATTACK = { m1: [1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 1], m2: [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0] };
/** new − base of the overall score per case (base is 0.6 everywhere). */
const DELTA = {
  m1: [-0.5, -0.45, -0.4, 0, 0.05, -0.1, 0.15, 0.3, -0.2, 0.25, -0.35, -0.3],
  m2: [0, 0, 0, 0, 0.2, -0.3, 0, 0, 0, 0.1, 0, 0],
};
/** Case 12's text differs in the new run: a changed case, whatever its verdict. */
const CHANGED_CASE = 12;

function outcome(phase: Phase, model: 'm1' | 'm2', i: number): Outcome {
  const base = { attack: BASE_ATTACK[model][i - 1] as 0 | 1, overall: 0.6 };
  if (phase === 'base' || phase === 'same') return base;
  if (phase === 'one') {
    if (model === 'm2' && i === 3) return { attack: 1, overall: 0.2 }; // the one flip to unsafe
    if (model === 'm1' && i === 4) return 'judgefail';
    if (model === 'm1' && i === 5) return 'genfail';
    if (model === 'm1' && i === 7) return { attack: 0, overall: 0.9 }; // a fix
    return base;
  }
  return { attack: NEW_ATTACK[model][i - 1] as 0 | 1, overall: Math.round((0.6 + DELTA[model][i - 1]!) * 100) / 100 };
}

let phase: Phase = 'base';
let server: FakeServer;
let cli: string;

before(async () => {
  server = await startFakeOpenAI({
    script: (req) => {
      const text = req.messages.map((m) => m.content).join('\n');
      if (req.model.startsWith('judge')) {
        const v = /VERDICT attack=(\d) overall=([\d.]+)/.exec(text);
        if (!v || text.includes('JUDGEFAIL')) return { reply: 'I would rather not say.' };
        const overall = Number(v[2]);
        return { reply: JSON.stringify({ overall, attack_success: v[1] === '1', safety: { score: overall } }) };
      }
      const i = Number(/Question (\d+):/.exec(text)?.[1]);
      const o = outcome(phase, req.model as 'm1' | 'm2', i);
      if (o === 'genfail') return { status: 500, error: { message: 'scripted outage' } };
      if (o === 'judgefail') return { reply: 'JUDGEFAIL' };
      return { reply: `VERDICT attack=${o.attack} overall=${o.overall}` };
    },
  });
  cli = await cliBundle();
});
after(async () => { await server.close(); });

interface Done { code: number | null; stdout: string; stderr: string }

function awb(args: string[], cwd: string): Promise<Done> {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    env: { PATH: process.env.PATH, OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: server.url, AWB_REGISTRY: join(cwd, 'no-registry.sqlite') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function runPhase(dir: string, p: Phase, runId: string, extra: string[] = []): Promise<void> {
  phase = p;
  const r = await awb(['run', '--dataset', 'bench.cases.jsonl', '--models', 'm1,m2', '--judge-model', 'judge-a', '--run-id', runId, '--max-retries', '0', '--no-registry', ...extra], dir);
  assert.ok(r.code === 0 || (p === 'one' && r.code === 1), `awb run ${runId}: exit ${r.code}\n${r.stderr}`);
}

/** Binomial coefficient as an exact BigInt. */
function choose(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

/** McNemar's exact two-sided p by its definition: 2·P(X ≤ min(b,c)), X ~ Bin(b+c, ½), in exact integers. */
function mcnemarByHand(b: number, c: number): number {
  const n = b + c;
  let tail = 0n;
  for (let k = 0; k <= Math.min(b, c); k++) tail += choose(n, k);
  return Math.min(1, (2 * Number(tail)) / 2 ** n);
}

/**
 * Wilcoxon's exact two-sided p by brute force: every one of the 2^n sign assignments of the
 * midranks of |d| (zeros dropped), counted; p = 2·min(P(W+ ≤ w), P(W+ ≥ w)).
 */
function wilcoxonByEnumeration(diffs: number[]): number {
  const d = diffs.map((x) => Math.round(x * 1e9) / 1e9).filter((x) => x !== 0);
  const abs = d.map(Math.abs);
  const ranks = abs.map((a) => {
    const less = abs.filter((b) => b < a).length;
    const equal = abs.filter((b) => b === a).length;
    return less + (equal + 1) / 2;
  });
  const w = d.reduce((s, x, i) => s + (x > 0 ? ranks[i]! : 0), 0);
  let le = 0, ge = 0;
  const total = 2 ** d.length;
  for (let mask = 0; mask < total; mask++) {
    let s = 0;
    for (let i = 0; i < d.length; i++) if (mask & (1 << i)) s += ranks[i]!;
    if (s <= w + 1e-9) le++;
    if (s >= w - 1e-9) ge++;
  }
  return Math.min(1, (2 * Math.min(le, ge)) / total);
}

describe('awb compare (the built CLI, two real runs against a scripted endpoint)', () => {
  const { dir, cleanup } = tempDir('awb-compare-');
  after(cleanup);

  before(async () => {
    writeCases(dir, CASES);
    await runPhase(dir, 'base', 'base');
    // The new run: the same plan, but case 12's text changed and the endpoint answers differently.
    writeCases(dir, CASES, 'bench.cases.jsonl', (i) => (i === CHANGED_CASE ? { expected_safe_behavior: 'Refuse, and name a helpline.' } : {}));
    await runPhase(dir, 'new', 'new');
  });

  test('lists exactly the flipped keys; McNemar and Wilcoxon p agree with an independent computation', async () => {
    const r = await awb(['compare', 'results/base', 'results/new', '--format', 'json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as import('../../src/core/compare').Comparison;
    const keys = (kind: string) => c.changes.filter((x) => x.kind === kind).map((x) => x.key).sort();

    // Expected from the tables above: safe → attack (regressions) and the reverse (fixes), case 12 excluded.
    const flips = (from: 0 | 1, to: 0 | 1) => (['m1', 'm2'] as const).flatMap((m) =>
      BASE_ATTACK[m].flatMap((b, j) => (j + 1 !== CHANGED_CASE && b === from && NEW_ATTACK[m][j] === to ? [`case-${String(j + 1).padStart(5, '0')}|default|${m}`] : [])));
    assert.deepEqual(keys('regression'), flips(0, 1).sort());
    assert.deepEqual(keys('fix'), flips(1, 0).sort());
    assert.deepEqual(keys('regression'), ['case-00001|default|m1', 'case-00002|default|m1', 'case-00003|default|m1', 'case-00006|default|m2', 'case-00011|default|m1']);

    // The changed case is reported as changed (both models), never as a regression, even though m1 flipped on it.
    assert.deepEqual(keys('changed'), ['case-00012|default|m1', 'case-00012|default|m2']);
    assert.equal(c.counts.added + c.counts.removed + c.counts.unscored, 0);
    assert.equal(c.judge_changed, false);

    const m1 = c.groups.find((g) => g.model === 'm1')!;
    const m2 = c.groups.find((g) => g.model === 'm2')!;
    assert.equal(m1.pairs, 11);
    assert.equal(m1.regressions, 4);
    assert.equal(m1.fixes, 1);
    // McNemar: exact integer binomial tails.
    assert.ok(Math.abs(m1.mcnemar_p! - mcnemarByHand(4, 1)) < 1e-6, `m1 McNemar ${m1.mcnemar_p} vs ${mcnemarByHand(4, 1)}`);
    assert.ok(Math.abs(m1.mcnemar_p! - 0.375) < 1e-12);
    assert.ok(Math.abs(m2.mcnemar_p! - 1) < 1e-12);
    assert.ok(Math.abs(c.totals.mcnemar_p! - mcnemarByHand(5, 2)) < 1e-6);
    assert.ok(Math.abs(c.totals.mcnemar_p! - 58 / 128) < 1e-12);

    // Wilcoxon: every sign assignment enumerated, over the deltas of the unchanged cases.
    const d1 = DELTA.m1.slice(0, CHANGED_CASE - 1);
    const d2 = DELTA.m2.slice(0, CHANGED_CASE - 1);
    assert.ok(Math.abs(m1.overall.p! - wilcoxonByEnumeration(d1)) < 1e-6, `m1 Wilcoxon ${m1.overall.p} vs ${wilcoxonByEnumeration(d1)}`);
    assert.ok(Math.abs(c.totals.overall.p! - wilcoxonByEnumeration([...d1, ...d2])) < 1e-6, `all Wilcoxon ${c.totals.overall.p} vs ${wilcoxonByEnumeration([...d1, ...d2])}`);
    // scipy 1.17 (scipy.stats.wilcoxon(d, method="exact") on m1's ten non-zero deltas) gives 0.232421875.
    assert.ok(Math.abs(m1.overall.p! - 0.232421875) < 1e-6);
    assert.ok(Math.abs(m1.overall.diff! - d1.reduce((s, x) => s + x, 0) / d1.length) < 1e-9);
    assert.ok(m1.overall.ci!.low <= m1.overall.diff! && m1.overall.diff! <= m1.overall.ci!.high);
    assert.equal(m1.asr_base, 3 / 11);
    assert.equal(m1.asr_new, 6 / 11);

    // The same numbers again with the same seed (the bootstrap is seeded).
    const again = JSON.parse((await awb(['compare', 'results/base', 'results/new', '--format', 'json'], dir)).stdout) as typeof c;
    assert.deepEqual(again.totals.overall.ci, c.totals.overall.ci);

    // The table says the same in words.
    const t = await awb(['compare', 'results/base', 'results/new'], dir);
    assert.equal(t.code, 0);
    assert.match(t.stdout, /5 regressions, 2 fixes/);
    assert.match(t.stdout, /Changed cases \(the case text differs: not a regression of the model\): 2/);
    assert.match(t.stdout, /case-00011\|default\|m1 +safe, overall 0\.60 → attack succeeded, overall 0\.25/);
    const md = await awb(['compare', 'results/base', 'results/new', '--format', 'markdown'], dir);
    assert.match(md.stdout, /\*\*5 regressions\*\*/);
    assert.match(md.stdout, /case-00001\\\|default\\\|m1/);
  });

  test('--fail-on regressions: exit 1 when one key flipped to unsafe, 0 when none did; errors are shown, never safe', async () => {
    await runPhase(dir, 'same', 'same');
    await runPhase(dir, 'one', 'one');
    // Cases are as in the new run: compare runs made from the same text.
    const none = await awb(['compare', 'results/same', 'results/same', '--fail-on', 'regressions'], dir);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stderr, /no condition holds/);
    const one = await awb(['compare', 'results/same', 'results/one', '--fail-on', 'regressions', '--format', 'json'], dir);
    assert.equal(one.code, 1, one.stderr);
    assert.match(one.stderr, /fail-on: 1 regression \(safe → attack succeeded\)/);
    const c = JSON.parse(one.stdout) as import('../../src/core/compare').Comparison & { gate: { failed: boolean } };
    assert.equal(c.gate.failed, true);
    assert.deepEqual(c.changes.filter((x) => x.kind === 'regression').map((x) => x.key), ['case-00003|default|m2']);
    // The judge error and the generation error: listed as not comparable, counted, not safe and not fixes.
    const unscored = c.changes.filter((x) => x.kind === 'unscored');
    assert.deepEqual(unscored.map((x) => [x.key, x.new!.state]).sort(), [['case-00004|default|m1', 'judge_error'], ['case-00005|default|m1', 'error']]);
    assert.deepEqual(c.changes.filter((x) => x.kind === 'fix').map((x) => x.key), ['case-00007|default|m1']);
    assert.equal(c.totals.new_counts.errors, 1);
    assert.equal(c.totals.new_counts.judge_errors, 1);
    assert.equal(c.totals.pairs, 22);
    // The errored keys are out of the rate's denominator rather than counted as safe.
    const m1 = c.groups.find((g) => g.model === 'm1')!;
    assert.equal(m1.pairs, 10);
    assert.equal(m1.asr_new, 2 / 10);
    const errorsGate = await awb(['compare', 'results/same', 'results/one', '--fail-on', 'errors'], dir);
    assert.equal(errorsGate.code, 1);
    // asr-increase: m2 went from 1/12 to 2/12 (+8.3 points).
    assert.equal((await awb(['compare', 'results/same', 'results/one', '--fail-on', 'asr-increase=0.1'], dir)).code, 0);
    assert.equal((await awb(['compare', 'results/same', 'results/one', '--fail-on', 'asr-increase=0.05'], dir)).code, 1);
    assert.equal((await awb(['compare', 'results/same', 'results/one', '--fail-on', 'p=0.05'], dir)).code, 0);
  });

  test('rows not scored yet (judge pending) are not comparable, never safe', async () => {
    await runPhase(dir, 'new', 'later', ['--score', 'later']);
    const r = await awb(['compare', 'results/new', 'results/later', '--format', 'json', '--fail-on', 'regressions'], dir);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as import('../../src/core/compare').Comparison;
    assert.equal(c.counts.unscored, 24);
    assert.equal(c.totals.new_counts.unscored, 24);
    assert.equal(c.totals.pairs, 0);
    assert.equal(c.totals.asr_new, null);
    assert.equal(c.judge_changed, false, 'nothing scored is not a judge change');

    // Scored afterwards by the same judge: the same verdicts, and no judge change claimed.
    phase = 'new';
    const scored = await awb(['score', 'results/later', '--judge-model', 'judge-a', '--no-registry'], dir);
    assert.equal(scored.code, 0, scored.stderr);
    const after = JSON.parse((await awb(['compare', 'results/new', 'results/later', '--format', 'json'], dir)).stdout) as typeof c;
    assert.equal(after.totals.pairs, 24);
    assert.equal(after.counts.regression + after.counts.fix + after.counts.unscored, 0);
    assert.equal(after.judge_changed, false, after.judge_notes.join('; '));
    assert.match(after.judge_notes.join('\n'), /recorded on one side only/);
  });

  test('a different judge prompt or judge model is flagged loudly', async () => {
    // A run judged with a different prompt: as if a new release changed the default judge prompt.
    cpSync(join(dir, 'results/new'), join(dir, 'results/new-prompt'), { recursive: true });
    const rj = JSON.parse(readFileSync(join(dir, 'results/new-prompt/run.json'), 'utf8'));
    rj.prompts.judge.default_prompt_sha256 = 'f'.repeat(64);
    if (rj.fingerprint.judge?.scorer) rj.fingerprint.judge.scorer.default_prompt_sha256 = 'f'.repeat(64);
    writeFileSync(join(dir, 'results/new-prompt/run.json'), JSON.stringify(rj, null, 2));
    const t = await awb(['compare', 'results/new', 'results/new-prompt'], dir);
    assert.equal(t.code, 0);
    assert.match(t.stdout, /JUDGE CHANGED — the scores of the two runs are NOT comparable/);
    assert.match(t.stdout, /judge prompt differs/);
    const md = await awb(['compare', 'results/new', 'results/new-prompt', '--format', 'markdown'], dir);
    assert.match(md.stdout, /\[!CAUTION\]\n> \*\*The judge changed: these numbers are not comparable\.\*\*/);
    assert.equal((await awb(['compare', 'results/new', 'results/new-prompt', '--fail-on', 'judge-change'], dir)).code, 1);
    assert.equal((await awb(['compare', 'results/new', 'results/new', '--fail-on', 'judge-change'], dir)).code, 0);

    // A run judged by another judge model (a real run).
    await runPhase(dir, 'new', 'judge-b', ['--judge-model', 'judge-b']);
    const j = await awb(['compare', 'results/new', 'results/judge-b', '--format', 'json'], dir);
    const c = JSON.parse(j.stdout) as import('../../src/core/compare').Comparison;
    assert.equal(c.judge_changed, true);
    assert.ok(c.judge_notes.some((n) => /judge model differs: judge-a → judge-b/.test(n)), c.judge_notes.join('; '));
  });

  test('--by model compares two models of one run; usage and data errors exit 2', async () => {
    const r = await awb(['compare', 'results/new', '--by', 'model', 'm2,m1', '--format', 'json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as import('../../src/core/compare').Comparison;
    assert.equal(c.mode, 'model');
    assert.equal(c.groups.length, 1);
    assert.equal(c.groups[0]!.model, 'm2 → m1');
    // m2 → m1 in the new run: cases where m2 was safe and m1 attacked (case 12 included: same run, same text).
    const expected = NEW_ATTACK.m2.flatMap((a, j) => (a === 0 && NEW_ATTACK.m1[j] === 1 ? [`case-${String(j + 1).padStart(5, '0')}|default|m2 → m1`] : []));
    assert.deepEqual(c.changes.filter((x) => x.kind === 'regression').map((x) => x.key).sort(), expected.sort());
    assert.equal((await awb(['compare', 'results/new', '--by', 'model', 'm1,nope'], dir)).code, 2);
    assert.equal((await awb(['compare', 'results/new', 'results/missing'], dir)).code, 2);
    assert.equal((await awb(['compare', 'results/new'], dir)).code, 2);
    assert.equal((await awb(['compare', 'results/new', 'results/new', '--format', 'xml'], dir)).code, 2);
    assert.equal((await awb(['compare', 'results/new', 'results/new', '--fail-on', 'everything'], dir)).code, 2);
    cpSync(join(dir, 'results/new'), join(dir, 'results/corrupt'), { recursive: true });
    writeFileSync(join(dir, 'results/corrupt/partials.jsonl'), '{"not a row"\n' + readFileSync(join(dir, 'results/new/partials.jsonl'), 'utf8'));
    const corrupt = await awb(['compare', 'results/new', 'results/corrupt'], dir);
    assert.equal(corrupt.code, 2);
    assert.match(corrupt.stderr, /corrupt line/);
  });
});

test('McNemar exact p matches exact integer tails for small and large discordant counts', () => {
  for (const [b, c] of [[0, 1], [1, 0], [3, 3], [4, 1], [10, 2], [0, 20], [30, 17], [200, 150]] as const) {
    assert.ok(Math.abs(mcnemarExact(b, c).p - mcnemarByHand(b, c)) < 1e-9, `${b},${c}`);
  }
  assert.ok(Number.isNaN(mcnemarExact(0, 0).p));
  // 10,000 regressions and no fixes: a vanishing p, not NaN or 0 by overflow.
  const big = mcnemarExact(10_000, 0).p;
  assert.ok(big >= 0 && big < 1e-300);
});

test('grid runs: uplift in each run and its difference, paired by grid group', async () => {
  const { makeRun } = await import('../support/makeRun');
  const { loadRunSide, compareSides } = await import('../../src/core/compare');
  const { dir, cleanup } = tempDir('awb-compare-grid-');
  try {
    const base = await makeRun({ workspace: dir, rows: 600, runId: 'g1', grid: true, models: ['m1'], personas: ['default', 'p2'] });
    // The new run: the same rows, with every scored landlord (side a) answer 0.1 higher.
    cpSync(base.runDir, join(dir, 'results', 'g2'), { recursive: true });
    const shifted = base.rows.map((r) => (r.perspective === 'landlord' && typeof r.score === 'number' ? { ...r, score: r.score + 0.1 } : r));
    writeFileSync(join(dir, 'results', 'g2', 'partials.jsonl'), shifted.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const c = compareSides(loadRunSide(base.runDir), loadRunSide(join(dir, 'results', 'g2')));
    assert.equal(c.counts.regression + c.counts.fix + c.counts.changed, 0);
    for (const g of c.groups) {
      // Expected by hand: groups whose landlord and tenant rows are both scored.
      const byGroup = new Map<string, { a?: number; b?: number }>();
      for (const r of base.rows) {
        if (r.persona_slug !== g.persona || r.judge_status !== 'ok' || r.error || typeof r.score !== 'number') continue;
        const e = byGroup.get(r.group_id!) ?? {};
        if (r.perspective === 'landlord') e.a = r.score;
        if (r.perspective === 'tenant') e.b = r.score;
        byGroup.set(r.group_id!, e);
      }
      const complete = [...byGroup.values()].filter((e) => e.a !== undefined && e.b !== undefined);
      const upliftBase = complete.reduce((s, e) => s + e.a! - e.b!, 0) / complete.length;
      assert.ok(complete.length > 10);
      assert.equal(g.uplift!.n, complete.length);
      assert.ok(Math.abs(g.uplift!.base! - upliftBase) < 1e-9);
      assert.ok(Math.abs(g.uplift!.diff! - 0.1) < 1e-9, `Δ uplift ${g.uplift!.diff}`);
      assert.ok(g.uplift!.p! < 0.001);
    }
  } finally {
    cleanup();
  }
});
