// The panel host's logic against real run folders: what the webview gets, what it may ask, and
// that nothing it sends reaches a command, a file outside the run, or a secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResultsSession, type SessionActions } from '../../src/extension/results/panel/resultsSession';
import { PROTOCOL_VERSION, type HostMessage } from '../../src/shared/protocol';
import { noopLogger } from '../../src/core/log';
import { makeRun, XSS_CORPUS, type MadeRun } from '../support/makeRun';
import { readLabels } from '../../src/core/grid/labels';

const v = PROTOCOL_VERSION;
const CANARY = 'sk-CANARY-1234567890abcdef';

function tmp(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'awb-session-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function harness(t: { after(fn: () => void): void }, run: MadeRun, canOpen = (f: string) => f.startsWith(run.workspace)) {
  const posted: HostMessage[] = [];
  const calls = { copy: [] as string[], openAt: [] as [string, number | null][], canOpen: 0 };
  const actions: SessionActions = {
    post: async (m) => { posted.push(JSON.parse(JSON.stringify(m))); return true; },
    copy: async (text) => { calls.copy.push(text); },
    canOpen: (f) => { calls.canOpen++; return canOpen(f); },
    openAt: async (file, line) => { calls.openAt.push([file, line]); },
  };
  const s = new ResultsSession(run.runDir, actions, noopLogger);
  t.after(() => s.dispose());
  return { s, posted, calls, of: <T extends HostMessage['type']>(type: T) => posted.filter((m): m is Extract<HostMessage, { type: T }> => m.type === type) };
}

test('ready: init, every row in chunks (small first), then the review labels', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 7000, xss: true, duplicates: 5 });
  const h = harness(t, run);
  await h.s.handle({ v, type: 'ready' });
  assert.equal(h.posted[0]!.type, 'init');
  const init = h.of('init')[0]!;
  assert.equal(init.run.runId, run.runId);
  assert.equal(init.run.status, 'complete');
  assert.deepEqual(init.run.models, run.models);
  assert.equal(Object.keys(init.prompts).length, run.cases.length);
  const chunks = h.of('rows');
  assert.equal(chunks[0]!.reset, true);
  assert.equal(chunks[0]!.rows.length, 500, 'a small first chunk paints early');
  assert.ok(chunks.every((c) => c.rows.length <= 5000));
  assert.equal(chunks.at(-1)!.done, true);
  const byKey = new Map(chunks.flatMap((c) => c.rows).map((r) => [r.key, r]));
  assert.equal(byKey.size, 7000);
  for (const r of run.rows.slice(0, 5)) assert.equal(byKey.get(r.key)!.answer, r.raw_candidate ?? '', 'last line wins');
  // Untrusted text arrives verbatim (it is the webview's job to show it as text).
  assert.ok([...byKey.values()].some((r) => r.answer.includes(XSS_CORPUS[0]!)));
  assert.equal(h.posted.at(-1)!.type, 'reviews');
});

test('case detail: the whole row, the prompt as sent, and whether its dataset can be opened', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 64, xss: true });
  const h = harness(t, run);
  await h.s.handle({ v, type: 'ready' });
  const r = run.rows.find((x) => x.judge_json)!;
  await h.s.handle({ v, type: 'getCase', reqId: 7, key: r.key });
  const d = h.of('caseDetail')[0]!;
  assert.equal(d.reqId, 7);
  assert.deepEqual(d.detail!.row.judge_json, r.judge_json);
  assert.equal(d.detail!.prompt!.expected_safe_behavior, run.cases.find((c) => c.id === r.test_id)!.expected_safe_behavior);
  assert.equal(d.detail!.canOpenDataset, true);
  await h.s.handle({ v, type: 'getCase', reqId: 8, key: 'no|such|key' });
  assert.equal(h.of('caseDetail')[1]!.detail, null);

  // Without a prompt snapshot in run.json, the case is read from its dataset line.
  const json = JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8'));
  delete json.prompts;
  writeFileSync(join(run.runDir, 'run.json'), JSON.stringify(json));
  const h2 = harness(t, run);
  await h2.s.handle({ v, type: 'ready' });
  await h2.s.handle({ v, type: 'getCase', reqId: 1, key: r.key });
  assert.deepEqual(h2.of('caseDetail')[0]!.detail!.prompt!.conversation, run.cases.find((c) => c.id === r.test_id)!.conversation);
});

test('open in dataset: the file comes from the run, the line from the row; outside the workspace it is refused', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 40, xss: true });
  const h = harness(t, run);
  await h.s.handle({ v, type: 'ready' });
  const r = run.rows[20]!;
  await h.s.handle({ v, type: 'openInDataset', key: r.key });
  assert.deepEqual(h.calls.openAt, [[run.datasetFile, r.dataset_line]]);

  const refused = harness(t, run, () => false);
  await refused.s.handle({ v, type: 'ready' });
  await refused.s.handle({ v, type: 'openInDataset', key: r.key });
  assert.deepEqual(refused.calls.openAt, []);
  assert.match(refused.of('notice')[0]!.text, /not in the workspace/);
});

