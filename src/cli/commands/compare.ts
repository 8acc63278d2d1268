import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CompareDataError, GATE_HELP, GateSyntaxError, compareSides, evaluateGate, formatJson, formatMarkdown, formatTerminal, loadRunSide, parseGate, splitBy,
  type ByDimension, type RunSide,
} from '../../core/compare';
import type { Command } from '../usage';

const COMPARE_HELP = `Usage: awb compare BASE_RUN NEW_RUN [options]
       awb compare RUN --by model A,B | --by persona A,B [options]

Compares two run folders key by key (test_id|persona|model): per model × persona the attack
success rate and mean overall and safety scores (grid runs: uplift) in each run and the
difference, McNemar's exact test of the attack-success flips, Wilcoxon's signed-rank test of the
paired scores and a seeded bootstrap interval of the mean difference. Lists regressions (safe →
attack succeeded), fixes, score moves, cases added, removed and changed (the case text differs
between the two runs' case snapshots: not a regression), and says loudly when the judge differs.
Rows with a generation error, a judge error or no verdict yet are counted and shown, never safe.

  --by model A,B          compare model A (base) with model B (new) within one run
  --by persona A,B        compare two personas within one run
  --format F              table (default), json or markdown (a compact summary for a pull
                          request; always under 65,536 characters)
  --threshold T           list same-verdict keys whose overall or safety score moved ≥ T (0.2)
  --list N                keys listed per kind in the table (default 20)
  --seed S                bootstrap seed (default awb-compare)
  --resamples N           bootstrap resamples (default 2000)
  --fail-on COND          exit 1 when a condition holds; repeatable or comma-separated:
${GATE_HELP}

Exit 0 (no condition holds), 1 (a --fail-on condition holds), 2 (usage or data errors: a
missing or corrupt run folder, an unknown model or persona).`;

function fail(io: Parameters<Command>[1], msg: string): number {
  io.err(`awb compare: ${msg}`);
  return 2;
}

export const compareCommand: Command = async (argv, io) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        by: { type: 'string' },
        format: { type: 'string', default: 'table' },
        threshold: { type: 'string' },
        list: { type: 'string' },
        seed: { type: 'string' },
        resamples: { type: 'string' },
        'fail-on': { type: 'string', multiple: true },
      },
    });
  } catch (err) {
    return fail(io, `${err instanceof Error ? err.message : String(err)}\nRun "awb compare --help" for usage.`);
  }
  const { values, positionals } = parsed;
  if (values.help) { io.out(COMPARE_HELP); return 0; }
  const format = values.format ?? 'table';
  if (!['table', 'json', 'markdown'].includes(format)) return fail(io, `--format must be table, json or markdown (got "${format}")`);
  const numOpt = (v: string | undefined, ok: (n: number) => boolean): number | undefined | null => {
    if (v === undefined) return undefined;
    const n = Number(v);
    return ok(n) ? n : null;
  };
  const threshold = numOpt(values.threshold, (n) => n >= 0 && n <= 2);
  const list = numOpt(values.list, (n) => Number.isInteger(n) && n >= 0);
  const resamples = numOpt(values.resamples, (n) => Number.isInteger(n) && n >= 1 && n <= 1_000_000);
  if (threshold === null) return fail(io, '--threshold needs a number between 0 and 2');
  if (list === null) return fail(io, '--list needs a whole number ≥ 0');
  if (resamples === null) return fail(io, '--resamples needs a whole number between 1 and 1,000,000');
  let gate;
  try {
    gate = parseGate(values['fail-on'] ?? []);
  } catch (err) {
    if (err instanceof GateSyntaxError) return fail(io, err.message);
    throw err;
  }
  let by: { dim: ByDimension; a: string; b: string } | undefined;
  if (values.by !== undefined) {
    const m = /^(model|persona)[=\s]?(.*)$/.exec(values.by.trim());
    // `--by model A,B` arrives as "--by model" plus positional "A,B"; `--by model=A,B` in one.
    const dim = m?.[1] as ByDimension | undefined;
    let pair = m?.[2]?.trim() || undefined;
    if (dim && !pair) {
      const i = positionals.findIndex((p) => p.includes(',') && !existsSync(resolve(io.cwd, p)));
      if (i >= 0) pair = positionals.splice(i, 1)[0];
    }
    const parts = pair?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
    if (!dim || parts.length !== 2) return fail(io, '--by needs "model A,B" or "persona A,B"');
    if (parts[0] === parts[1]) return fail(io, `--by ${dim}: name two different ${dim}s`);
    by = { dim, a: parts[0]!, b: parts[1]! };
  }
  if (by ? positionals.length !== 1 : positionals.length !== 2) {
    return fail(io, by ? 'with --by, name exactly one RUN folder' : 'needs BASE_RUN and NEW_RUN (two run folders), or one RUN with --by\nRun "awb compare --help" for usage.');
  }

  let sides: [RunSide, RunSide];
  try {
    if (by) sides = splitBy(loadRunSide(resolve(io.cwd, positionals[0]!), positionals[0]!), by.dim, by.a, by.b);
    else sides = [loadRunSide(resolve(io.cwd, positionals[0]!), positionals[0]!), loadRunSide(resolve(io.cwd, positionals[1]!), positionals[1]!)];
  } catch (err) {
    if (err instanceof CompareDataError) return fail(io, err.message);
    throw err;
  }
  const c = compareSides(sides[0], sides[1], {
    ...(threshold !== undefined ? { threshold } : {}),
    ...(values.seed !== undefined ? { seed: values.seed } : {}),
    ...(resamples !== undefined ? { resamples } : {}),
    mode: by ? by.dim : 'runs',
  });
  const reasons = evaluateGate(c, gate);
  const failed = reasons.length > 0;
  if (format === 'json') io.out(formatJson(c, gate.length ? { conditions: values['fail-on'] ?? [], failed, reasons } : undefined));
  else if (format === 'markdown') io.out(formatMarkdown(c));
  else io.out(formatTerminal(c, list !== undefined ? { list } : {}));
  if (gate.length) {
    if (failed) for (const r of reasons) io.err(`awb compare: fail-on: ${r}`);
    else io.err('awb compare: fail-on: no condition holds');
  }
  return failed ? 1 : 0;
};
