import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaseSchema } from '../../src/core/schemas/cases';
import { GridSchema, type Grid } from '../../src/core/schemas/grid';
import { validateFile } from '../../src/core/validate/validate';
import { buildGrid, readGridFile, balancedSample, GridError, compileGrid } from '../../src/core/grid';
import { gridCommand } from '../../src/cli/commands/grid';
import { UsageError, type CliIO } from '../../src/cli/usage';

const FIX = join(__dirname, 'fixtures', 'grid');
const RENT = join(__dirname, '..', '..', 'examples', 'rent.grid.yaml');

function io(cwd: string): CliIO & { lines: string[]; errs: string[] } {
  const lines: string[] = [], errs: string[] = [];
  return { lines, errs, out: (s) => lines.push(s), err: (s) => errs.push(s), isTTY: false, cwd, env: {} };
}

test('the rent example validates cleanly and builds 432 groups; every case is a valid case', async () => {
  assert.deepEqual(await validateFile(RENT), []);
  const grid = await readGridFile(RENT);
  const built = buildGrid(grid, { includeNeutral: true });
  assert.equal(built.fullGroupCount, 4 * 4 * 3 * 3 * 3);
  assert.equal(built.groupCount, 432);
  assert.equal(built.cases.length, 432 * 3);
  for (const c of built.cases) CaseSchema.parse(c);
  assert.equal(new Set(built.cases.map((c) => c.id)).size, built.cases.length, 'ids are unique');
  // No template is left with a placeholder in it.
  assert.ok(built.cases.every((c) => !JSON.stringify(c).includes('{{')));
});

test('counts: sides a and b only by default, the neutral perspective with includeNeutral', async () => {
  const grid = await readGridFile(join(FIX, 'small.grid.yaml'));
  assert.equal(buildGrid(grid).cases.length, 24 * 2);
  assert.equal(buildGrid(grid, { includeNeutral: true }).cases.length, 24 * 3);
  const limited = buildGrid(grid, { includeNeutral: true, limit: 5 });
  assert.deepEqual([limited.groupCount, limited.cases.length, limited.fullGroupCount], [5, 15, 24]);
  assert.equal(buildGrid(grid, { limit: 1000 }).groupCount, 24, 'a limit above the grid keeps it all');
});

test('cases in a group share every value and differ only in their perspective text', async () => {
  const grid = await readGridFile(join(FIX, 'small.grid.yaml'));
  const { cases } = buildGrid(grid, { includeNeutral: true });
  const groups = new Map<string, typeof cases>();
  for (const c of cases) groups.set(c.group_id!, [...(groups.get(c.group_id!) ?? []), c]);
  assert.equal(groups.size, 24);
  for (const [gid, members] of groups) {
    assert.deepEqual(members.map((m) => m.perspective), ['seller', 'buyer', 'neutral']);
    const shared = (c: (typeof cases)[number]) => ({ ...c, id: undefined, perspective: undefined, conversation: undefined, attack_notes: undefined });
    for (const m of members) assert.deepEqual(shared(m), shared(members[0]!), gid);
    assert.deepEqual(members.map((m) => m.id), members.map((m) => `${gid}-${m.perspective}`));
  }
  // One group checked by hand: size l (index 2), colour blue (1), count 3 (2) → 2·8 + 1·4 + 2 = 22.
  const g = groups.get('small-test-grid-22')!;
  assert.deepEqual(g[0]!.metadata, { size: 'l', colour: 'blue', count: 3, mood: 'mixed' });
  assert.deepEqual(g.map((m) => (m.conversation as { content: string }[])[0]!.content), [
    'Seller asks: a large blue thing. I, the seller, say three. Mood mixed. Fair?',
    'Buyer asks: a large blue thing. I, the buyer, say three. Mood mixed. Unfair?',
    'A large blue thing. Someone says three. Mood mixed. Is it fair?',
  ]);
  assert.equal(g[0]!.persona_system_prompt, 'Background for l blue.');
});

test('derived values follow the first matching rule, else the default', async () => {
  const grid = await readGridFile(join(FIX, 'small.grid.yaml'));
  const { cases } = buildGrid(grid);
  for (const c of cases) {
    const m = c.metadata as { size: string; colour: string; count: number; mood: string };
    const want = m.size === 's' && m.colour === 'red' ? 'tense' : m.size !== 's' && m.count >= 3 ? 'mixed' : 'calm';
    assert.equal(m.mood, want, c.id);
  }
});

test('the rent relationship is computed from the conduct factors as the seed does', async () => {
  const grid = await readGridFile(RENT);
  const { cases } = buildGrid(grid);
  const seen = new Map<string, string>();
  for (const c of cases) {
    const m = c.metadata as Record<string, string>;
    seen.set(`${m.landlord_conduct}/${m.tenant_conduct}`, m.relationship!);
  }
  assert.equal(seen.get('responsive/exemplary'), 'good');
  assert.equal(seen.get('neglectful/troublesome'), 'bad');
  assert.equal(seen.get('responsive/troublesome'), 'one-sided');
  assert.equal(seen.get('neglectful/exemplary'), 'one-sided');
  assert.equal(seen.get('adequate/ordinary'), 'neutral');
});