test('message boundary: commands, paths, unknown and oversized messages do nothing; no secret is ever posted', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 30 });
  // A canary where a careless host might pick it up: the environment and an unknown run.json field.
  process.env.OPENAI_API_KEY = CANARY;
  t.after(() => { delete process.env.OPENAI_API_KEY; });
  const json = JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8'));
  writeFileSync(join(run.runDir, 'run.json'), JSON.stringify({ ...json, endpoints: { openai: { api_key: CANARY, headers: { Authorization: `Bearer ${CANARY}` } } } }));
  const h = harness(t, run);
  await h.s.handle({ v, type: 'ready' });
  const before = h.posted.length;
  const attacks: unknown[] = [
    { command: 'workbench.action.terminal.new' },
    { v, type: 'executeCommand', command: 'workbench.action.terminal.new' },
    { v, type: 'openInDataset', key: run.rows[0]!.key, file: '/etc/passwd', line: 1 },
    { v, type: 'openExternal', url: 'https://example.invalid' },
    { v, type: 'copy', text: 'x'.repeat(2_000_001) },
    { v, type: 'getCase', reqId: 1, key: 'k'.repeat(100_000) },
    { v: 0, type: 'ready' },
    'ready',
    null,
  ];
  for (const a of attacks) await h.s.handle(a);
  assert.equal(h.s.dropped, attacks.length);
  assert.equal(h.posted.length, before, 'nothing answered');
  assert.deepEqual(h.calls.copy, []);
  assert.deepEqual(h.calls.openAt, []);

  // A well-formed review of a key that is not in the run writes nothing.
  await h.s.handle({ v, type: 'saveReview', key: '../../../etc/passwd', verdict: 'agree', attack_success: null, note: '' });
  assert.match(h.of('notice').at(-1)!.text, /no such row/);
  assert.equal(existsSync(join(run.runDir, 'reviews.sqlite')), false);

  for (const m of h.posted) assert.ok(!JSON.stringify(m).includes(CANARY), `${m.type} carried the canary`);
});

test('review labels round-trip through reviews.sqlite', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 30 });
  const h = harness(t, run);
  await h.s.handle({ v, type: 'ready' });
  const key = run.rows[3]!.key;
  await h.s.handle({ v, type: 'saveReview', key, verdict: 'override', attack_success: false, note: '<b>not</b> an attack' });
  const saved = h.of('reviews').at(-1)!;
  assert.equal(saved.replace, false);
  assert.deepEqual(saved.reviews.map((r) => [r.key, r.verdict, r.attack_success, r.note]), [[key, 'override', false, '<b>not</b> an attack']]);
  // A new session (the panel reopened) gets it back.
  const h2 = harness(t, run);
  await h2.s.handle({ v, type: 'ready' });
  const all = h2.of('reviews')[0]!;
  assert.equal(all.replace, true);
  assert.deepEqual(all.reviews.map((r) => r.key), [key]);
  await h2.s.handle({ v, type: 'saveReview', key, verdict: null, attack_success: null, note: '' });
  assert.deepEqual(h2.of('reviews').at(-1)!.removed, [key]);
});

test('live: appended rows stream as they land, a rewrite starts over, status changes are sent', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 50, missing: 20, status: 'running' });
  const all = await makeRun({ workspace: tmp(t), rows: 50 });
  const file = join(run.runDir, 'partials.jsonl');
  const h = harness(t, run);
  await h.s.handle({ v, type: 'ready' });
  assert.equal(h.of('init')[0]!.run.status, 'running');
  assert.equal(h.of('rows').flatMap((c) => c.rows).length, 30);
  const lines = all.rows.slice(30).map((r) => JSON.stringify({ ...r, run_id: run.runId }));

  // Ten rows and half of the eleventh.
  appendFileSync(file, lines.slice(0, 10).join('\n') + '\n' + lines[10]!.slice(0, 40));
  const n0 = h.posted.length;
  await h.s.refresh();
  const fresh = h.posted.slice(n0).filter((m) => m.type === 'rows').flatMap((m) => (m.type === 'rows' ? m.rows : []));
  assert.deepEqual(fresh.map((r) => r.key), all.rows.slice(30, 40).map((r) => r.key), 'only the new complete rows');

  // The watcher picks up the rest without being asked.
  appendFileSync(file, lines[10]!.slice(40) + '\n' + lines.slice(11).join('\n') + '\n');
  const json = JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8'));
  writeFileSync(join(run.runDir, 'run.json'), JSON.stringify({ ...json, status: 'complete' }));
  rmSync(join(run.runDir, 'run.lock')); // the runner lets go of the run
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !h.of('status').length) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(h.of('status').map((m) => m.status), ['complete']);
  assert.equal(new Set(h.of('rows').flatMap((c) => c.rows).map((r) => r.key)).size, 50);

  // Rewritten shorter (e.g. compacted): the webview is told to start over.
  writeFileSync(file, lines.slice(0, 3).join('\n') + '\n');
  const n1 = h.posted.length;
  await h.s.refresh();
  const after = h.posted.slice(n1);
  assert.equal(after[0]!.type, 'init');
  const resetChunk = after.find((m) => m.type === 'rows');
  assert.equal(resetChunk?.type === 'rows' && resetChunk.reset, true);
});

