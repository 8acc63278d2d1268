// One rule for a bench file's models, the same verdict everywhere: when a roster (models_file, or
// the models.yaml beside the bench file) is in effect, a model slug it lacks is an `unknown-model`
// error at the slug — from `awb validate`, from the validation behind the Problems panel, and
// from the runner, which refuses to start; with no roster a slug is a default-provider model.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { addModelToRoster, applyEdit, positionOf, validateFile, validateText, type Diagnostic } from '../../src/core';
import { DataError } from '../../src/core/data/load';
import { resolveRunConfig } from '../../src/core/run/config';
import { ModelsFileSchema } from '../../src/core/schemas/models';
import { main } from '../../src/cli/main';
import { tempDir, writeCases } from '../support/runnerFixtures';

const ROSTER = 'models:\n  - slug: m-known\n    provider: openai\n    concurrency: 2\n  - slug: other\n    base_url: http://127.0.0.1:9/v1\n    concurrency: 1\n';
const BENCH = 'datasets: [data.cases.jsonl]\nmodels: [m-known, m-alpha]\npersonas: [default]\n';

function workspace(roster: string | null = ROSTER, bench = BENCH): { dir: string; bench: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir('awb-roster-');
  writeCases(dir, 2, 'data.cases.jsonl');
  if (roster !== null) writeFileSync(join(dir, 'models.yaml'), roster);
  writeFileSync(join(dir, 'eval.bench.yaml'), bench);
  return { dir, bench: join(dir, 'eval.bench.yaml'), cleanup };
}

async function cli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(args, { out: (s) => { out += s + '\n'; }, err: (s) => { err += s + '\n'; }, isTTY: false, cwd, env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } });
  return { code, out, err };
}

const unknownModel = (ds: Diagnostic[]) => ds.filter((d) => d.rule === 'unknown-model');