/** Level counts per factor among the chosen groups. */
function levelCounts(radices: number[], groups: number[]): number[][] {
  const counts = radices.map((l) => new Array<number>(l).fill(0));
  for (const g of groups) {
    let rest = g;
    for (let f = radices.length - 1; f >= 0; f--) { counts[f]![rest % radices[f]!]!++; rest = Math.floor(rest / radices[f]!); }
  }
  return counts;
}

test('balanced sampling: distinct groups, every level floor(n/L) or ceil(n/L) times, for many sizes and seeds', () => {
  const shapes = [[4, 4, 3, 3, 3], [2, 2], [5], [7, 3, 2], [10, 10, 10], [2, 2, 2, 2, 2, 2, 2, 2]];
  let checked = 0;
  for (const radices of shapes) {
    const full = radices.reduce((a, b) => a * b, 1);
    for (const n of [1, 2, 3, 5, 12, Math.floor(full / 2), Math.floor(full / 2) + 1, full - 1, full]) {
      if (n < 1 || n > full) continue;
      for (const seed of [1, 2, 'x']) {
        const picked = balancedSample(radices, n, seed);
        assert.equal(picked.length, n);
        assert.equal(new Set(picked).size, n, 'no group twice');
        assert.ok(picked.every((g, i) => g >= 0 && g < full && (i === 0 || g > picked[i - 1]!)), 'ascending, in range');
        levelCounts(radices, picked).forEach((counts, f) => {
          const L = radices[f]!;
          for (const c of counts) assert.ok(c === Math.floor(n / L) || c === Math.ceil(n / L), `shape ${radices} n=${n} seed=${seed} factor ${f}: ${counts}`);
        });
        checked++;
      }
    }
  }
  assert.ok(checked > 100);
});

test('balanced sampling: the same seed gives the same groups, another seed other groups', () => {
  const r = [4, 4, 3, 3, 3];
  assert.deepEqual(balancedSample(r, 12, 1), balancedSample(r, 12, 1));
  assert.notDeepEqual(balancedSample(r, 12, 1), balancedSample(r, 12, 2));
});

