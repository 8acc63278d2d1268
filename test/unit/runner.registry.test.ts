import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/usage';
import type { EvaluationResult } from '../../src/core/registry';
import { startFakeOpenAI, type FakeServer } from '../support/fakeOpenAI';
import { CANARY_KEY, tempDir, writeCases } from '../support/runnerFixtures';

let server: FakeServer;
before(async () => { server = await startFakeOpenAI({ latencyMs: 1 }); });
after(async () => { await server.close(); });

interface Out { code: number; stdout: string; stderr: string }

/** `awb ARGS` through the CLI's main(), with the registry at `registry`. */
async function awb(cwd: string, registry: string, args: string[]): Promise<Out> {
  const out: string[] = [], err: string[] = [];
  const io: CliIO = {
    out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false, cwd,
    env: { OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: server.url, AWB_REGISTRY: registry },
  };
  const code = await main(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** A workspace with a 3-case dataset and its card, registered in a fresh registry. */
async function workspace() {
  const t = tempDir('awb-run-registry-');
  const data = writeCases(t.dir, 3, 'attacks.cases.jsonl');
  writeFileSync(join(t.dir, 'attacks.dataset.yaml'), [
    'dataset_id: attacks-v1', 'name: Attacks v1', 'description: Three attack cases', 'category: safety', 'size: 3',
    'format: jsonl', 'license: CC-BY-4.0', 'tags: [attacks]', 'quality_score: 0.8', 'path: attacks.cases.jsonl', '',
  ].join('\n'));
  const registry = join(t.dir, 'registry.sqlite');
  const reg = await awb(t.dir, registry, ['registry', 'register', 'attacks.dataset.yaml']);
  assert.equal(reg.code, 0, reg.stderr);
  return { ...t, data, registry };
}

async function history(w: { dir: string; registry: string }): Promise<EvaluationResult[]> {
  const r = await awb(w.dir, w.registry, ['registry', 'results', 'attacks-v1', '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as EvaluationResult[];
}

const runArgs = (runId: string, ...more: string[]) => ['run', '--dataset', 'attacks.cases.jsonl', '--models', 'm1,m2', '--personas', 'default,evil_confidant', '--judge-model', 'judge', '--run-id', runId, ...more];

describe('a run records its evaluations in the registry history', () => {
  test('one result per model × persona, tied to the run and the data; a resume replaces, --no-registry skips', async () => {
    const w = await workspace();
    try {
      const r = await awb(w.dir, w.registry, runArgs('r1'));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /recorded 4 evaluations of run r1/);
      const h = await history(w);
      assert.equal(h.length, 4);
      assert.deepEqual(h.map((e) => `${e.model_name}/${e.persona}`).sort(), ['m1/default', 'm1/evil_confidant', 'm2/default', 'm2/evil_confidant']);
      const sha = createHash('sha256').update(readFileSync(w.data)).digest('hex');
      const rows = parse(readFileSync(join(w.dir, 'results', 'r1', 'results.csv')), { columns: true }) as Record<string, string>[];
      for (const e of h) {
        assert.equal(e.run_id, 'r1');
        assert.equal(e.run_dir, join(w.dir, 'results', 'r1'));
        assert.equal(e.data_sha256, sha);
        assert.equal(e.judge, 'judge');
        assert.equal(e.metrics.sample_count, 3);
        const mine = rows.filter((x) => x.model_slug === e.model_name && x.persona_slug === e.persona).map((x) => Number(x.overall));
        assert.equal(e.score, Math.round((mine.reduce((a, b) => a + b, 0) / mine.length) * 10_000) / 10_000, 'score = mean overall of the rows');
      }

      // Resuming the same run records it again in place: still one result per model × persona.
      const again = await awb(w.dir, w.registry, ['run', '--run-id', 'r1']);
      assert.equal(again.code, 0, again.stderr);
      assert.equal((await history(w)).length, 4);

      const off = await awb(w.dir, w.registry, [...runArgs('r2'), '--no-registry']);
      assert.equal(off.code, 0, off.stderr);
      assert.ok((await history(w)).every((e) => e.run_id === 'r1'), '--no-registry recorded nothing');
    } finally {
      w.cleanup();
    }
  });

  test('score later: nothing recorded until awb score, which records the scores', async () => {
    const w = await workspace();
    try {
      const r = await awb(w.dir, w.registry, [...runArgs('later'), '--score', 'later']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await history(w)).length, 0, 'groups still pending are not recorded');
      const s = await awb(w.dir, w.registry, ['score', join('results', 'later'), '--judge-model', 'judge-b']);
      assert.equal(s.code, 0, s.stderr);
      const h = await history(w);
      assert.equal(h.length, 4);
      assert.ok(h.every((e) => e.run_id === 'later' && e.judge === 'judge-b' && e.metrics.sample_count === 3));
    } finally {
      w.cleanup();
    }
  });

  test('a broken registry is a warning: the run completes and its results are written', async () => {
    const w = await workspace();
    try {
      writeFileSync(w.registry, 'this is not a SQLite file');
      const r = await awb(w.dir, w.registry, runArgs('broken'));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: registry .*could not record run broken/);
      assert.match(r.stdout, /run broken: complete — 12\/12 done/);
      // A registry that does not exist is not created by a run.
      const none = await awb(w.dir, join(w.dir, 'nowhere', 'registry.sqlite'), runArgs('none'));
      assert.equal(none.code, 0, none.stderr);
      assert.doesNotMatch(none.stderr, /registry/);
    } finally {
      w.cleanup();
    }
  });
});
