import { z } from 'zod';

/** Provider presets: every one is spoken to through the OpenAI protocol at its base URL. */
export const PROVIDER_PRESETS = {
  openai: { baseURL: 'https://api.openai.com/v1', keyEnv: 'OPENAI_API_KEY' },
  google: { baseURL: 'https://generativelanguage.googleapis.com/v1beta/openai/', keyEnv: 'GOOGLE_AI_API_KEY' },
  groq: { baseURL: 'https://api.groq.com/openai/v1', keyEnv: 'GROQ_API_KEY' },
  huggingface: { baseURL: 'https://router.huggingface.co/v1', keyEnv: 'HUGGINGFACE_API_KEY' },
  cerebras: { baseURL: 'https://api.cerebras.ai/v1', keyEnv: 'CEREBRAS_API_KEY' },
  mistral: { baseURL: 'https://api.mistral.ai/v1', keyEnv: 'MISTRAL_API_KEY' },
  cohere: { baseURL: 'https://api.cohere.ai/compatibility/v1', keyEnv: 'COHERE_API_KEY' },
  openrouter: { baseURL: 'https://openrouter.ai/api/v1', keyEnv: 'OPENROUTER_API_KEY' },
  ollama: { baseURL: 'http://127.0.0.1:11434/v1', keyEnv: 'OLLAMA_API_KEY' },
  vllm: { baseURL: 'http://127.0.0.1:8000/v1', keyEnv: 'VLLM_API_KEY' },
} as const;

export type ProviderName = keyof typeof PROVIDER_PRESETS;
export const PROVIDER_NAMES = Object.keys(PROVIDER_PRESETS) as ProviderName[];

const GenerationParamsSchema = z.object({
  temperature: z.number().min(0).max(2).optional().describe('Sampling temperature.'),
  max_tokens: z.int().min(1).optional().describe('Maximum tokens in the answer.'),
  top_p: z.number().min(0).max(1).optional().describe('Nucleus sampling.'),
  seed: z.int().optional().describe('Sampling seed, where the provider supports it.'),
});

export const ModelEntrySchema = z
  .looseObject({
    slug: z.string().min(1).describe('Name used in runs, results and `--models`.'),
    provider: z.enum(PROVIDER_NAMES).optional().describe('A provider preset. Give this or `base_url`.'),
    base_url: z.url().optional().describe('Any OpenAI-compatible endpoint; needs approval before a key is sent there.'),
    model: z.string().min(1).optional().describe("The provider's model name; defaults to the slug."),
    api_key_env: z.string().optional().describe("Environment variable holding the key (default: the preset's). Only a `*_API_KEY` variable (or one listed in AWB_ALLOW_KEY_ENVS); the key goes to an endpoint other than its own provider's only after approval."),
    api_key_secret: z.string().optional().describe('Name of a key stored with "Set API Key" (SecretStorage).'),
    concurrency: z.int().min(1).describe('Requests in flight at once for this model (required).'),
    rate_limit_rps: z.number().positive().optional().describe('Requests per second for this model.'),
    timeout_s: z.number().positive().optional().describe('Timeout of one call, in seconds.'),
    ...GenerationParamsSchema.shape,
  })
  .describe('One model of the roster.');

/** `models.yaml`: an ordered roster (first entries first); duplicate slugs keep the first. */
export const ModelsFileSchema = z
  .object({ models: z.array(ModelEntrySchema).min(1, 'the roster needs at least one model') })
  .describe('Ordered roster of models under test.');

export type ModelEntry = z.output<typeof ModelEntrySchema>;
export type GenerationParams = z.output<typeof GenerationParamsSchema>;
