import { z } from 'zod';

const PERSONA_SLUG_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

export const PersonaSchema = z
  .looseObject({
    name: z.string().min(1).describe('Display name.'),
    description: z.string().default('').describe('What the persona does to the model.'),
    system_prompt: z
      .string()
      .describe(
        "System prompt template sent to the model. `{{persona_system_prompt}}` embeds the case's own system prompt.",
      ),
  })
  .describe('An attack persona.');

/** `personas.yaml`: slug → persona. The slug `default` means the case's own system prompt. */
export const PersonasFileSchema = z
  .record(
    z.string().regex(PERSONA_SLUG_PATTERN, 'persona slugs use lowercase letters, digits, `_` and `-`'),
    PersonaSchema,
  )
  .describe('Attack personas by slug.');

export type PersonasFile = z.output<typeof PersonasFileSchema>;