describe('a bench model missing from models.yaml', () => {
  test('validation: an error at the slug, naming the known slugs (file on disk and editor buffer alike)', async () => {
    const w = workspace();
    try {
      const ds = unknownModel(await validateFile(w.bench));
      assert.equal(ds.length, 1);
      const d = ds[0]!;
      assert.equal(d.severity, 'error');
      assert.deepEqual([d.line, d.column, d.endColumn], [2, 19, 26], 'the range covers m-alpha on line 2');
      assert.equal(d.message, 'model "m-alpha" is not in models.yaml (known: m-known, other); add it to models.yaml or use one of its models');
      // The Problems panel validates the editor's buffer with the same function.
      assert.deepEqual(unknownModel(await validateText(w.bench, BENCH)), ds);
    } finally {
      w.cleanup();
    }
    // With no roster a slug is a default-provider model: no problem, and the run resolves it so.
    const bare = workspace(null);
    try {
      assert.deepEqual(unknownModel(await validateFile(bare.bench)), []);
      const cfg = await resolveRunConfig({ cwd: bare.dir, env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }, bench: 'eval.bench.yaml' });
      assert.deepEqual(cfg.models.map((m) => [m.slug, m.provider, m.baseURL]), [['m-known', 'default', 'http://127.0.0.1:9/v1'], ['m-alpha', 'default', 'http://127.0.0.1:9/v1']]);
    } finally {
      bare.cleanup();
    }
  });

  test('the runner refuses with the same diagnostic; awb validate and awb run both exit 1 with the same line', async () => {
    const w = workspace();
    try {
      const expected = unknownModel(await validateFile(w.bench))[0]!;
      await assert.rejects(resolveRunConfig({ cwd: w.dir, env: {}, bench: 'eval.bench.yaml' }), (e: unknown) => {
        assert.ok(e instanceof DataError, String(e));
        assert.deepEqual(unknownModel(e.diagnostics), [expected]);
        return true;
      });
      const line = `eval.bench.yaml:2:19: error: ${expected.message} [unknown-model]`;
      const v = await cli(['validate', 'eval.bench.yaml'], w.dir);
      assert.equal(v.code, 1);
      assert.ok(v.out.includes(line), v.out);
      const r = await cli(['run', 'eval.bench.yaml', '--dry-run'], w.dir);
      assert.equal(r.code, 1);
      assert.ok(r.err.includes(line), r.err);
    } finally {
      w.cleanup();
    }
  });

  test('a models.yaml in the working folder is not the roster of a bench file in another folder, for validate and run alike', async () => {
    const w = workspace();
    try {
      mkdirSync(join(w.dir, 'sub'));
      writeCases(join(w.dir, 'sub'), 1, 'data.cases.jsonl');
      writeFileSync(join(w.dir, 'sub', 'x.bench.yaml'), 'datasets: [data.cases.jsonl]\nmodels: [m-alpha]\n');
      assert.deepEqual(unknownModel(await validateFile(join(w.dir, 'sub', 'x.bench.yaml'))), []);
      const cfg = await resolveRunConfig({ cwd: w.dir, env: {}, bench: 'sub/x.bench.yaml' });
      assert.equal(cfg.modelsFile, undefined);
      assert.equal(cfg.models[0]!.provider, 'default');
    } finally {
      w.cleanup();
    }
  });

  test('models_file names the roster; --models or --models-file given to the run override the bench file\'s models', async () => {
    const w = workspace(null, 'datasets: [data.cases.jsonl]\nmodels: [m-alpha]\nmodels_file: rosters/team.yaml\n');
    try {
      mkdirSync(join(w.dir, 'rosters'));
      writeFileSync(join(w.dir, 'rosters', 'team.yaml'), ROSTER);
      const ds = unknownModel(await validateFile(w.bench));
      assert.equal(ds.length, 1);
      assert.match(ds[0]!.message, /is not in rosters\/team\.yaml \(known: m-known, other\)/);
      await assert.rejects(resolveRunConfig({ cwd: w.dir, env: {}, bench: 'eval.bench.yaml' }), DataError);
      const cfg = await resolveRunConfig({ cwd: w.dir, env: {}, bench: 'eval.bench.yaml', models: ['m-known'] });
      assert.deepEqual(cfg.models.map((m) => m.slug), ['m-known']);
    } finally {
      w.cleanup();
    }
  });

  test('the quick fix\'s edit adds the model to models.yaml; then validation and the runner accept the bench file', async () => {
    const w = workspace();
    try {
      const rosterFile = join(w.dir, 'models.yaml');
      const d = unknownModel(await validateFile(w.bench))[0]!;
      assert.deepEqual(d.data, { slug: 'm-alpha', modelsFile: rosterFile });
      const text = readFileSync(rosterFile, 'utf8');
      const edit = addModelToRoster(text, 'm-alpha');
      const after = applyEdit(text, edit);
      assert.equal(after, `${ROSTER}  - slug: m-alpha\n    concurrency: 4\n`);
      // The editor receives line/character positions.
      assert.deepEqual(positionOf(text, edit.offset), { line: 6, character: 18 });
      writeFileSync(rosterFile, after);
      assert.deepEqual(await validateFile(rosterFile).then((ds) => ds.filter((x) => x.severity !== 'info')), []);
      assert.deepEqual(unknownModel(await validateFile(w.bench)), []);
      const cfg = await resolveRunConfig({ cwd: w.dir, env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }, bench: 'eval.bench.yaml' });
      assert.deepEqual(cfg.models.map((m) => m.slug), ['m-known', 'm-alpha']);
    } finally {
      w.cleanup();
    }
  });

  test('the roster edit keeps the file\'s own style: indentation, comments after the list, flow lists, an empty list, CRLF, no roster yet', async () => {
    const cases: [string, string][] = [
      // The example roster: four-space items, a comment at the top.
      [readFileSync(join(__dirname, '..', '..', 'examples', 'models.yaml'), 'utf8'), 'examples'],
      ['models:\n- slug: a\n  concurrency: 1\n\n# trailing comment\n', 'unindented items, a comment after'],
      ['models:\n    - slug: a\n      concurrency: 1', 'deep indent, no final newline'],
      ['models: [{ slug: a, concurrency: 1 }]\n', 'flow list'],
      ['models:\n', 'empty key'],
      ['models:\r\n  - slug: a\r\n    concurrency: 1\r\n', 'CRLF'],
      ['# nothing yet\n', 'no models key'],
    ];
    for (const [text, name] of cases) {
      const after = applyEdit(text, addModelToRoster(text, 'gpt-4.1-nano'));
      const parsed = ModelsFileSchema.safeParse(parse(after));
      assert.ok(parsed.success, `${name}: ${after}`);
      const slugs = parsed.data.models.map((m) => m.slug);
      assert.equal(slugs.at(-1), 'gpt-4.1-nano', name);
      assert.equal(slugs.length, (((parse(text) as { models?: unknown[] } | null)?.models) ?? []).length + 1, name);
      if (text.includes('\r\n')) assert.ok(!/[^\r]\n/.test(after), `${name}: line endings kept`);
    }
    // The example bench file passes against the example roster.
    const { dir, cleanup } = tempDir('awb-examples-');
    try {
      const ex = join(__dirname, '..', '..', 'examples');
      for (const f of ['quickstart.bench.yaml', 'models.yaml', 'personas.yaml']) copyFileSync(join(ex, f), join(dir, f));
      mkdirSync(join(dir, 'datasets'));
      for (const f of ['jailbreak-basics.cases.jsonl', 'honesty.cases.yaml']) copyFileSync(join(ex, 'datasets', f), join(dir, 'datasets', f));
      assert.deepEqual(unknownModel(await validateFile(join(dir, 'quickstart.bench.yaml'))), []);
    } finally {
      cleanup();
    }
    const fenced = applyEdit('models:\n  - slug: a\n    concurrency: 1\n# the end\n', addModelToRoster('models:\n  - slug: a\n    concurrency: 1\n# the end\n', 'b'));
    assert.equal(fenced, 'models:\n  - slug: a\n    concurrency: 1\n  - slug: b\n    concurrency: 4\n# the end\n');
  });
});