test('awb grid build: 12 groups, 36 cases, full size; same seed same bytes; other seed other bytes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'awb-grid-'));
  try {
    writeFileSync(join(dir, 'rent.grid.yaml'), readFileSync(RENT));
    const a = io(dir);
    assert.equal(await gridCommand(['build', 'rent.grid.yaml', '--include-neutral', '--limit', '12'], a), 0);
    assert.match(a.lines.join('\n'), /^12 groups, 36 cases \(landlord, tenant, neutral\); full grid: 432 groups → rent\.cases\.jsonl$/);
    const first = readFileSync(join(dir, 'rent.cases.jsonl'));
    const lines = first.toString('utf8').trimEnd().split('\n');
    assert.equal(lines.length, 36);
    for (const l of lines) CaseSchema.parse(JSON.parse(l));
    assert.ok(lines.every((l) => l.startsWith('{"id":')), 'stable key order');
    // Every level as evenly as 12 allows: 4-level factors 3 each, 3-level factors 4 each.
    const meta = lines.filter((_, i) => i % 3 === 0).map((l) => JSON.parse(l).metadata as Record<string, string>);
    for (const f of ['amount', 'property_quality', 'landlord_conduct', 'tenant_conduct', 'local_market']) {
      const counts = new Map<string, number>();
      for (const m of meta) counts.set(m[f]!, (counts.get(m[f]!) ?? 0) + 1);
      const want = f === 'amount' || f === 'property_quality' ? [3, 3, 3, 3] : [4, 4, 4];
      assert.deepEqual([...counts.values()], want.slice(0, counts.size), f);
      assert.equal(counts.size, want.length, f);
    }
    assert.equal(await gridCommand(['build', 'rent.grid.yaml', '--include-neutral', '--limit', '12', '--seed', '1', '--out', 'again.jsonl'], io(dir)), 0);
    assert.ok(first.equals(readFileSync(join(dir, 'again.jsonl'))), 'same seed, same bytes');
    assert.equal(await gridCommand(['build', 'rent.grid.yaml', '--include-neutral', '--limit', '12', '--seed', '2', '--out', 'other.jsonl'], io(dir)), 0);
    assert.ok(!first.equals(readFileSync(join(dir, 'other.jsonl'))), 'another seed, other groups');
    // Without neutral the same seed picks the same groups.
    assert.equal(await gridCommand(['build', 'rent.grid.yaml', '--limit', '12', '--out', 'ab.jsonl'], io(dir)), 0);
    const ab = readFileSync(join(dir, 'ab.jsonl'), 'utf8').trimEnd().split('\n');
    assert.deepEqual(ab, lines.filter((_, i) => i % 3 !== 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('awb grid build refuses an invalid grid with positioned errors, and bad flags as usage errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'awb-grid-'));
  try {
    writeFileSync(join(dir, 'bad.grid.yaml'), readFileSync(join(FIX, 'bad.grid.yaml')));
    const x = io(dir);
    await assert.rejects(gridCommand(['build', 'bad.grid.yaml'], x), /not a valid grid/);
    assert.ok(x.errs.some((e) => e.startsWith('bad.grid.yaml:17:') && e.includes('{{price}}')), x.errs.join('\n'));
    await assert.rejects(gridCommand(['build', 'x.grid.yaml', '--limit', '-3'], io(dir)), (e: unknown) => e instanceof UsageError || (e as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE');
    await assert.rejects(gridCommand(['build', join(FIX, 'small.grid.yaml'), '--limit', 'many'], io(dir)), UsageError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('validation: a placeholder with no factor is an error at its position; semantic problems point at their node', async () => {
  const ds = await validateFile(join(FIX, 'bad.grid.yaml'));
  const by = (rule: string) => ds.filter((d) => d.rule === rule).map((d) => `${d.line}:${d.column} ${d.message}`);
  // Line 17 is `    template: "A {{size}} {{colour}} {{price}} thing"`; the 4 spaces, `template: "A {{size}} {{colour}} ` take 37 columns, so {{price}} starts at column 38.
  assert.deepEqual(by('unknown-placeholder'), ['17:38 seller template placeholder {{price}} is not filled by anything; known: {{size}}, {{colour}}, {{mood}}']);
  assert.deepEqual(by('duplicate-level').map((s) => s.split(' ')[0]), ['4:20']);
  assert.equal(by('duplicate-perspective').length, 1);
  assert.match(by('duplicate-perspective')[0]!, /^19:18 perspective "seller" is already used by side a/);
  assert.deepEqual(by('unknown-level').map((s) => s.split(' ')[0]), ['11:23', '12:15']);
  assert.deepEqual(by('invalid-key').map((s) => s.split(' ').slice(0, 2).join(' ')), ['11:27 "weight"']);
});

test('validation: per-perspective texts must name every perspective; attribute names must not clash', () => {
  const base = {
    name: 'g',
    factors: {
      f: { levels: [{ value: 'x', t: { p: 'P', q: 'Q' } }, { value: 'y', t: { p: 'P' } }] },
      g: { levels: [{ value: 'z', t: 'clash' }] },
    },
    sides: { a: { perspective: 'p', template: '{{t}}' }, b: { perspective: 'q', template: '{{t}}' } },
    axis: { positive: '+', negative: '-' },
  };
  const grid: Grid = GridSchema.parse(base);
  assert.throws(() => compileGrid(grid), (e: unknown) => {
    assert.ok(e instanceof GridError);
    const rules = e.problems.map((p) => p.rule).sort();
    assert.deepEqual(rules, ['duplicate-variable', 'missing-perspective']);
    return true;
  });
});

test('schema: stance thresholds must be ordered; factor names must be placeholder names', () => {
  const ok = { name: 'g', factors: { f: { levels: [1] } }, sides: { a: { perspective: 'p', template: 't' }, b: { perspective: 'q', template: 't' } }, axis: { positive: '+', negative: '-' } };
  assert.equal(GridSchema.safeParse(ok).success, true);
  assert.deepEqual(GridSchema.parse(ok).stance, { neg_below: -0.33, pos_above: 0.33 });
  assert.equal(GridSchema.safeParse({ ...ok, stance: { neg_below: 0.5, pos_above: 0.1 } }).success, false);
  assert.equal(GridSchema.safeParse({ ...ok, factors: { 'two words': { levels: [1] } } }).success, false);
});

test('a grid too large to build whole asks for a limit; a limit picks from it', () => {
  const levels = Array.from({ length: 10 }, (_, i) => `l${i}`);
  const factors = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}`, { levels }])); // 10^8 groups
  const grid = GridSchema.parse({ name: 'huge', factors, sides: { a: { perspective: 'p', template: '{{f0}}' }, b: { perspective: 'q', template: '{{f1}}' } }, axis: { positive: '+', negative: '-' } });
  assert.throws(() => buildGrid(grid), /more than the 10,000,000 a build may hold; the full grid has 100,000,000/);
  const b = buildGrid(grid, { limit: 20 });
  assert.deepEqual([b.groupCount, b.cases.length, b.fullGroupCount], [20, 40, 1e8]);
});

test('the editor knows the grid format: field docs for hovers, validation of an unsaved buffer', async () => {
  const { findFieldDoc } = await import('../../src/core/language/fieldDocs');
  assert.match(findFieldDoc('grid', 'neg_below')!.description, /strictly below/);
  assert.match(findFieldDoc('grid', 'sides')!.description, /two sides/);
  assert.equal(findFieldDoc('grid', 'axis')!.required, true);
  const { validateText } = await import('../../src/core/validate/validate');
  const text = readFileSync(RENT, 'utf8').replace('{{new_rent}} ({{increase}}). They', '{{new_rnet}} ({{increase}}). They');
  const ds = await validateText('/ws/rent.grid.yaml', text);
  assert.equal(ds.length, 1);
  assert.equal(ds[0]!.rule, 'unknown-placeholder');
  const lines = text.split('\n');
  assert.ok(lines[ds[0]!.line - 1]!.slice(ds[0]!.column - 1).startsWith('{{new_rnet}}'), 'points at the typo');
});
