import type { ChangeKind, Comparison, GroupStats, KeyChange, PairedStat, SideValue } from './compare';
import { fmtP } from './gate';

/** GitHub rejects a comment body over 65,536 characters; markdown stays well under this. */
export const MARKDOWN_LIMIT = 60_000;

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
const signedPct = (x: number | null) => (x === null ? '–' : `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x * 100).toFixed(1)} pt`);
const num = (x: number | null, d = 3) => (x === null ? '–' : x.toFixed(d));
const signed = (x: number | null, d = 3) => (x === null ? '–' : `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(d)}`);
const ci = (s: PairedStat) => (s.ci && Number.isFinite(s.ci.low) ? `[${signed(s.ci.low)}, ${signed(s.ci.high)}]` : '');

const KIND_TITLES: Record<ChangeKind, string> = {
  regression: 'Regressions (safe → attack succeeded)',
  unscored: 'Not comparable: an error or no verdict on one side (never counted as safe)',
  changed: 'Changed cases (the case text differs: not a regression of the model)',
  score: 'Score moves (same verdict)',
  fix: 'Fixes (attack succeeded → safe)',
  removed: 'Removed (only in base)',
  added: 'Added (only in new)',
};
const KINDS: ChangeKind[] = ['regression', 'unscored', 'changed', 'score', 'fix', 'removed', 'added'];

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One line: the counts a reader checks first. */
export function headline(c: Comparison): string {
  const k = c.counts;
  return [
    plural(k.regression, 'regression'), plural(k.fix, 'fix', 'fixes'), `${k.score} score move${k.score === 1 ? '' : 's'} ≥ ${c.options.threshold}`,
    plural(k.changed, 'key of a changed case', 'keys of changed cases'), `${k.added} added`, `${k.removed} removed`, `${k.unscored} not comparable (errors or no verdict)`,
  ].join(', ');
}

/** A side of a key in words: "safe, overall 0.90", "judge error", "absent". */
export function stateText(v: SideValue | null): string {
  if (!v) return 'absent';
  if (v.state === 'error') return 'generation error';
  if (v.state === 'judge_error') return 'judge error';
  if (v.state === 'unscored') return 'not scored';
  const verdict = v.attack === null ? (v.score !== null ? `score ${num(v.score, 2)}` : 'scored') : v.attack ? 'attack succeeded' : 'safe';
  return `${verdict}${v.overall !== null ? `, overall ${num(v.overall, 2)}` : ''}`;
}

function errorCounts(g: GroupStats, side: 'base_counts' | 'new_counts'): string {
  const s = g[side];
  return `${s.errors}/${s.judge_errors}/${s.unscored}`;
}

// ---------------------------------------------------------------- terminal

function table(header: string[], rows: string[][]): string[] {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  return [line(header), w.map((n) => '─'.repeat(n)).join('  '), ...rows.map(line)];
}

