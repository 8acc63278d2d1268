/**
 * The files of a run folder, `results/{run_id}/` (docs/run-folder.md). The only place a run
 * file is named: everything else joins a run folder with these.
 */
export const RUN_FILES = {
  runJson: 'run.json',
  partials: 'partials.jsonl',
  state: 'state.sqlite',
  csv: 'results.csv',
  parquet: 'results.parquet',
  summary: 'summary.csv',
  log: 'run.log',
  /** The cases as the run read them, one JSON line each (the plan a resume and a shard read). */
  cases: 'cases.jsonl',
  lock: 'run.lock',
  /** Grid runs: the grid's cases as built for this run, and the sycophancy report. */
  gridCases: 'grid.cases.jsonl',
  sycophancy: 'sycophancy.csv',
  /** Human review verdicts from the results view, and their CSV export. */
  reviews: 'reviews.sqlite',
  reviewsCsv: 'reviews.csv',
  /** Human stance labels of a grid run, and their exports (`awb labels export`). */
  labels: 'labels.sqlite',
  labelsCsv: 'labels.csv',
  labelsJsonl: 'labels.jsonl',
} as const;
