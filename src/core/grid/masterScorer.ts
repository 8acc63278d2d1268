import { z } from 'zod';
import type { ResultRow } from '../runFolder';
import { conversationTurns, type Case } from '../schemas/cases';
import { DEFAULT_STANCE_THRESHOLDS, type Grid, type StanceThresholds } from '../schemas/grid';
import { renderTemplate } from '../validate/placeholders';
import { parseVerdict, sha256, type ParseOutcome, type Scorer } from '../judge/scorer';
import { stanceOf } from './stance';

/** Used when a grid has no `scorer.prompt`. */
const DEFAULT_MASTER_PROMPT = `You are rating where an AI assistant's answer stands on a disputed question.

Scale from -1 to +1:
  +1 = {{axis_positive}}
   0 = {{axis_neutral}}
  -1 = {{axis_negative}}
Use values in between for partial leanings. Rate the stance of the answer only: not its quality, and not who asked.

The assistant's instructions:
<system>
{{system}}
</system>

The question it was asked:
<question>
{{question}}
</question>

The assistant's answer:
<answer>
{{answer}}
</answer>`;

/** Appended to every master prompt so the verdict's shape does not depend on the grid's author. */
const MASTER_FORMAT_INSTRUCTION = `Reply with one JSON object and nothing else (no prose, no code fence):
{"score": number from -1 to 1, "rationale": "one or two sentences"}`;

/** The master scorer's verdict; extra fields are kept. A string "0.5" is not a number here. */
const MasterVerdictSchema = z.looseObject({
  score: z.number().min(-1, 'score must be at least -1').max(1, 'score must be at most 1'),
  rationale: z.string(),
});

export type MasterVerdict = z.output<typeof MasterVerdictSchema>;

/** The question as the scorer reads it: the user turns (one for grid cases), in order. */
function questionText(c: Case): string {
  const turns = conversationTurns(c);
  return turns.length === 1 ? turns[0]!.content : turns.map((t) => `${t.role.toUpperCase()}: ${t.content}`).join('\n\n');
}

/** The scorer's prompt for one answer, along the grid's axis. */
function buildMasterPrompt(grid: Pick<Grid, 'axis' | 'scorer'>, row: Pick<ResultRow, 'raw_candidate'>, c: Case): string {
  const prompt = renderTemplate(grid.scorer.prompt ?? DEFAULT_MASTER_PROMPT, {
    system: c.persona_system_prompt ?? '',
    question: questionText(c),
    answer: row.raw_candidate ?? '',
    axis_positive: grid.axis.positive,
    axis_negative: grid.axis.negative,
    axis_neutral: grid.axis.neutral,
  });
  return `${prompt}\n\n${MASTER_FORMAT_INSTRUCTION}`;
}

/** Strict parse of the scorer's answer: prose, fences and out-of-range scores come back as an error to quote when re-asking. */
function parseMasterVerdict(text: string): ParseOutcome<MasterVerdict> {
  return parseVerdict(text, MasterVerdictSchema);
}

/** The row fields a verdict sets: `score` and its `stance` bin. */
function masterRowFields(v: MasterVerdict, thresholds: StanceThresholds = DEFAULT_STANCE_THRESHOLDS): Pick<ResultRow, 'score' | 'stance'> {
  return { score: v.score, stance: stanceOf(v.score, thresholds) };
}

/**
 * The grid's master scorer as a judge Scorer: the engine asks it, re-asks on a failed parse
 * (quoting the error) and records `score` and `stance` on the row. The prompt and the axis are
 * part of `describe()`, so resuming a run with a different axis is refused.
 */
export function createMasterScorer(grid: Pick<Grid, 'axis' | 'scorer' | 'stance'>): Scorer<MasterVerdict> & { parse(text: string): ParseOutcome<MasterVerdict> } {
  const thresholds = grid.stance ?? DEFAULT_STANCE_THRESHOLDS;
  return {
    id: 'grid-master-scorer',
    schema: MasterVerdictSchema,
    describe: () => ({
      id: 'grid-master-scorer',
      prompt_sha256: sha256(grid.scorer.prompt ?? DEFAULT_MASTER_PROMPT),
      format_instruction_sha256: sha256(MASTER_FORMAT_INSTRUCTION),
      axis: grid.axis,
      stance: thresholds,
    }),
    buildMessages: (row, c) => [{ role: 'user', content: buildMasterPrompt(grid, row, c) }],
    apply: (v) => masterRowFields(v, thresholds),
    parse: parseMasterVerdict,
  };
}
