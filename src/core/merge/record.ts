/** What a merged run's run.json records (`merge`): where its rows came from and what is missing. */
export interface MergeRecord {
  plan_sha256: string;
  /** Shards in the plan (N of `--shard I/N`). */
  count: number;
  merged_at: string;
  /** Every shard folder (or earlier merged run) whose rows are in this run. */
  sources: MergeSource[];
  /** Per shard: keys it owns, how many of them have a completed row here, and how to run the rest. */
  shards: MergeShard[];
  /** Keys of the plan with no completed row (0 for a complete merge). */
  missing_keys: number;
}

export interface MergeSource {
  /** The folder as given to `awb merge` (absolute). */
  dir: string;
  /** `shard` for a shard's run folder; `merged` for an earlier merge into the same output. */
  kind: 'shard' | 'merged';
  /** The shard's index (shard folders only). */
  shard?: number;
  run_id: string;
  status: string;
  created_at: string;
  updated_at: string;
  /** Rows this merge took from the folder (one per key). */
  rows_taken: number;
  counts?: Record<string, number>;
  scoring?: unknown[];
}

export interface MergeShard {
  index: number;
  /** Keys (cases × personas × models) the shard owns. */
  keys: number;
  /** Of them, keys with a completed row in the merged run. */
  done: number;
  missing: number;
  status: 'complete' | 'incomplete' | 'missing';
  /** The command that runs (or resumes) the shard, when keys are missing. */
  command?: string;
}
