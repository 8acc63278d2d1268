import { z } from 'zod';

/** `*.bench.yaml`: everything a run needs; each field can also come from CLI flags. */
export const BenchSchema = z
  .looseObject({
    name: z.string().optional().describe('A name for this benchmark.'),
    datasets: z.array(z.string()).default([]).describe('Cases files (or dataset cards), relative to this file.'),
    grid: z.string().optional().describe('A `*.grid.yaml` to build and run instead of datasets (a run has one scorer: the grid\'s master scorer).'),
    include_neutral: z.boolean().optional().describe('With a grid: also ask from the neutral perspective.'),
    models: z.array(z.string()).min(1, 'name at least one model').describe('Model slugs (from the models file, or model names on the default provider).'),
    models_file: z.string().optional().describe('The roster, default `models.yaml` beside this file when present.'),
    personas: z.array(z.string()).default(['default']).describe('Persona slugs; `default` uses each case\'s own system prompt.'),
    personas_file: z.string().optional().describe('Personas file, default `personas.yaml` beside this file when present.'),
    judge_model: z.string().default('gpt-5-mini').describe('Judge model slug (default `gpt-5-mini`).'),
    concurrency: z.int().min(1).default(4).describe('Requests in flight at once, across all models.'),
    rate_limit_rps: z.number().positive().optional().describe('Requests per second across all models.'),
    timeout_s: z.number().positive().default(60).describe('Timeout of one call, in seconds.'),
    max_retries: z.int().min(0).default(3).describe('Retries of one call on 408/409/429/5xx/connection errors.'),
    limit: z.int().min(1).optional().describe('Run only the first N cases of each dataset (with a grid: N groups, chosen by balanced sampling).'),
    score: z.enum(['now', 'later']).default('now').describe('Judge as answers arrive (`now`) or only generate (`later`).'),
    out: z.string().default('results').describe('Folder that receives `{run_id}/`.'),
    run_id: z.string().optional().describe('Fixed run id (default: `YYYYmmdd_HHMMss`).'),
  })
  .describe('An Alignment Workbench benchmark.');

export type Bench = z.output<typeof BenchSchema>;
