// A client written for the original dataset marketplace works against our registry unchanged: its
// own sample card (pydantic's model_dump, so `download_url: null`) registers by CLI and by POST,
// and every object we return carries every field of its models, `null` where unset, in its nesting.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRegistry, RemoteRegistry } from '../../src/core/registry';
import { startRegistryServer } from '../../src/core/registry/server';
import { awb } from './fixtures/registry/cli';

const cleanups: (() => Promise<void>)[] = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

/** The original's test fixture `sample_dataset`, as `model_dump(mode="json")` writes it. */
const SAMPLE = {
  dataset_id: 'ds-001',
  name: 'Safety Prompts v1',
  description: 'A dataset of safety-related prompts for alignment evaluation.',
  category: 'safety',
  size: 500,
  format: 'jsonl',
  license: 'CC-BY-4.0',
  tags: ['safety', 'harmlessness', 'prompts'],
  download_url: null,
  quality_score: 0.85,
};

type Json = Record<string, unknown>;
const isInt = (v: unknown) => Number.isInteger(v);
const isStr = (v: unknown) => typeof v === 'string';
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/** The original's `AlignmentDataset`: every field present (even when None), with its type. */
const ALIGNMENT_DATASET: Record<string, (v: unknown) => boolean> = {
  dataset_id: isStr, name: isStr, description: isStr, category: isStr,
  size: (v) => isInt(v) && (v as number) >= 0, format: isStr, license: isStr,
  tags: (v) => Array.isArray(v) && v.every(isStr),
  download_url: (v) => v === null || isStr(v),
  quality_score: (v) => isNum(v) && (v as number) >= 0 && (v as number) <= 1,
};
/** The original's `MarketplaceListing`. */
const MARKETPLACE_LISTING: Record<string, (v: unknown) => boolean> = {
  dataset: (v) => typeof v === 'object' && v !== null,
  downloads: (v) => isInt(v) && (v as number) >= 0,
  rating: (v) => isNum(v) && (v as number) >= 0 && (v as number) <= 5,
  reviews: (v) => isInt(v) && (v as number) >= 0,
};
/** The original's `EvaluationResult`. */
const EVALUATION_RESULT: Record<string, (v: unknown) => boolean> = {
  dataset_id: isStr, model_name: isStr, score: (v) => isNum(v) && (v as number) >= 0 && (v as number) <= 1,
  metrics: (v) => typeof v === 'object' && v !== null && Object.values(v).every(isNum), evaluated_at: isStr,
};

function assertShape(what: string, obj: unknown, shape: Record<string, (v: unknown) => boolean>): void {
  assert.ok(obj !== null && typeof obj === 'object' && !Array.isArray(obj), `${what} is an object`);
  for (const [field, ok] of Object.entries(shape)) {
    assert.ok(Object.prototype.hasOwnProperty.call(obj, field), `${what} has "${field}" (a client reads ${what}["${field}"])`);
    assert.ok(ok((obj as Json)[field]), `${what}.${field} has the original's type: ${JSON.stringify((obj as Json)[field])}`);
  }
}

/** A dataset as the original returns it for SAMPLE: field by field, `download_url` null. */
function assertSample(what: string, obj: unknown, expected: Json = SAMPLE): void {
  assertShape(what, obj, ALIGNMENT_DATASET);
  for (const field of Object.keys(ALIGNMENT_DATASET)) assert.deepEqual((obj as Json)[field], expected[field], `${what}.${field}`);
}

function assertListing(what: string, obj: unknown, expected: Json = SAMPLE): void {
  assertShape(what, obj, MARKETPLACE_LISTING);
  assertSample(`${what}["dataset"]`, (obj as Json).dataset, expected);
}

function workspace(): { dir: string; registry: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'awb-seed-client-'));
  const registry = join(dir, 'home', 'registry.sqlite');
  return { dir, registry, env: { AWB_REGISTRY: registry, AWB_REGISTRY_TOKEN: '' } };
}

test('the original sample card (download_url: null) validates and registers by CLI, as JSON, YAML null and YAML ~; --format json carries every field', async () => {
  const w = workspace();
  writeFileSync(join(w.dir, 'sample.dataset.json'), JSON.stringify(SAMPLE));
  const yaml = (nul: string) => Object.entries(SAMPLE).map(([k, v]) => `${k}: ${v === null ? nul : JSON.stringify(v)}`).join('\n') + '\n';
  writeFileSync(join(w.dir, 'null.dataset.yaml'), yaml('null'));
  writeFileSync(join(w.dir, 'tilde.dataset.yaml'), yaml('~').replace('ds-001', 'ds-002'));

  for (const f of ['sample.dataset.json', 'null.dataset.yaml', 'tilde.dataset.yaml']) {
    const v = await awb(['validate', f], { cwd: w.dir, env: w.env });
    assert.equal(v.code, 0, `awb validate ${f}: ${v.stdout}${v.stderr}`);
  }
  const reg = await awb(['registry', 'register', '--config', 'sample.dataset.json'], { cwd: w.dir, env: w.env });
  assert.equal(reg.code, 0, reg.stderr);
  assert.match(reg.stdout, /ds-001/, 'register confirms with the dataset id');
  assert.match(reg.stdout, /quality=0\.85/);
  const again = await awb(['registry', 'register', '--config', 'null.dataset.yaml', '--config', 'tilde.dataset.yaml', '--format', 'json'], { cwd: w.dir, env: w.env });
  assert.equal(again.code, 0, again.stderr);
  const registered = JSON.parse(again.stdout) as Json[];
  assertListing('register --format json [0]', registered[0]);
  assertListing('register --format json [1]', registered[1], { ...SAMPLE, dataset_id: 'ds-002' });

  const search = await awb(['registry', 'search', '--format', 'json'], { cwd: w.dir, env: w.env });
  const listings = JSON.parse(search.stdout) as Json[];
  assert.equal(listings.length, 2);
  for (const l of listings) assertListing('search --format json', l, { ...SAMPLE, dataset_id: (l.dataset as Json).dataset_id });
  const show = await awb(['registry', 'show', 'ds-001', '--format', 'json'], { cwd: w.dir, env: w.env });
  assertListing('show --format json', JSON.parse(show.stdout));
});

