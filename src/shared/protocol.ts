// The typed, versioned messages between the results panel host and its webview. Both sides
// validate what they receive with these schemas and drop anything else. No vscode, no DOM.
import { z } from 'zod';
import { ViewRowSchema, looksLikeViewRow } from './results/types';


/** Bumped on any incompatible change; a message with another version is dropped. */
export const PROTOCOL_VERSION = 1;

/** Longest string the webview may send in any field (a note, a copied judge JSON). */
export const MAX_WEBVIEW_TEXT = 1_000_000;
const MAX_KEY = 2048;
export const MAX_NOTE = 4000;

const v = z.literal(PROTOCOL_VERSION);
const key = z.string().min(1).max(MAX_KEY);
const stanceEnum = z.enum(['neg', 'neu', 'pos']);
const reqId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

// ---------------------------------------------------------------- webview → host

const WebviewMessageSchema = z.discriminatedUnion('type', [
  /** The webview is listening: the host sends init, rows and reviews. */
  z.strictObject({ v, type: z.literal('ready') }),
  /** Full detail of one row for the case view. */
  z.strictObject({ v, type: z.literal('getCase'), reqId, key }),
  /** Store a human label on a row; `verdict: null` removes it. */
  z.strictObject({
    v,
    type: z.literal('saveReview'),
    key,
    verdict: z.enum(['agree', 'disagree', 'override']).nullable(),
    attack_success: z.boolean().nullable(),
    note: z.string().max(MAX_NOTE),
  }),
  /** Put text on the clipboard (judge JSON, an answer). */
  z.strictObject({ v, type: z.literal('copy'), text: z.string().max(MAX_WEBVIEW_TEXT) }),
  /** Open the row's case in its dataset file; the host finds the file from the run's own files. */
  z.strictObject({ v, type: z.literal('openInDataset'), key }),
  /** A human stance label on a grid answer: a bin, a -1..+1 score, or both; neither removes it. */
  z.strictObject({
    v,
    type: z.literal('setStanceLabel'),
    key,
    stance: stanceEnum.nullable().optional(),
    score: z.number().min(-1).max(1).nullable().optional(),
    note: z.string().max(MAX_NOTE).optional(),
  }),
]);
export type WebviewMessage = z.output<typeof WebviewMessageSchema>;

/** Parses a message from the webview; undefined for anything that is not exactly one of ours. */
export function parseWebviewMessage(data: unknown): WebviewMessage | undefined {
  const r = WebviewMessageSchema.safeParse(data);
  return r.success ? r.data : undefined;
}

// ---------------------------------------------------------------- host → webview

const nstr = z.string().nullable();
const nnum = z.number().nullable();


const ReviewSchema = z.object({
  key: z.string(),
  verdict: z.enum(['agree', 'disagree', 'override']),
  attack_success: z.boolean().nullable(),
  note: z.string(),
  updated_at: z.string(),
});

/** A stored human stance label (src/core/grid/labels StanceLabel). */
const StanceLabelSchema = z.object({
  key: z.string(),
  reviewer: z.string(),
  stance: stanceEnum.nullable(),
  score: nnum,
  note: z.string(),
  time: z.string(),
});
export type StanceLabelView = z.output<typeof StanceLabelSchema>;

/** Agreement of the human stance labels with the master scorer (src/core/grid/labels LabelAgreement). */
const LabelAgreementSchema = z.object({
  bins: z.number().int().nonnegative(),
  percent: nnum,
  kappa: nnum,
  numbers: z.number().int().nonnegative(),
  spearman: nnum,
});
export type LabelAgreementView = z.output<typeof LabelAgreementSchema>;

const RunViewSchema = z.object({
  runId: z.string(),
  status: z.enum(['complete', 'partial', 'running']),
  createdAt: nstr,
  total: nnum,
  models: z.array(z.string()),
  personas: z.array(z.string()),
  datasets: z.array(z.string()),
  judgeModel: nstr,
});
export type RunView = z.output<typeof RunViewSchema>;

const TurnSchema = z.object({ role: z.string(), content: z.string() });

/** The case as the run recorded it: what was sent and what the judge was told. */
const CasePromptSchema = z.object({
  system: nstr,
  conversation: z.array(TurnSchema),
  expected_safe_behavior: nstr,
  attack_notes: nstr,
});
export type CasePrompt = z.output<typeof CasePromptSchema>;

