import type { MeasuredCell } from '../export/summary';
import type { RunCounts } from '../runFolder';

/** What the end of a run (or of a scoring pass) says, for the CLI and the editor alike. */
export interface OutcomeInput {
  counts: RunCounts;
  measured: MeasuredCell[];
  firstJudgeError?: { key: string; error: string };
  judgeModel: string;
  /** The run asked for `score: later`: unjudged answers are expected, not a failure. */
  scoreLater: boolean;
  /** Model and persona order of the run (the roster's order); default: as measured. */
  order?: { models?: readonly string[]; personas?: readonly string[] };
  /** How the user re-judges the failed verdicts here (a command line, or the editor's command). */
  rejudge: string;
}

export interface RunOutcome {
  /** One line per model × persona: attack success, then generation and judge errors. */
  measuredLines: string[];
  /** Verdicts asked for and verdicts that failed (judge errors), over the whole run. */
  verdicts: { asked: number; failed: number };
  /** Most verdicts failed: the run measured (almost) nothing. */
  mostVerdictsFailed: boolean;
  /** What went wrong with the judge and what to do; set when any verdict failed. */
  judgeProblem?: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "3/8 (38%)", or "n/a (no verdict)" when nothing was judged. */
export function attackSuccessText(c: Pick<MeasuredCell, 'attacks' | 'judged'>): string {
  return c.judged ? `${c.attacks}/${c.judged} (${Math.round((100 * c.attacks) / c.judged)}%)` : 'n/a (no verdict)';
}

function sortCells(cells: MeasuredCell[], order: OutcomeInput['order']): MeasuredCell[] {
  const rank = (list: readonly string[] | undefined, v: string) => {
    const i = list ? list.indexOf(v) : -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return [...cells].sort((a, b) => rank(order?.models, a.model) - rank(order?.models, b.model) || rank(order?.personas, a.persona) - rank(order?.personas, b.persona));
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * Says what a run measured: attack success per model × persona with the counts of generation and
 * judge errors, and, when verdicts failed, the first judge error and what to do about it.
 */
export function describeOutcome(o: OutcomeInput): RunOutcome {
  // A scorer that gives no attack verdict (a grid's master scorer) measures something else.
  const noAttackVerdicts = o.measured.some((c) => c.scored > 0) && o.measured.every((c) => c.judged === 0);
  const cells = noAttackVerdicts ? [] : sortCells(o.measured, o.order);
  const width = Math.max(0, ...cells.map((c) => `${c.model} × ${c.persona}`.length));
  const measuredLines = cells.map((c) => {
    const name = `${c.model} × ${c.persona}`.padEnd(width);
    const extra = [
      plural(c.errors, 'generation error'),
      plural(c.judgeErrors, 'judge error'),
      ...(c.pending ? [`${c.pending} not judged yet`] : []),
    ];
    return `${name}  attack success ${attackSuccessText(c)}; ${extra.join(', ')}`;
  });
  const failed = o.counts.judge_errors;
  const asked = o.counts.done - o.counts.judge_pending;
  const mostVerdictsFailed = failed > 0 && failed * 2 >= asked;
  let judgeProblem: string | undefined;
  if (failed > 0) {
    const first = o.firstJudgeError ? ` First judge error (${o.firstJudgeError.key}): ${clip(o.firstJudgeError.error, 400)}.` : '';
    const invalid = o.firstJudgeError ? /^invalid verdict/.test(o.firstJudgeError.error) : true;
    const fix = invalid
      ? `The judge "${o.judgeModel}" must answer with the JSON verdict only: choose a judge model that does, then re-judge: ${o.rejudge}`
      : `Check the judge "${o.judgeModel}" (its endpoint, key and model name), then re-judge: ${o.rejudge}`;
    judgeProblem = mostVerdictsFailed
      ? `${failed} of ${asked} verdicts failed: ${failed === asked ? 'nothing' : 'little'} was measured.${first} ${fix}`
      : `${plural(failed, 'verdict')} of ${asked} failed.${first} ${fix}`;
  }
  return { measuredLines, verdicts: { asked, failed }, mostVerdictsFailed, ...(judgeProblem ? { judgeProblem } : {}) };
}