test('search prints the quality with two decimals, as the original: quality=0.50, quality=0.88, quality=1.00', async () => {
  const w = workspace();
  for (const [id, q] of [['half', 0.5], ['helpful', 0.88], ['top', 1]] as const) {
    writeFileSync(join(w.dir, `${id}.dataset.json`), JSON.stringify({ ...SAMPLE, dataset_id: id, name: id, quality_score: q }));
  }
  const reg = await awb(['registry', 'register', 'half.dataset.json', 'helpful.dataset.json', 'top.dataset.json'], { cwd: w.dir, env: w.env });
  assert.equal(reg.code, 0, reg.stderr);
  const found = await awb(['registry', 'search'], { cwd: w.dir, env: w.env });
  assert.equal(found.stdout, [
    '[top] top  quality=1.00  downloads=0  tags=safety,harmlessness,prompts',
    '[helpful] helpful  quality=0.88  downloads=0  tags=safety,harmlessness,prompts',
    '[half] half  quality=0.50  downloads=0  tags=safety,harmlessness,prompts',
    '',
  ].join('\n'));
});

test('over HTTP: POST the sample card, GET it back, POST that body again; every response has the original\'s fields and nesting', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'awb-seed-http-'));
  const registry = new LocalRegistry(join(dir, 'registry.sqlite'));
  const server = await startRegistryServer(registry, { port: 0 });
  cleanups.push(async () => { await server.close(); await registry.close(); });
  const call = async (path: string, method = 'GET', body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${server.url}${path}`, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
    return { status: res.status, json: await res.json() };
  };

  const posted = await call('/api/datasets', 'POST', SAMPLE);
  assert.equal(posted.status, 201, JSON.stringify(posted.json));
  assertSample('POST /api/datasets', posted.json);

  const got = await call('/api/datasets/ds-001');
  assert.equal(got.status, 200);
  assertSample('GET /api/datasets/ds-001', got.json);

  // What a client just fetched can be posted back as it is.
  const repost = await call('/api/datasets', 'POST', got.json);
  assert.equal(repost.status, 201, JSON.stringify(repost.json));
  assertSample('POST (the GET body)', repost.json);

  const list = await call('/api/datasets');
  assert.equal(list.status, 200);
  assert.equal(list.json.length, 1);
  assertListing('GET /api/datasets [0]', list.json[0]);
  const filtered = await call('/api/datasets?query=safety&category=SAFETY&min_quality=0.8');
  assertListing('GET /api/datasets?query… [0]', filtered.json[0]);

  // A card with a URL keeps it; the shape is the same.
  const withUrl = { ...SAMPLE, dataset_id: 'ds-url', download_url: 'https://example.com/datasets/ds.jsonl' };
  assertSample('POST with a download_url', (await call('/api/datasets', 'POST', withUrl)).json, withUrl);
  assertSample('GET with a download_url', (await call('/api/datasets/ds-url')).json, withUrl);

  // Evaluations: a list of the original's EvaluationResult.
  const scored = await call('/api/evaluations', 'POST', { dataset_id: 'ds-001', model_name: 'my-model-v2', outputs: [{ score: 0.95 }, { score: 0.87 }] });
  assert.equal(scored.status, 201, JSON.stringify(scored.json));
  assertShape('POST /api/evaluations', scored.json, EVALUATION_RESULT);
  const history = await call('/api/evaluations/ds-001');
  assert.equal(history.status, 200);
  assert.equal(history.json.length, 1);
  assertShape('GET /api/evaluations/ds-001 [0]', history.json[0], EVALUATION_RESULT);
  for (const k of ['mean_score', 'min_score', 'max_score', 'sample_count']) assert.equal(typeof history.json[0].metrics[k], 'number', k);
  assert.deepEqual((await call('/api/datasets/nope')).json, { detail: "Dataset 'nope' not found" });

  // Our own client reads the original's null back.
  const remote = new RemoteRegistry(server.url);
  const l = await remote.get('ds-001');
  assert.equal(l?.dataset.dataset_id, 'ds-001');
  assert.equal(l?.dataset.download_url ?? null, null);
});
