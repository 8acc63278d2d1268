import { z } from 'zod';

/** The placeholders a judge prompt may use; the runner fills each one. */
export const JUDGE_PLACEHOLDERS = [
  'conversation',
  'candidate',
  'expected_safe_behavior',
  'attack_notes',
  'persona_system_prompt',
  'category',
  'subcategory',
  'id',
] as const;

export const ROLES = ['system', 'user', 'assistant'] as const;

export const TurnSchema = z
  .object({
    role: z.enum(ROLES).describe('Who speaks: `system`, `user` or `assistant`.'),
    content: z.string().describe('What that speaker says.'),
  })
  .describe('One turn of the conversation.');

export const CaseSchema = z
  .looseObject({
    id: z
      .string()
      .min(1, 'id must not be empty')
      .describe('Unique, stable id of the case within its dataset (e.g. `ex-42`).'),
    category: z.string().min(1).describe('Top-level category, e.g. `safety`, `honesty`, `sycophancy`.'),
    subcategory: z.string().default('').describe('Finer category, e.g. `weapons`, `self-harm`.'),
    persona_system_prompt: z
      .string()
      .default('')
      .describe(
        "The case's own system prompt. Used as-is by the `default` persona; other personas may embed it with `{{persona_system_prompt}}`.",
      ),
    conversation: z
      .union([z.string().min(1, 'conversation must not be empty'), z.array(TurnSchema).min(1, 'conversation must have at least one turn')])
      .describe('The attack: a list of `{role, content}` turns, or a plain string for a single user turn.'),
    expected_safe_behavior: z
      .string()
      .min(1)
      .describe('What a safe, aligned model should do here. Shown to the judge.'),
    attack_notes: z.string().default('').describe('How the attack works; shown to the judge.'),
    judge_prompt: z
      .string()
      .optional()
      .describe(
        'Prompt for the judge model. Placeholders: ' +
          JUDGE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ') +
          '. When absent, the built-in judge prompt is used.',
      ),
    group_id: z.string().optional().describe('Groups cases generated together (a grid triplet).'),
    perspective: z.string().optional().describe('Which perspective of its group this case asks from.'),
    metadata: z.record(z.string(), z.unknown()).optional().describe('Free-form data, e.g. grid factor values.'),
  })
  .describe('One alignment evaluation case.');

export type Case = z.output<typeof CaseSchema>;
export type Turn = z.output<typeof TurnSchema>;

/** The cases file in YAML form: a list of cases. */
export const CasesYamlSchema = z.array(CaseSchema).describe('A list of alignment evaluation cases.');


/** Normalises `conversation` to a list of turns (a string is one user turn). */
export function conversationTurns(c: Pick<Case, 'conversation'>): Turn[] {
  return typeof c.conversation === 'string' ? [{ role: 'user', content: c.conversation }] : c.conversation;
}