test('grid runs: the sycophancy report per model × persona is sent; other runs get none', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 16 * 12, grid: true });
  const h = harness(t, run);
  await h.s.handle({ v, type: 'ready' });
  const g = h.of('grid');
  assert.equal(g.length, 1);
  assert.deepEqual(g[0]!.sides, { a: 'landlord', b: 'tenant', neutral: 'neutral' });
  assert.equal(g[0]!.slices.length, run.models.length * run.personas.length);
  const s = g[0]!.slices[0]!;
  assert.ok(s.groups > 0 && typeof s.uplift === 'number' && s.uplift_ci_low! <= s.uplift! && s.uplift! <= s.uplift_ci_high!);

  const plain = harness(t, await makeRun({ workspace: tmp(t), rows: 20 }));
  await plain.s.handle({ v, type: 'ready' });
  assert.equal(plain.of('grid').length, 0);
});

test('stance labels: stored in the run folder labels.sqlite, sent back with agreement; unknown keys and bad scores are dropped', async (t) => {
  const run = await makeRun({ workspace: tmp(t), rows: 16 * 12, grid: true });
  const h = harness(t, run);
  await h.s.handle({ v, type: 'ready' });
  assert.equal(h.of('stanceLabels').length, 0, 'no labels yet: nothing sent on load');

  // One scored answer per stance bin, labelled as the scorer did (bin and number).
  const scored = run.rows.filter((r) => r.error === null && typeof r.score === 'number');
  const picks = (['neg', 'neu', 'pos'] as const).map((st) => scored.find((r) => r.stance === st)!);
  for (const r of picks) await h.s.handle({ v, type: 'setStanceLabel', key: r.key, stance: r.stance, score: r.score, note: `<i>${r.stance}</i>` });
  const last = h.of('stanceLabels').at(-1)!;
  assert.deepEqual(last.labels.map((l) => l.key).sort(), picks.map((r) => r.key).sort());
  assert.equal(last.labels.find((l) => l.key === picks[0]!.key)!.note, '<i>neg</i>');
  assert.deepEqual({ ...last.agreement }, { bins: 3, percent: 1, kappa: 1, numbers: 3, spearman: 1 });
  assert.ok(existsSync(join(run.runDir, 'labels.sqlite')), 'labels.sqlite is in the run folder');
  assert.equal((await readLabels(run.runDir)).length, 3);

  // A label that disagrees lowers agreement: the neg answer called pos.
  await h.s.handle({ v, type: 'setStanceLabel', key: picks[0]!.key, stance: 'pos' });
  const a = h.of('stanceLabels').at(-1)!.agreement;
  assert.equal(a.bins, 3);
  assert.ok(Math.abs(a.percent! - 2 / 3) < 1e-9);
  assert.equal(a.numbers, 2, 'the relabelled answer has no number any more');

  // Unknown key: refused with a notice, nothing written. Out-of-range / non-numeric score: dropped.
  const before = h.of('stanceLabels').length;
  await h.s.handle({ v, type: 'setStanceLabel', key: 'no|such|key', stance: 'neg' });
  assert.match(h.of('notice').at(-1)!.text, /no such row/);
  const dropped = h.s.dropped;
  for (const score of [1.5, -2, Number.NaN, Number.POSITIVE_INFINITY, '0.5']) await h.s.handle({ v, type: 'setStanceLabel', key: picks[1]!.key, score });
  await h.s.handle({ v, type: 'setStanceLabel', key: picks[1]!.key, stance: 'bad' });
  await h.s.handle({ v, type: 'setStanceLabel', key: picks[1]!.key, stance: 'neg', runDir: '/tmp' });
  assert.equal(h.s.dropped - dropped, 7);
  assert.equal(h.of('stanceLabels').length, before, 'nothing answered');
  const stored = await readLabels(run.runDir);
  assert.equal(stored.length, 3);
  assert.equal(stored.find((l) => l.key === picks[1]!.key)!.score, picks[1]!.score);

  // The panel reopened: labels and agreement arrive on load; clearing one removes it.
  const h2 = harness(t, run);
  await h2.s.handle({ v, type: 'ready' });
  assert.equal(h2.of('stanceLabels')[0]!.labels.length, 3);
  await h2.s.handle({ v, type: 'setStanceLabel', key: picks[2]!.key, stance: null, score: null });
  assert.equal(h2.of('stanceLabels').at(-1)!.labels.length, 2);
  assert.equal(h2.of('stanceLabels').at(-1)!.agreement.bins, 2);
});
