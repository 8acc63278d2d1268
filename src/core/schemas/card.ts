import { z } from 'zod';

export const DATASET_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A dataset card: aumai-alignment's AlignmentDataset fields, plus `path`, `version` and `taxonomy`. */
export const DatasetCardSchema = z
  .looseObject({
    dataset_id: z
      .string()
      .regex(DATASET_ID_PATTERN, 'dataset_id may use letters, digits, dot, dash and underscore')
      .describe('Unique identifier in the registry, e.g. `helpful-v1`.'),
    name: z.string().min(1).describe('Human-readable name.'),
    description: z.string().describe('What the dataset tests.'),
    category: z.string().min(1).describe('e.g. `helpfulness`, `harmlessness`, `honesty`.'),
    size: z.int().min(0).describe('Number of samples (cases) in the data.'),
    format: z.string().min(1).describe('e.g. `jsonl`, `yaml`, `csv`, `parquet`.'),
    license: z.string().min(1).describe('e.g. `CC-BY-4.0`, `Apache-2.0`.'),
    tags: z.array(z.string()).default([]).describe('Search tags.'),
    // aumai-alignment: `download_url: str | None = None`; a card it wrote or served says `null`.
    download_url: z.url().nullable().optional().describe('Where the data can be downloaded (null or absent: nowhere).'),
    quality_score: z.number().min(0).max(1).describe("Curator's quality score, 0.0–1.0."),
    path: z.string().optional().describe('Path of the cases file, relative to this card.'),
    version: z.string().optional().describe('Version of the dataset, e.g. `1.2.0`.'),
    taxonomy: z.array(z.string()).optional().describe('Taxonomy labels, e.g. risk areas.'),
  })
  .describe('A dataset card for the Alignment Workbench registry.');

export type DatasetCard = z.output<typeof DatasetCardSchema>;
