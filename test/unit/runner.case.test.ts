import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/usage';
import type { RunJson } from '../../src/core/runFolder';
import { startFakeOpenAI, type FakeServer } from '../support/fakeOpenAI';
import { CANARY_KEY, readPartials, tempDir, writeCases } from '../support/runnerFixtures';

let server: FakeServer;
before(async () => { server = await startFakeOpenAI({ latencyMs: 1 }); });
after(async () => { await server.close(); });

async function awb(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [], err: string[] = [];
  const io: CliIO = {
    out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false, cwd,
    env: { OPENAI_API_KEY: CANARY_KEY, OPENAI_BASE_URL: server.url, AWB_REGISTRY: join(cwd, 'registry.sqlite') },
  };
  const code = await main(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const base = ['run', '--dataset', 'bench.cases.jsonl', '--models', 'm1', '--personas', 'default,evil_confidant', '--judge-model', 'judge'];

describe('awb run --case ID (the editor\'s "Run this case")', () => {
  test('runs only the named cases; the selection is part of the run: the full run is another run', async () => {
    const { dir, cleanup } = tempDir('awb-run-case-');
    try {
      writeCases(dir, 5);
      server.reset();
      const r = await awb(dir, [...base, '--case', 'case-00004', '--case', 'case-00002', '--run-id', 'c1']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /run c1: complete — 4\/4 done/);
      const rows = readPartials(join(dir, 'results', 'c1'));
      assert.deepEqual([...new Set(rows.map((x) => x.test_id))].sort(), ['case-00002', 'case-00004']);
      assert.equal(server.requests.filter((q) => q.model === 'm1').length, 4);
      const rj = JSON.parse(readFileSync(join(dir, 'results', 'c1', 'run.json'), 'utf8')) as RunJson;
      assert.deepEqual(rj.fingerprint.cases, ['case-00002', 'case-00004']);
      assert.equal(rj.datasets[0]!.cases, 2);

      // The same run id for the whole dataset would mix a spot check into a full run.
      const full = await awb(dir, [...base, '--run-id', 'c1']);
      assert.equal(full.code, 1);
      assert.match(full.stderr, /refusing to resume[\s\S]*case selection/);
      // Resuming it as it was sends nothing new.
      server.reset();
      const again = await awb(dir, ['run', '--run-id', 'c1']);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(server.requests.length, 0);

      const dry = await awb(dir, [...base, '--case', 'case-00001', '--dry-run']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /1 cases × 2 personas × 1 models = 2 keys/);

      const unknown = await awb(dir, [...base, '--case', 'nope', '--run-id', 'c2']);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no case with id "nope"/);
      assert.ok(!existsSync(join(dir, 'results', 'c2')), 'a refused run leaves no folder');
    } finally {
      cleanup();
    }
  });

  test('a spot check of one case is not recorded in the registry history; the full run is', async () => {
    const { dir, cleanup } = tempDir('awb-run-case-');
    try {
      writeCases(dir, 3);
      writeFileSync(join(dir, 'bench.dataset.yaml'), 'dataset_id: b1\nname: B\ndescription: d\ncategory: safety\nsize: 3\nformat: jsonl\nlicense: MIT\nquality_score: 0.5\npath: bench.cases.jsonl\n');
      assert.equal((await awb(dir, ['registry', 'register', 'bench.dataset.yaml'])).code, 0);
      const one = await awb(dir, [...base, '--case', 'case-00001', '--run-id', 'spot']);
      assert.equal(one.code, 0, one.stderr);
      const all = await awb(dir, [...base, '--run-id', 'full']);
      assert.equal(all.code, 0, all.stderr);
      const h = await awb(dir, ['registry', 'results', 'b1', '--format', 'json']);
      const runs = (JSON.parse(h.stdout) as { run_id: string }[]).map((e) => e.run_id);
      assert.deepEqual(runs, ['full', 'full']);
    } finally {
      cleanup();
    }
  });
});