const CaseDetailSchema = z.object({
  key: z.string(),
  /** The whole result row (judge JSON, timings, retries, error …), untrusted. */
  row: z.record(z.string(), z.unknown()),
  prompt: CasePromptSchema.nullable(),
  /** Dataset file as the run names it, for display, and its line. */
  dataset: nstr,
  datasetLine: nnum,
  canOpenDataset: z.boolean(),
});
export type CaseDetail = z.output<typeof CaseDetailSchema>;

/** One model × persona line of the sycophancy report (src/core/grid buildSycophancyReport). */
const GridSliceSchema = z.object({
  model_slug: z.string(),
  persona_slug: z.string(),
  groups: z.number(),
  groups_errored: z.number(),
  groups_incomplete: z.number(),
  mean_side_a: nnum,
  mean_side_b: nnum,
  mean_neutral: nnum,
  uplift: nnum,
  uplift_ci_low: nnum,
  uplift_ci_high: nnum,
  p_value: nnum,
  shift_a: nnum,
  shift_b: nnum,
  neg_a: nnum, neu_a: nnum, pos_a: nnum,
  neg_b: nnum, neu_b: nnum, pos_b: nnum,
});
export type GridSlice = z.output<typeof GridSliceSchema>;

const HostMessageSchema = z.discriminatedUnion('type', [
  /** The run and the searchable prompt text per test id; sent first, and again on reset. */
  z.object({ v, type: z.literal('init'), run: RunViewSchema, prompts: z.record(z.string(), z.string()) }),
  /** A chunk of rows. `reset` drops what the webview holds first; `done` ends the initial load. */
  z.object({
    v,
    type: z.literal('rows'),
    rows: z.array(ViewRowSchema),
    reset: z.boolean(),
    done: z.boolean(),
    skipped: z.number().int().nonnegative(),
  }),
  z.object({ v, type: z.literal('status'), status: RunViewSchema.shape.status }),
  z.object({ v, type: z.literal('caseDetail'), reqId, detail: CaseDetailSchema.nullable() }),
  /** Review labels: all of them (`replace`) or changed ones; `removed` lists deleted keys. */
  z.object({ v, type: z.literal('reviews'), reviews: z.array(ReviewSchema), removed: z.array(z.string()), replace: z.boolean() }),
  z.object({ v, type: z.literal('notice'), level: z.enum(['info', 'error']), text: z.string() }),
  /** Every human stance label of the run (replacing what the webview holds) and their agreement with the scorer. */
  z.object({ v, type: z.literal('stanceLabels'), labels: z.array(StanceLabelSchema), agreement: LabelAgreementSchema }),
  /** Grid runs: uplift and stance mix per model × persona, and which perspective is which side. */
  z.object({
    v,
    type: z.literal('grid'),
    sides: z.object({ a: z.string(), b: z.string(), neutral: z.string().optional() }),
    slices: z.array(GridSliceSchema),
  }),
]);
export type HostMessage = z.output<typeof HostMessageSchema>;

/**
 * Parses a message from the host. Row chunks are large (up to 100,000 rows per run), so their
 * rows are checked with a cheap structural test instead of the full schema; everything else is
 * parsed in full.
 */
export function parseHostMessage(data: unknown): HostMessage | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const m = data as Record<string, unknown>;
  if (m.v !== PROTOCOL_VERSION) return undefined;
  if (m.type === 'rows') {
    if (!Array.isArray(m.rows) || typeof m.reset !== 'boolean' || typeof m.done !== 'boolean' || typeof m.skipped !== 'number') return undefined;
    const rows = (m.rows as unknown[]).filter(looksLikeViewRow);
    return { v: PROTOCOL_VERSION, type: 'rows', rows: rows as HostRows['rows'], reset: m.reset, done: m.done, skipped: m.skipped };
  }
  const r = HostMessageSchema.safeParse(data);
  return r.success ? r.data : undefined;
}
type HostRows = Extract<HostMessage, { type: 'rows' }>;

/** A host message without its version field (Omit applied to each member of the union). */
export type HostMessageBody = HostMessage extends infer M ? (M extends unknown ? Omit<M, 'v'> : never) : never;

/** Adds the protocol version to a host message body. */
export function hostMessage<T extends HostMessageBody>(m: T): T & { v: typeof PROTOCOL_VERSION } {
  return { ...m, v: PROTOCOL_VERSION };
}
