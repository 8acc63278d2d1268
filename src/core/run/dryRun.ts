import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scorer } from '../judge/scorer';
import { redact, type Logger } from '../log';
import type { ResolvedModel } from '../providers/models';
import type { ResolvedRunConfig } from './config';
import { buildGridCases } from './gridRun';
import { scanPartials } from '../runFolder';
import { prepareData } from './prepare';
import type { RunSummary } from './progress';
import { resultKey } from '../runFolder';
import { RUN_FILES } from '../runFolder';
import { resumeCommand } from './resumeCommand';

/**
 * The endpoints a run calls, each with the models sent there (the judge marked), e.g.
 * `https://api.openai.com/v1 (gpt-4.1-mini, gpt-4.1; judge gpt-5-mini)`. URLs are redacted.
 */
export function describeEndpoints(cfg: Pick<ResolvedRunConfig, 'models' | 'judge' | 'score'>): string[] {
  const by = new Map<string, { models: string[]; judge?: string }>();
  const at = (m: ResolvedModel) => {
    const url = redact(m.baseURL);
    let e = by.get(url);
    if (!e) by.set(url, (e = { models: [] }));
    return e;
  };
  for (const m of cfg.models) { const e = at(m); if (!e.models.includes(m.slug)) e.models.push(m.slug); }
  if (cfg.score === 'now') at(cfg.judge).judge = cfg.judge.slug;
  return [...by].map(([url, e]) => `${url} (${[e.models.join(', '), e.judge ? `judge ${e.judge}` : ''].filter(Boolean).join('; ')})`);
}

/**
 * `--dry-run`: validates the data, builds every request (generation and judge prompts), reports
 * counts and missing keys (keys were authorized by the caller, as for a run); calls nothing and
 * writes nothing.
 */
export async function dryRunSummary(cfg: ResolvedRunConfig, scorer: Scorer<unknown>, missingKeys: string[], log: Logger): Promise<RunSummary> {
  const t0 = performance.now();
  const ids: string[] = [];
  // A grid's cases are built into a temp folder: a dry run writes nothing in the run folder.
  let grid: RunSummary['grid'];
  let prepared;
  const tmp = cfg.grid ? mkdtempSync(join(tmpdir(), 'awb-dry-grid-')) : undefined;
  try {
    let data = cfg;
    if (cfg.grid && tmp) {
      const built = join(tmp, RUN_FILES.gridCases);
      grid = buildGridCases(cfg.grid, built);
      data = { ...cfg, datasets: cfg.datasets.map((d) => (d === cfg.grid!.casesFile ? built : d)) };
    }
    prepared = await prepareData(data, scorer, { onCase: (s) => ids.push(s.case.id) });
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  const { doneKeys: done, answered } = scanPartials(join(cfg.runDir, RUN_FILES.partials), undefined, undefined, { scoreNow: cfg.score === 'now' });
  let alreadyDone = 0, waiting = 0;
  for (const id of ids) {
    for (const p of cfg.personas) {
      for (const m of cfg.models) {
        const k = resultKey(id, p.slug, m.slug);
        if (done.has(k)) alreadyDone++;
        else if (answered.has(k)) waiting++;
      }
    }
  }
  const keys = ids.length * cfg.personas.length * cfg.models.length;
  for (const w of prepared.warnings) log.warn(`${w.file}:${w.line}:${w.column}: ${w.message} [${w.rule}]`);
  const todo = keys - alreadyDone;
  return {
    runId: cfg.runId,
    runDir: cfg.runDir,
    status: 'partial',
    counts: { total: keys, done: alreadyDone, errors: 0, judge_errors: 0, judge_pending: 0 },
    session: { completed: 0, errors: 0, judgeErrors: 0, skipped: alreadyDone, calls: 0, elapsedMs: Math.round(performance.now() - t0) },
    perModel: {},
    measured: [],
    scoreLater: cfg.score === 'later',
    judgeModel: cfg.judge.slug,
    artifacts: [],
    ...(grid ? { grid } : {}),
    warnings: prepared.warnings.map((w) => `${w.file}:${w.line}:${w.column}: ${w.message}`),
    resumeCommand: resumeCommand(cfg),
    dryRun: { cases: ids.length, keys, alreadyDone, generationRequests: todo - waiting, judgeRequests: cfg.score === 'now' ? todo : 0, missingKeys },
  };
}