/** The terminal report: judge warning, headline, per-group table, then up to `list` keys of each kind. */
export function formatTerminal(c: Comparison, opts: { list?: number } = {}): string {
  const list = opts.list ?? 20;
  const out: string[] = [];
  out.push(`base: ${c.base.label} (run ${c.base.run_id})`);
  out.push(`new:  ${c.new.label} (run ${c.new.run_id})`);
  if (c.judge_changed) {
    out.push('', '!!! JUDGE CHANGED — the scores of the two runs are NOT comparable !!!');
    for (const n of c.judge_notes) out.push(`!!! ${n}`);
  } else for (const n of c.judge_notes) out.push(`note: ${n}`);
  out.push('', headline(c), '');
  const grid = c.groups.some((g) => g.uplift);
  const header = ['model', 'persona', 'pairs', 'ASR base', 'ASR new', 'Δ ASR', 'regr', 'fix', 'McNemar p', 'Δ overall', '95% CI', 'Wilcoxon p', 'Δ safety', 'Wilcoxon p', ...(grid ? ['Δ uplift', 'p'] : []), 'err base', 'err new'];
  const rows = [...c.groups, c.totals].map((g) => [
    g.model, g.persona, String(g.pairs), pct(g.asr_base), pct(g.asr_new), signedPct(g.asr_diff), String(g.regressions), String(g.fixes), fmtP(g.mcnemar_p),
    signed(g.overall.diff), ci(g.overall), fmtP(g.overall.p), signed(g.safety.diff), fmtP(g.safety.p),
    ...(grid ? [signed(g.uplift?.diff ?? null), fmtP(g.uplift?.p ?? null)] : []),
    errorCounts(g, 'base_counts'), errorCounts(g, 'new_counts'),
  ]);
  out.push(...table(header, rows));
  out.push('(err = generation errors / judge errors / not scored; statistics are over pairs judged on both sides with the same case text)');
  for (const kind of KINDS) {
    const items = c.changes.filter((x) => x.kind === kind);
    if (!items.length) continue;
    out.push('', `${KIND_TITLES[kind]}: ${items.length}`);
    for (const x of items.slice(0, list)) out.push(`  ${x.key}   ${stateText(x.base)} → ${stateText(x.new)}${x.delta_overall !== null ? ` (Δ overall ${signed(x.delta_overall, 2)})` : ''}`);
    if (items.length > list) out.push(`  … ${items.length - list} more (--list N, or --format json for all)`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- markdown

/**
 * Text from a run (test ids, model names, error messages) made inert in a GitHub comment: no
 * HTML, no table breaks, no @-mentions, no links or emphasis; one line, at most `max` characters.
 */
export function mdText(s: string, max = 120): string {
  const one = s.replace(/[\r\n\t]+/g, ' ');
  const cut = one.length > max ? `${one.slice(0, max - 1)}…` : one;
  return cut.replace(/[\\`*_[\]<>|#!~&@]/g, (ch) => (ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '@' ? '&#64;' : `\\${ch}`));
}

interface MdCaps {
  groups: number;
  perKind: number;
}

function mdChanges(items: KeyChange[], cap: number): string[] {
  const out = ['| key | base | new | Δ overall |', '|---|---|---|---:|'];
  for (const x of items.slice(0, cap)) out.push(`| ${mdText(x.key)} | ${mdText(stateText(x.base), 60)} | ${mdText(stateText(x.new), 60)} | ${signed(x.delta_overall, 2)} |`);
  if (items.length > cap) out.push(`| … ${items.length - cap} more | | | |`);
  return out;
}

function renderMd(c: Comparison, caps: MdCaps, title: string): string {
  const out: string[] = [];
  out.push(`### ${mdText(title, 200)}`, '');
  out.push(`Base **${mdText(c.base.run_id, 80)}** → new **${mdText(c.new.run_id, 80)}**${c.mode === 'runs' ? '' : ` (within one run, by ${c.mode})`}`, '');
  if (c.judge_changed) {
    out.push('> [!CAUTION]', '> **The judge changed: these numbers are not comparable.**');
    for (const n of c.judge_notes) out.push(`> - ${mdText(n, 300)}`);
    out.push('');
  }
  const k = c.counts;
  out.push(`${k.regression ? '🔴' : '🟢'} **${plural(k.regression, 'regression')}** · ${plural(k.fix, 'fix', 'fixes')} · ${k.score} score move${k.score === 1 ? '' : 's'} ≥ ${c.options.threshold} · ${plural(k.changed, 'key of a changed case', 'keys of changed cases')} · ${k.added} added · ${k.removed} removed · ${k.unscored} not comparable (errors or no verdict)`, '');
  const grid = c.groups.some((g) => g.uplift);
  out.push(`| model | persona | pairs | ASR base → new | Δ ASR | McNemar p | Δ overall [95% CI] | Wilcoxon p |${grid ? ' Δ uplift | p |' : ''} errors base / new |`);
  out.push(`|---|---|---:|---|---:|---:|---|---:|${grid ? '---:|---:|' : ''}---|`);
  const row = (g: GroupStats, bold = false) => {
    const b = (s: string) => (bold ? `**${s}**` : s);
    return `| ${b(mdText(g.model, 60))} | ${b(mdText(g.persona, 60))} | ${g.pairs} | ${pct(g.asr_base)} → ${pct(g.asr_new)} | ${signedPct(g.asr_diff)} | ${fmtP(g.mcnemar_p)} | ${signed(g.overall.diff)} ${ci(g.overall)} | ${fmtP(g.overall.p)} |${grid ? ` ${signed(g.uplift?.diff ?? null)} | ${fmtP(g.uplift?.p ?? null)} |` : ''} ${errorCounts(g, 'base_counts')} / ${errorCounts(g, 'new_counts')} |`;
  };
  for (const g of c.groups.slice(0, caps.groups)) out.push(row(g));
  if (c.groups.length > caps.groups) out.push(`| … ${c.groups.length - caps.groups} more model × persona groups | | | | | | | |${grid ? ' | |' : ''} |`);
  out.push(row(c.totals, true), '');
  out.push('<sub>Statistics are over keys judged in both runs with the same case text. Errors: generation / judge / not scored. McNemar: exact two-sided test of the attack-success flips; Wilcoxon: signed-rank test of the paired overall scores; interval: seeded bootstrap of the mean difference.</sub>', '');
  for (const kind of KINDS) {
    const items = c.changes.filter((x) => x.kind === kind);
    if (!items.length) continue;
    const open = kind === 'regression' ? ' open' : '';
    out.push(`<details${open}><summary><b>${KIND_TITLES[kind]}: ${items.length}</b>${items.length > caps.perKind ? ` (top ${Math.min(caps.perKind, items.length)})` : ''}</summary>`, '');
    if (caps.perKind > 0) out.push(...mdChanges(items, caps.perKind), '');
    out.push('</details>', '');
  }
  return out.join('\n');
}

/**
 * The comparison as compact markdown for a pull request comment or a job summary: the judge
 * warning, the counts, the per-group table and the top keys of each kind. Lists shrink until the
 * text fits in `limit` characters (default 60,000; GitHub's limit is 65,536), so it always fits
 * however large the runs are.
 */
export function formatMarkdown(c: Comparison, opts: { limit?: number; title?: string } = {}): string {
  const limit = opts.limit ?? MARKDOWN_LIMIT;
  const title = opts.title ?? 'Alignment Workbench: comparison with the baseline';
  for (const caps of [{ groups: 60, perKind: 30 }, { groups: 40, perKind: 15 }, { groups: 20, perKind: 8 }, { groups: 10, perKind: 3 }, { groups: 5, perKind: 0 }]) {
    const md = renderMd(c, caps, title);
    if (md.length <= limit) return md;
  }
  const md = renderMd(c, { groups: 0, perKind: 0 }, title);
  if (md.length <= limit) return md;
  const note = `\n\n… cut to ${limit} characters (${md.length} in full); the job summary or \`awb compare --format json\` has everything.\n`;
  return md.slice(0, limit - note.length) + note;
}

/** The comparison as JSON (every key, every statistic) with the gate's verdict when one was asked. */
export function formatJson(c: Comparison, gate?: { conditions: string[]; failed: boolean; reasons: string[] }): string {
  return JSON.stringify({ format: 1, ...c, ...(gate ? { gate } : {}) }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}
